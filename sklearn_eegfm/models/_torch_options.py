"""Torch options of the model estimators: seeds and devices, checked before use."""

from __future__ import annotations

import numpy as np


def _seed(random_state):
    """Return an int seed from what scikit-learn accepts (None: 0, so clones agree)."""
    if random_state is None:
        return 0
    if isinstance(random_state, int | np.integer):
        return int(random_state)
    from sklearn.utils import check_random_state

    return int(check_random_state(random_state).randint(np.iinfo(np.int32).max))


def check_device(device):
    """Return ``device`` if torch can run on it now, else raise a ValueError saying why.

    Parameters
    ----------
    device : str | torch.device
        A torch device.

    Returns
    -------
    device : str | torch.device
        Unchanged.
    """
    import torch

    try:
        kind = torch.device(device).type
    except (RuntimeError, TypeError, ValueError) as err:
        raise ValueError(
            f"Invalid device={device!r} ({err}); use 'cpu', 'cuda', 'cuda:0' or 'mps'."
        ) from None
    available = {
        "cpu": True,
        "cuda": torch.cuda.is_available(),
        "mps": torch.backends.mps.is_available(),
    }.get(kind, True)
    if not available:
        raise ValueError(
            f"device={device!r}: {kind} is not available on this machine; use device='cpu'."
        )
    return device
