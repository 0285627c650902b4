"""SHOT: source hypothesis transfer, training the feature extractor with a frozen head."""

from __future__ import annotations

import numpy as np

from ._base import adaptable_view
from ._torch import batches, logits_entropy, make_optimizer, snapshot
from .tent import TENTAdapter


class SHOTAdapter(TENTAdapter):
    """Train the feature extractor on the target domain, the classifier frozen (SHOT).

    SHOT [1]_ freezes the source classifier (the hypothesis) and adapts every other
    parameter with information maximisation (mean prediction entropy minus the
    entropy of the mean prediction, which keeps classes balanced and prevents
    collapse to one class) plus ``beta`` times the cross-entropy with self-supervised
    pseudo-labels: nearest class centroids in cosine distance, computed from
    the soft predictions, refined once with hard labels, and renewed at the start of
    each pass. ``steps`` passes over the domain are made; the domain is then predicted
    by the adapted network (eval mode). Dropout stays off.

    Parameters
    ----------
    estimator : estimator
        A classifier exposing a torch network with ``features`` and ``classifier``
        (see :class:`TENTAdapter`).
    beta : float
        Weight of the pseudo-label loss (paper: 0.3).
    steps : int
        Passes over the target domain (paper: 15 epochs on Office; 1 here, for CPU).
    lr : float
        Learning rate (paper: SGD 1e-2 with momentum 0.9, backbone at a tenth; default
        here 1e-4 with Adam for a whole pretrained backbone).
    optimizer : "adam" | "sgd"
        Optimiser.
    batch_size : int
        Epochs per step (paper: 64).
    domain, episodic, min_epochs, collapse, random_state :
        See :class:`~sklearn_eegfm.adaptation.BaseAdapter`.

    Attributes
    ----------
    estimator_, classes_, adaptation_report_, continual_state_ :
        As in :class:`TENTAdapter`.

    References
    ----------
    .. [1] Liang, J., Hu, D. & Feng, J. (2020). Do we really need to access the source
       data? Source hypothesis transfer for unsupervised domain adaptation. ICML.

    Examples
    --------
    >>> from sklearn_eegfm import SHOTAdapter, SpecialistClassifier
    >>> shot = SHOTAdapter(SpecialistClassifier("eegnet"), domain="subject")
    """

    def __init__(
        self,
        estimator,
        *,
        beta=0.3,
        steps=1,
        lr=1e-4,
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
        self.beta = beta

    def _check_params(self):
        super()._check_params()
        if not self.beta >= 0:
            raise ValueError(f"beta must be >= 0; got {self.beta!r}.")

    def _check_source(self, estimator):
        super(TENTAdapter, self)._check_source(estimator)
        module = adaptable_view(estimator).adaptation_module()
        if not (hasattr(module, "features") and hasattr(module, "classifier")):
            raise TypeError(
                "SHOTAdapter needs adaptation_module().features and .classifier; "
                f"{type(estimator).__name__}'s module has neither."
            )

    def _pseudo_labels(self, module, x):
        import torch

        with torch.no_grad():
            feats = torch.cat([module.features(x[sl]) for sl in batches(len(x), 256)])
            probs = module.classifier(feats).softmax(1).double().numpy()
        F = feats.double().numpy()
        F = np.hstack([F, np.ones((len(F), 1))])
        F /= np.linalg.norm(F, axis=1, keepdims=True)
        labels = None
        for _ in range(2):  # soft centroids, then one refinement with hard labels
            weights = probs if labels is None else np.eye(probs.shape[1])[labels]
            centroids = weights.T @ F / (weights.sum(0)[:, None] + 1e-8)
            centroids /= np.maximum(np.linalg.norm(centroids, axis=1, keepdims=True), 1e-12)
            labels = np.argmax(F @ centroids.T, axis=1)
        return torch.as_tensor(labels)

    def _adapt(self, Xd, rng, state):
        import torch

        est = adaptable_view(self.estimator_)
        module = est.adaptation_module()
        x = est.adaptation_input(Xd)
        if state is not None:
            module.load_state_dict(state["module"])
        module.eval()  # no dropout; BatchNorm keeps its source statistics
        module.requires_grad_(True)
        module.classifier.requires_grad_(False)
        params = [p for p in module.parameters() if p.requires_grad]
        if not params:
            raise TypeError("SHOTAdapter found no trainable parameter outside the classifier.")
        opt = make_optimizer(params, self.optimizer, self.lr)
        n_steps = 0
        for _ in range(self.steps):
            pseudo = self._pseudo_labels(module, x)
            order = torch.as_tensor(rng.permutation(len(x)))
            for sl in batches(len(x), self.batch_size):
                idx = order[sl]
                logits = module.classifier(module.features(x[idx]))
                mean = logits.softmax(1).mean(0)
                diversity = -(mean * torch.log(mean + 1e-5)).sum()
                loss = logits_entropy(logits).mean() - diversity
                if self.beta:
                    loss = loss + self.beta * torch.nn.functional.cross_entropy(
                        logits, pseudo[idx]
                    )
                opt.zero_grad()
                loss.backward()
                opt.step()
                n_steps += 1
        module.eval()
        with torch.no_grad():
            out = np.concatenate([module(x[sl]).double().numpy() for sl in batches(len(x), 256)])
        report = {"steps": n_steps, "n_kept": len(x)}
        return out, report, {"module": snapshot(module), "aux": {}}
