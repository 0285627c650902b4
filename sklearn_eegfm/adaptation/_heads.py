"""Read a fitted estimator's final linear layer as class weight vectors."""

from __future__ import annotations

import numpy as np

from ._base import adaptable_view


def linear_head(estimator, n_classes):
    """Return ``(W, b)`` of the final linear layer, one row per class.

    Parameters
    ----------
    estimator : estimator
        A package estimator exposing ``adaptation_module().classifier``, or a
        scikit-learn Pipeline ending in a linear model (``coef_``/``intercept_``).
    n_classes : int
        Number of classes.

    Returns
    -------
    W : ndarray, shape (n_classes, n_features)
        Class weight vectors.
    b : ndarray, shape (n_classes,)
        Biases.
    """
    owner = adaptable_view(estimator)
    if owner is not None:
        layer = owner.adaptation_module().classifier
        W = layer.weight.detach().double().numpy()
        b = np.zeros(len(W)) if layer.bias is None else layer.bias.detach().double().numpy()
    else:
        final = estimator[-1] if hasattr(estimator, "steps") else estimator
        if not hasattr(final, "coef_"):
            raise TypeError(
                f"{type(final).__name__} is not a linear classifier (no coef_); T3A "
                "starts from the class weight vectors of a linear final layer."
            )
        W = np.atleast_2d(np.asarray(final.coef_, dtype=np.float64))
        b = np.atleast_1d(np.asarray(final.intercept_, dtype=np.float64))
    if len(W) == 1 and n_classes == 2:
        # One binary logit w.z + b as two equivalent softmax columns.
        W, b = np.vstack([-W / 2, W / 2]), np.r_[-b, b] / 2
    if len(W) != n_classes:
        raise TypeError(f"The final layer has {len(W)} outputs for {n_classes} classes.")
    return W, b
