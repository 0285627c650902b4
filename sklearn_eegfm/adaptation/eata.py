"""EATA: entropy minimisation on reliable, non-redundant test epochs only."""

from __future__ import annotations

import numpy as np
from sklearn.utils import check_random_state

from .._data import n_epochs_of
from .._validation import check_positive
from ._base import _take, adaptable_view, as_indexable
from ._torch import batches, configure_norm_adaptation
from .tent import TENTAdapter, _EntropyMarginMixin


class EATAAdapter(_EntropyMarginMixin, TENTAdapter):
    """TENT restricted to reliable, non-redundant test epochs, re-weighted by confidence.

    EATA [1]_ updates the normalisation layers' affine parameters like
    :class:`TENTAdapter`, but only on reliable epochs (prediction entropy below
    ``e_margin * ln(n_classes)``) that are not redundant (after the first batch, the
    absolute cosine similarity between the epoch's predicted distribution and the
    running mean of kept predictions below ``d_margin``); each kept epoch is weighted
    by ``exp(margin - entropy)``. ``n_kept`` in the report counts the epochs used.

    The paper's anti-forgetting regulariser adds ``fisher_alpha * sum_i F_i (theta_i -
    theta_i^0)^2`` to each step's loss, with ``theta^0`` the source values of the
    adapted parameters and ``F`` their diagonal Fisher information. As in the authors'
    code (``main.py``, ``--algorithm eata``), ``F`` is computed once, before any test
    data is seen: here in ``fit``, on at most ``fisher_size`` epochs of the **source
    training data** drawn with ``random_state`` (the paper uses in-distribution
    validation images, which an EEG user has in the training set), as the mean over
    batches of ``batch_size`` of the squared gradient of the cross-entropy against the
    source model's own predictions (pseudo-labels, not the true labels), BatchNorm
    using batch statistics as during adaptation. ``fisher_alpha=0`` disables it (the
    paper's "ETA" variant, this adapter's behaviour before the regulariser was added).

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
    fisher_alpha : float
        Weight of the Fisher regulariser (paper: 2000 on ImageNet-C and CIFAR-100-C,
        1 on CIFAR-10-C); 0 disables it and skips computing the Fisher.
    fisher_size : int
        Most source epochs used to compute the Fisher (paper: 2000).
    steps, lr, optimizer, batch_size :
        As in :class:`TENTAdapter` (paper: SGD, lr 2.5e-4, momentum 0.9, batch 64).
    domain, episodic, min_epochs, collapse, random_state :
        See :class:`~sklearn_eegfm.adaptation.BaseAdapter`.

    Attributes
    ----------
    estimator_, classes_, continual_state_ :
        As in :class:`TENTAdapter`.
    adaptation_report_ : dict
        As in :class:`TENTAdapter`, plus ``fisher_penalty``: the regulariser's value
        at the domain's last update (0 without updates or with ``fisher_alpha=0``).
    fisher_ : dict of str to ndarray
        Diagonal Fisher information of each adapted parameter (named as in the
        network's ``named_parameters``), from the source data; empty when
        ``fisher_alpha=0``.
    n_fisher_epochs_ : int
        Source epochs the Fisher was computed on.

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
        fisher_alpha=2000.0,
        fisher_size=2000,
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
        self.fisher_alpha = fisher_alpha
        self.fisher_size = fisher_size

    def _check_params(self):
        super()._check_params()
        if not 0 <= self.d_margin <= 1:
            raise ValueError(f"d_margin must be in [0, 1]; got {self.d_margin!r}.")
        if self.fisher_alpha != 0:
            check_positive("fisher_alpha", self.fisher_alpha)
        check_positive("fisher_size", self.fisher_size, integer=True)

    def fit(self, X, y, **fit_params):
        """Fit a clone of the estimator on labelled source epochs, then its Fisher.

        Parameters
        ----------
        X : mne.Epochs | list of mne.Epochs | EpochsData | ndarray
            Source epochs (the Fisher is computed on at most ``fisher_size`` of them).
        y : array-like, shape (n_epochs,)
            Source labels (not used by the Fisher, which uses pseudo-labels).
        **fit_params : dict
            Passed to the estimator's ``fit``.

        Returns
        -------
        self : EATAAdapter
            The fitted adapter.
        """
        super().fit(X, y, **fit_params)
        self.fisher_, self.n_fisher_epochs_ = {}, 0
        if self.fisher_alpha > 0:
            self._fit_fisher(X)
        return self

    def _fit_fisher(self, X):
        import torch

        rng = check_random_state(self.random_state)
        X = as_indexable(X)
        n = n_epochs_of(X)
        idx = np.sort(rng.permutation(n)[: self.fisher_size])
        est = adaptable_view(self.estimator_)
        module = est.adaptation_module()  # a copy: the source model stays untouched
        x = est.adaptation_input(_take(X, idx))[torch.as_tensor(rng.permutation(len(idx)))]
        configure_norm_adaptation(module, type(self).__name__)
        params = {k: p for k, p in module.named_parameters() if p.requires_grad}
        fisher = {k: torch.zeros_like(p) for k, p in params.items()}
        # Batch statistics need two epochs: a trailing single epoch joins the batch before.
        slices = batches(len(x), self.batch_size)
        if len(slices) > 1 and len(x) % self.batch_size == 1:
            slices = [*slices[:-2], slice(slices[-2].start, len(x))]
        for sl in slices:
            module.zero_grad()
            logits = module(x[sl])
            pseudo = logits.detach().argmax(1)
            torch.nn.functional.cross_entropy(logits, pseudo).backward()
            for k, p in params.items():
                if p.grad is not None:
                    fisher[k] += p.grad.detach() ** 2
        self.fisher_ = {k: (v / len(slices)).numpy().copy() for k, v in fisher.items()}
        self.n_fisher_epochs_ = len(idx)

    def _adapt(self, Xd, rng, state):
        logits, report, state = super()._adapt(Xd, rng, state)
        state["aux"].pop("fisher", None)  # rebuilt from fisher_ for each domain
        state["aux"].pop("report", None)
        report.setdefault("fisher_penalty", 0.0)
        return logits, report, state

    def _fisher_penalty(self, module, aux):
        import torch

        if not self.fisher_:
            return None
        if "fisher" not in aux:
            aux["fisher"] = {k: torch.as_tensor(v) for k, v in self.fisher_.items()}
        source = aux["source"]  # the source values: the anchor, also when continual
        terms = [
            (aux["fisher"][k] * (p - source[k]) ** 2).sum()
            for k, p in module.named_parameters()
            if k in aux["fisher"]
        ]
        return self.fisher_alpha * torch.stack(terms).sum()

    def _step(self, module, x, opt, aux):
        import torch

        logits = module(x)
        ent, margin, keep = self._reliable(logits)
        probs = logits.softmax(1)
        mean = aux.get("mean_probs")
        if mean is not None:
            cos = torch.nn.functional.cosine_similarity(mean[None], probs, dim=1)
            keep &= cos.abs() < self.d_margin
        n = int(keep.sum())
        if n:
            weight = torch.exp(-(ent[keep].detach() - margin))
            loss = (ent[keep] * weight).mean()
            penalty = self._fisher_penalty(module, aux)
            if penalty is not None:
                loss = loss + penalty
                aux["report"] = {"fisher_penalty": float(penalty.detach())}
            opt.zero_grad()
            loss.backward()
            opt.step()
            batch_mean = probs[keep].detach().mean(0)
            aux["mean_probs"] = batch_mean if mean is None else 0.9 * mean + 0.1 * batch_mean
        return logits, n
