"""EATA: entropy minimisation on reliable, non-redundant test epochs only."""

from __future__ import annotations

import math

from ._torch import entropy
from .tent import TENTAdapter


class EATAAdapter(TENTAdapter):
    """TENT restricted to reliable, non-redundant test epochs, re-weighted by confidence.

    EATA [1]_ updates the normalisation layers' affine parameters like
    :class:`TENTAdapter`, but only on reliable epochs (prediction entropy below
    ``e_margin * ln(n_classes)``) that are not redundant (after the first batch, the
    absolute cosine similarity between the epoch's predicted distribution and the
    running mean of kept predictions below ``d_margin``); each kept epoch is weighted
    by ``exp(margin - entropy)``. ``n_kept`` in the report counts the epochs used.

    The paper's Fisher anti-forgetting regulariser needs a set of in-distribution
    samples collected before deployment; it is left out here (the paper's "ETA"
    variant), which the per-domain reset of ``episodic=True`` makes matter less.

    Parameters
    ----------
    estimator : estimator
        A classifier exposing a torch network (see :class:`TENTAdapter`).
    e_margin : float
        Entropy threshold as a fraction of ``ln(n_classes)`` (paper: 0.4).
    d_margin : float
        Redundancy threshold on the cosine similarity. The paper's 0.05 is for 1000
        classes; with few classes probability vectors are never that dissimilar (for
        two classes the cosine is at least 0.71), so the default here is 0.95.
    steps, lr, optimizer, batch_size :
        As in :class:`TENTAdapter` (paper: SGD, lr 2.5e-4, momentum 0.9, batch 64).
    domain, episodic, min_epochs, collapse, random_state :
        See :class:`~sklearn_eegfm.adaptation.BaseAdapter`.

    Attributes
    ----------
    estimator_, classes_, adaptation_report_, continual_state_ :
        As in :class:`TENTAdapter`.

    References
    ----------
    .. [1] Niu, S., Wu, J., Zhang, Y., Chen, Y., Zheng, S., Zhao, P. & Tan, M. (2022).
       Efficient test-time model adaptation without forgetting. ICML.

    Examples
    --------
    >>> from sklearn_eegfm import EATAAdapter, SpecialistClassifier
    >>> eata = EATAAdapter(SpecialistClassifier("eegnet"), domain="subject")
    """

    def __init__(
        self,
        estimator,
        *,
        e_margin=0.4,
        d_margin=0.95,
        steps=1,
        lr=1e-3,
        optimizer="adam",
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
        self.d_margin = d_margin

    def _check_params(self):
        super()._check_params()
        if not 0 < self.e_margin <= 1:
            raise ValueError(f"e_margin must be in (0, 1]; got {self.e_margin!r}.")
        if not 0 <= self.d_margin <= 1:
            raise ValueError(f"d_margin must be in [0, 1]; got {self.d_margin!r}.")

    def _step(self, module, x, opt, aux):
        import torch

        logits = module(x)
        ent = entropy(logits)
        margin = self.e_margin * math.log(logits.shape[1])
        keep = ent < margin
        probs = logits.softmax(1)
        mean = aux.get("mean_probs")
        if mean is not None:
            cos = torch.nn.functional.cosine_similarity(mean[None], probs, dim=1)
            keep &= cos.abs() < self.d_margin
        n = int(keep.sum())
        if n:
            weight = torch.exp(-(ent[keep].detach() - margin))
            loss = (ent[keep] * weight).mean()
            opt.zero_grad()
            loss.backward()
            opt.step()
            batch_mean = probs[keep].detach().mean(0)
            aux["mean_probs"] = batch_mean if mean is None else 0.9 * mean + 0.1 * batch_mean
        return logits, n
