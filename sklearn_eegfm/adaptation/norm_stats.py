"""NormStatsAdapter (AdaBN): re-estimate BatchNorm statistics on each target domain."""

from __future__ import annotations

from .._validation import check_positive
from ._base import BaseAdapter, adaptable_view, network_logits
from ._torch import batch_norm_layers, batches, snapshot


class NormStatsAdapter(BaseAdapter):
    """Replace BatchNorm running statistics by those of each target domain (AdaBN).

    AdaBN [1]_ keeps every learned weight and recomputes the mean and variance of each
    BatchNorm layer on the unlabelled target domain (here a cumulative average over
    the whole domain, in batches of ``batch_size``), then predicts with them. With
    ``prior > 0`` the source statistics are mixed in with that weight, as in Schneider
    et al. [2]_ (their N / (N + n) with pseudo-count N). No gradient is taken.

    Parameters
    ----------
    estimator : estimator
        A classifier exposing a torch network with BatchNorm layers (e.g.
        :class:`~sklearn_eegfm.SpecialistClassifier` with EEGNet). Networks with only
        LayerNorm (most foundation models) get a clear error: use
        :class:`TENTAdapter` or an alignment instead.
    prior : float
        Weight of the source statistics in [0, 1) (paper [1]_: 0, target only).
    batch_size : int
        Epochs per forward pass while collecting the statistics.
    domain, episodic, min_epochs, collapse, random_state :
        See :class:`~sklearn_eegfm.adaptation.BaseAdapter`.

    Attributes
    ----------
    estimator_, classes_, adaptation_report_, continual_state_ :
        As in :class:`TENTAdapter` (``steps`` is 0; ``n_kept`` counts the epochs used).

    References
    ----------
    .. [1] Li, Y., Wang, N., Shi, J., Hou, X. & Liu, J. (2018). Adaptive batch
       normalization for practical domain adaptation. Pattern Recognition 80, 109-117.
    .. [2] Schneider, S. et al. (2020). Improving robustness against common corruptions
       by covariate shift adaptation. NeurIPS.

    Examples
    --------
    >>> from sklearn_eegfm import NormStatsAdapter, SpecialistClassifier
    >>> adabn = NormStatsAdapter(SpecialistClassifier("eegnet"), domain="session")
    """

    _needs_network = True

    def __init__(
        self,
        estimator,
        *,
        prior=0.0,
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
        self.prior = prior
        self.batch_size = batch_size

    def _check_params(self):
        super()._check_params()
        check_positive("batch_size", self.batch_size, integer=True)
        if not 0 <= self.prior < 1:
            raise ValueError(f"prior must be in [0, 1); got {self.prior!r}.")

    def _check_before_fit(self, estimator, X):
        super()._check_before_fit(estimator, X)
        if hasattr(estimator, "planned_network"):  # a foundation model: known unfitted
            self._check_batch_norm(estimator, estimator.planned_network(X))

    def _check_source(self, estimator):
        super()._check_source(estimator)
        self._check_batch_norm(estimator, adaptable_view(estimator).adaptation_module())

    def _check_batch_norm(self, estimator, module):
        if not batch_norm_layers(module):
            raise TypeError(
                f"NormStatsAdapter re-estimates BatchNorm statistics, but the network of "
                f"{type(estimator).__name__} has no BatchNorm layer (foundation models "
                "normalise with LayerNorm, which keeps no statistics). Use TENTAdapter, "
                "EuclideanAlignment or a network with BatchNorm (e.g. EEGNet)."
            )

    def _adapt(self, Xd, rng, state):
        import torch

        est = adaptable_view(self.estimator_)
        module = est.adaptation_module()
        if state is not None:
            module.load_state_dict(state)
        x = est.adaptation_input(Xd)
        layers = batch_norm_layers(module)
        source = [(m.running_mean.clone(), m.running_var.clone()) for m in layers]
        module.eval()
        for m in layers:
            if state is None:  # continual: keep averaging on top of earlier domains
                m.reset_running_stats()
            m.momentum = None  # cumulative average over every batch of the domain
            m.train()
        with torch.no_grad():
            for sl in batches(len(x), self.batch_size):
                module(x[sl])
        for m, (mean, var) in zip(layers, source, strict=True):
            m.eval()
            if self.prior:
                m.running_mean.mul_(1 - self.prior).add_(self.prior * mean)
                m.running_var.mul_(1 - self.prior).add_(self.prior * var)
        logits = network_logits(module, x)
        report = {"steps": 0, "n_kept": len(x), "n_layers": len(layers)}
        return logits, report, snapshot(module)
