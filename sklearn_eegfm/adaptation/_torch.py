"""Shared machinery of the gradient-based adapters (torch is imported lazily)."""

from __future__ import annotations


def norm_layers(module):
    """Normalisation layers of ``module`` (BatchNorm, LayerNorm, GroupNorm, InstanceNorm)."""
    from torch import nn
    from torch.nn.modules.batchnorm import _BatchNorm
    from torch.nn.modules.instancenorm import _InstanceNorm

    types = (_BatchNorm, nn.LayerNorm, nn.GroupNorm, _InstanceNorm)
    return [m for m in module.modules() if isinstance(m, types)]


def batch_norm_layers(module):
    """BatchNorm layers of ``module`` (those with running statistics)."""
    from torch.nn.modules.batchnorm import _BatchNorm

    return [m for m in module.modules() if isinstance(m, _BatchNorm)]


def configure_norm_adaptation(module, owner):
    """Freeze everything but the affine parameters of normalisation layers.

    Dropout stays off (eval mode); BatchNorm layers normalise with the statistics of
    each test batch, as in TENT's ``configure_model``.

    Parameters
    ----------
    module : torch.nn.Module
        A copy of the network (modified in place).
    owner : str
        The adapter's name, for error messages.

    Returns
    -------
    params : list of torch.nn.Parameter
        The trainable parameters.
    """
    module.eval()
    module.requires_grad_(False)
    layers = norm_layers(module)
    params = []
    for m in layers:
        if m in set(batch_norm_layers(module)):
            m.train()
            m.track_running_stats = False
            m.running_mean = None
            m.running_var = None
        for p in (getattr(m, "weight", None), getattr(m, "bias", None)):
            if p is not None:
                p.requires_grad_(True)
                params.append(p)
    if not params:
        found = "no normalisation layer" if not layers else "normalisation layers without affine"
        raise TypeError(
            f"{owner} adapts the affine parameters of normalisation layers, but the network "
            f"has {found} (BatchNorm/LayerNorm/GroupNorm). Use T3AAdapter or LAMEAdapter "
            "(no gradients), SHOTAdapter, or an alignment (EuclideanAlignment) instead."
        )
    return params


def make_optimizer(params, optimizer, lr, momentum=0.9):
    """Adam or SGD (with momentum) over ``params``."""
    import torch

    if optimizer == "adam":
        return torch.optim.Adam(params, lr=lr, betas=(0.9, 0.999))
    return torch.optim.SGD(params, lr=lr, momentum=momentum)


def logits_entropy(logits):
    """Per-row softmax entropy (nats) of a logits tensor."""
    log_p = logits.log_softmax(dim=1)
    return -(log_p.exp() * log_p).sum(dim=1)


def batches(n, batch_size):
    """Consecutive slices of ``range(n)``, in stream order."""
    return [slice(s, s + batch_size) for s in range(0, n, batch_size)]


def snapshot(module):
    """Return a detached copy of a module's state dict (for continual adaptation)."""
    return {k: v.detach().clone() for k, v in module.state_dict().items()}
