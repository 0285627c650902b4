"""TENT: test entropy minimisation over the affine parameters of normalisation layers."""

from __future__ import annotations

import math

import numpy as np

from .._validation import check_option, check_positive
from ._base import BaseAdapter, adaptable_view
from ._torch import (
    batches,
    configure_norm_adaptation,
    logits_entropy,
    make_optimizer,
    snapshot,
)


class TENTAdapter(BaseAdapter):
    """Adapt a network per target domain by minimising the entropy of its predictions.

    TENT [1]_ keeps every weight frozen except the scale and shift of the normalisation
    layers, normalises BatchNorm layers with the statistics of each test batch, and
    takes ``steps`` gradient steps per batch on the mean prediction entropy. The test
    stream is processed online, batch after batch, each batch predicted by the forward
    pass that computes its loss (predict-then-adapt, as in the authors' code). Dropout
    stays off.

    Parameters
    ----------
    estimator : estimator
        A classifier exposing a torch network through the adaptation interface
        (``adaptation_module``/``adaptation_input``): :class:`~sklearn_eegfm.LinearProbe`,
        :class:`~sklearn_eegfm.SpecialistClassifier`, ``FMClassifier``.
    steps : int
        Gradient steps per batch (paper: 1).
    lr : float
        Learning rate (paper: Adam 1e-3 on CIFAR; SGD 2.5e-4, momentum 0.9 on ImageNet).
    optimizer : "adam" | "sgd"
        Optimiser (SGD with momentum 0.9).
    batch_size : int
        Test epochs per adaptation batch (paper: 128 on CIFAR, 64 on ImageNet).
    domain, episodic, min_epochs, collapse, random_state :
        See :class:`~sklearn_eegfm.adaptation.BaseAdapter`.

    Attributes
    ----------
    estimator_ : estimator
        The fitted source model (never modified by adaptation).
    classes_ : ndarray
        Class labels.
    adaptation_report_ : dict
        Per domain: ``n_epochs``, ``skipped``, ``steps``, ``n_kept``,
        ``n_predicted_after_update`` (epochs whose prediction came from an already
        adapted network: 0 when the domain fits in one batch and ``steps=1``, since each
        batch is predicted by the forward pass that computes its update),
        ``entropy_before``/``entropy_after`` (mean, nats), ``collapsed``, ``time`` (s).
    continual_state_ : dict | None
        The adapted state carried over when ``episodic=False``.

    References
    ----------
    .. [1] Wang, D., Shelhamer, E., Liu, S., Olshausen, B. & Darrell, T. (2021). Tent:
       Fully test-time adaptation by entropy minimization. ICLR.

    Examples
    --------
    >>> from sklearn_eegfm import LinearProbe, TENTAdapter
    >>> tta = TENTAdapter(LinearProbe("cbramod", weights=None), domain="subject")
    """

    _needs_network = True

    def __init__(
        self,
        estimator,
        *,
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
            domain=domain,
            episodic=episodic,
            min_epochs=min_epochs,
            collapse=collapse,
            random_state=random_state,
        )
        self.steps = steps
        self.lr = lr
        self.optimizer = optimizer
        self.batch_size = batch_size

    def _check_params(self):
        super()._check_params()
        check_positive("steps", self.steps, integer=True)
        check_positive("batch_size", self.batch_size, integer=True)
        check_positive("lr", self.lr)
        check_option("optimizer", self.optimizer, ("adam", "sgd"))

    def _check_source(self, estimator):
        super()._check_source(estimator)
        configure_norm_adaptation(
            adaptable_view(estimator).adaptation_module(), type(self).__name__
        )

    def _step(self, module, x, opt, aux):
        """One adaptation step on a batch: returns its logits and the epochs used."""
        logits = module(x)
        loss = logits_entropy(logits).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
        return logits, len(x)

    def _adapt(self, Xd, rng, state):
        est = adaptable_view(self.estimator_)
        module = est.adaptation_module()
        x = est.adaptation_input(Xd)
        params = configure_norm_adaptation(module, type(self).__name__)
        aux = {"source": snapshot(module)}
        if state is not None:
            module.load_state_dict(state["module"])
            aux.update(state["aux"])
        opt = make_optimizer(params, self.optimizer, self.lr)
        out = np.empty((len(x), len(self.classes_)))
        n_steps = n_kept = n_after = 0
        updated = state is not None  # a continual state carries earlier updates
        for sl in batches(len(x), self.batch_size):
            for _ in range(self.steps):
                # The logits of a step come from the network before that step's update:
                # a domain that fits in one batch with steps=1 is predicted unadapted
                # (online TTA, as in the paper), which the report says.
                before = updated
                logits, kept = self._step(module, x[sl], opt, aux)
                n_steps += int(kept > 0)
                updated = updated or kept > 0
            n_kept += kept
            n_after += len(out[sl]) if before else 0
            out[sl] = logits.detach().double().numpy()
        report = {
            "steps": n_steps,
            "n_kept": int(n_kept),
            "n_predicted_after_update": n_after,
            **aux.get("report", {}),
        }
        aux.pop("source")
        return out, report, {"module": snapshot(module), "aux": aux}


class _EntropyMarginMixin:
    """The reliable-epoch filter of EATA and SAR: entropy below ``e_margin * ln(n_classes)``."""

    def _check_params(self):
        super()._check_params()
        if not 0 < self.e_margin <= 1:
            raise ValueError(f"e_margin must be in (0, 1]; got {self.e_margin!r}.")

    def _reliable(self, logits):
        """Return the epochs' entropies, the margin and which epochs fall below it."""
        ent = logits_entropy(logits)
        margin = self.e_margin * math.log(logits.shape[1])
        return ent, margin, ent < margin
