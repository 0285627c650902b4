"""The adaptation interface: what a classifier exposes for test-time adaptation.

Adapters (:mod:`sklearn_eegfm.adaptation`) touch a fitted classifier only through these
methods. :class:`AdaptableFeatures` is enough for the optimisation-free adapters (T3A,
LAME); :class:`AdaptableNetwork` adds the torch network that TENT, EATA, SAR, SHOT and
AdaBN update. Estimators implement them with :class:`AdaptableNetworkMixin`, and
adapters recognise them with ``isinstance(estimator, AdaptableNetwork)``.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

import numpy as np


@runtime_checkable
class AdaptableFeatures(Protocol):
    """A fitted classifier whose last linear layer reads an embedding it can give."""

    def adaptation_features(self, X):
        """Return the embedding the final linear layer reads, shape (n_epochs, n_features)."""


@runtime_checkable
class AdaptableNetwork(AdaptableFeatures, Protocol):
    """A fitted classifier that exposes its torch network for test-time adaptation."""

    def adaptation_input(self, X):
        """Return the network's prepared input for ``X`` (a float32 tensor)."""

    def adaptation_module(self):
        """Return a new torch module with ``features(x)`` and ``classifier``."""


class AdaptableNetworkMixin:
    """Implement the adaptation interface from a network and its prepared input.

    A subclass defines ``adaptation_input(X)`` (the float32 tensor the network reads,
    the same preprocessing as ``predict``) and ``adaptation_module()`` (a **new** torch
    module, rebuilt from the contract or architecture and the state dict, never a
    ``deepcopy`` and never the fitted module itself, in eval mode, mapping that input
    to logits in ``classes_`` order, with ``module.features(x)``, the embedding the last
    linear layer reads, and ``module.classifier``, that ``nn.Linear``). The mixin gives
    ``adaptation_features(X)``; a subclass that has the embedding at hand may override it.
    """

    _feature_batch = 256

    def adaptation_input(self, X):  # pragma: no cover - the subclass's
        """Return the network's prepared input for ``X``.

        Parameters
        ----------
        X : mne.Epochs | list of mne.Epochs | EpochsData | ndarray
            Epochs with the channels, rate and length seen in ``fit``.

        Returns
        -------
        x : torch.Tensor
            Float32 input of :meth:`adaptation_module`.
        """
        raise NotImplementedError

    def adaptation_module(self):  # pragma: no cover - the subclass's
        """Build a new torch copy of the fitted network.

        Returns
        -------
        module : torch.nn.Module
            Maps :meth:`adaptation_input` to logits; ``module.features(x)`` and
            ``module.classifier`` as described in the class docstring.
        """
        raise NotImplementedError

    def adaptation_features(self, X):
        """Return the embedding the final linear layer reads.

        Parameters
        ----------
        X : mne.Epochs | list of mne.Epochs | EpochsData | ndarray
            Epochs with the channels, rate and length seen in ``fit``.

        Returns
        -------
        features : ndarray, shape (n_epochs, n_features)
            ``module.features`` of the prepared input, from a copy of the network in
            eval mode, flattened per epoch.
        """
        import torch

        module = self.adaptation_module()
        x = self.adaptation_input(X)
        parts = []
        with torch.no_grad():
            for start in range(0, len(x), self._feature_batch):
                z = module.features(x[start : start + self._feature_batch])
                parts.append(z.reshape(len(z), -1).double().cpu().numpy())
        return np.concatenate(parts)
