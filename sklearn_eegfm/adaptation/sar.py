"""SAR: sharpness-aware, reliable entropy minimisation with model recovery."""

from __future__ import annotations

from .._validation import check_positive
from ._torch import logits_entropy
from .tent import TENTAdapter, _EntropyMarginMixin


class SARAdapter(_EntropyMarginMixin, TENTAdapter):
    """Sharpness-aware entropy minimisation on reliable epochs, with a reset on collapse.

    SAR [1]_ updates the normalisation layers' affine parameters (as
    :class:`TENTAdapter`) on epochs whose entropy is below ``e_margin * ln(n_classes)``
    only, with a sharpness-aware (SAM) step of radius ``rho``: the gradient is taken
    at the worst nearby point of the loss, which keeps away from the sharp minima
    where noisy gradients collapse the model. When the moving average of the loss
    falls below ``reset_constant`` the parameters go back to the source state (the
    paper's model recovery); ``resets`` in the report counts them.

    Parameters
    ----------
    estimator : estimator
        A classifier exposing a torch network (see :class:`TENTAdapter`).
    e_margin : float
        Entropy threshold as a fraction of ``ln(n_classes)`` (paper: 0.4).
    rho : float
        SAM neighbourhood radius (paper: 0.05).
    reset_constant : float
        Moving-average loss below which the model is reset (paper: 0.2).
    steps, lr, optimizer, batch_size :
        As in :class:`TENTAdapter` (paper: SGD, lr 2.5e-4 for batch 64, momentum 0.9).
    domain, episodic, min_epochs, collapse, random_state :
        See :class:`~sklearn_eegfm.adaptation.BaseAdapter`.

    Attributes
    ----------
    estimator_, classes_, adaptation_report_, continual_state_ :
        As in :class:`TENTAdapter`.

    References
    ----------
    .. [1] Niu, S., Wu, J., Zhang, Y., Wen, Z., Chen, Y., Zhao, P. & Tan, M. (2023).
       Towards stable test-time adaptation in dynamic wild world. ICLR.

    Examples
    --------
    >>> from sklearn_eegfm import SARAdapter, SpecialistClassifier
    >>> sar = SARAdapter(SpecialistClassifier("eegnet"), domain="session")
    """

    def __init__(
        self,
        estimator,
        *,
        e_margin=0.4,
        rho=0.05,
        reset_constant=0.2,
        steps=1,
        lr=1e-3,
        optimizer="sgd",
        batch_size=64,
        domain=None,
        episodic=True,
        min_epochs=8,
        collapse="warn",
        random_state=None,
    ):
        super().__init__(
            estimator,
            steps=steps,
            lr=lr,
            optimizer=optimizer,
            batch_size=batch_size,
            domain=domain,
            episodic=episodic,
            min_epochs=min_epochs,
            collapse=collapse,
            random_state=random_state,
        )
        self.e_margin = e_margin
        self.rho = rho
        self.reset_constant = reset_constant

    def _check_params(self):
        super()._check_params()
        check_positive("rho", self.rho)

    def _step(self, module, x, opt, aux):
        import torch

        params = [p for g in opt.param_groups for p in g["params"]]
        logits = module(x)
        ent, margin, keep = self._reliable(logits)
        if not bool(keep.any()):
            return logits, 0
        opt.zero_grad()
        ent[keep].mean().backward()
        # SAM: climb to the worst point within rho, take the gradient there, come back.
        grads = [p.grad for p in params if p.grad is not None]
        norm = torch.norm(torch.stack([g.norm(2) for g in grads]), 2) + 1e-12
        shifts = []
        with torch.no_grad():
            for p in params:
                e = None if p.grad is None else p.grad * (self.rho / norm)
                if e is not None:
                    p.add_(e)
                shifts.append(e)
        opt.zero_grad()
        ent2 = logits_entropy(module(x))[keep]
        keep2 = ent2 < margin
        loss = ent2[keep2].mean() if bool(keep2.any()) else None
        if loss is not None:
            loss.backward()
        with torch.no_grad():
            for p, e in zip(params, shifts, strict=True):
                if e is not None:
                    p.sub_(e)
        if loss is not None:
            opt.step()
            ema = aux.get("ema")
            value = float(loss.detach())
            ema = value if ema is None else 0.9 * ema + 0.1 * value
            aux["ema"] = ema
            if ema < self.reset_constant:  # model recovery
                module.load_state_dict(aux["source"])
                aux["ema"] = None
                report = aux.setdefault("report", {"resets": 0})
                report["resets"] += 1
        return logits, int(keep.sum())
