"""Fine-tuning strategies: which parameters of a foundation model train, and how.

One table, :data:`STRATEGIES`, names every strategy :class:`FMClassifier` accepts. The
parameter-efficient ones are Hugging Face PEFT methods applied to the braindecode network
(never re-implemented here); the others freeze or unfreeze parts of it. Layer-wise
learning-rate decay and ``last_k`` need the network's stack of transformer blocks, which
:func:`layer_stack` finds without a per-model table.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Strategy:
    """How one fine-tuning strategy trains the network.

    Attributes
    ----------
    peft : str | None
        PEFT method (a key of :data:`_PEFT_CONFIGS`), or None.
    backbone : "all" | "none" | "last_k" | "peft"
        Which backbone parameters train: all, none (head only), the last blocks, or
        only the PEFT modules'.
    stages : tuple of str
        Training stages run in order (``two_stage``: head only, then everything).
    lr : float
        Default learning rate of the strategy (``lr="auto"``).
    help : str
        One line for the docs.
    """

    peft: str | None
    backbone: str
    lr: float
    help: str
    stages: tuple = ("main",)


STRATEGIES = {
    "full": Strategy(None, "all", 1e-4, "every parameter trains"),
    "head": Strategy(None, "none", 1e-3, "frozen backbone, the head alone trains"),
    "last_k": Strategy(
        None, "last_k", 3e-4, "the last n_last_layers blocks (and what follows) train"
    ),
    "two_stage": Strategy(
        None, "all", 1e-4, "head alone first (lr x 10), then every parameter", ("head", "main")
    ),
    "lora": Strategy("lora", "peft", 1e-3, "low-rank adaptation (LoRA)"),
    "ia3": Strategy("ia3", "peft", 3e-3, "learned activation rescaling (IA3)"),
    "adalora": Strategy("adalora", "peft", 1e-3, "LoRA with adaptive rank budget (AdaLoRA)"),
    "dora": Strategy("dora", "peft", 1e-3, "weight-decomposed low-rank adaptation (DoRA)"),
    "oft": Strategy("oft", "peft", 1e-3, "orthogonal fine-tuning (OFT)"),
}


def _lora(targets, rank, alpha, dropout, total_steps):
    peft = import_peft()

    return peft.LoraConfig(r=rank, lora_alpha=alpha, lora_dropout=dropout, target_modules=targets)


def _dora(targets, rank, alpha, dropout, total_steps):
    peft = import_peft()

    return peft.LoraConfig(
        r=rank, lora_alpha=alpha, lora_dropout=dropout, target_modules=targets, use_dora=True
    )


def _ia3(targets, rank, alpha, dropout, total_steps):
    peft = import_peft()

    # IA3 scales the output of attention projections and the input of feed-forward
    # layers; with none declared feed-forward, every target scales its output.
    return peft.IA3Config(target_modules=targets, feedforward_modules=[])


def _adalora(targets, rank, alpha, dropout, total_steps):
    peft = import_peft()

    # AdaLoRA starts at 1.5 x the target rank and prunes towards it during training.
    return peft.AdaLoraConfig(
        init_r=max(rank + 1, int(round(1.5 * rank))),
        target_r=rank,
        lora_alpha=alpha,
        lora_dropout=dropout,
        target_modules=targets,
        total_step=max(1, total_steps),
    )


def _oft(targets, rank, alpha, dropout, total_steps):
    peft = import_peft()

    return peft.OFTConfig(r=rank, oft_block_size=0, module_dropout=dropout, target_modules=targets)


def import_peft():
    """Import Hugging Face PEFT (the ``finetune`` extra), naming the fix if absent."""
    from ..utils._imports import import_optional_dependency

    return import_optional_dependency("peft", extra="finetune")


_PEFT_CONFIGS = {"lora": _lora, "dora": _dora, "ia3": _ia3, "adalora": _adalora, "oft": _oft}


# ----------------------------------------------------------------------------- targets
def _matches(name, targets):
    # PEFT's own rule: a string is a regular expression on the full name, a list holds
    # module-name suffixes.
    if isinstance(targets, str):
        return re.fullmatch(targets, name) is not None
    return any(name == t or name.endswith(f".{t}") for t in targets)


def check_targets(network, targets, contract, strategy):
    """Raise a ValueError naming the model's layers when ``targets`` match none.

    Parameters
    ----------
    network : torch.nn.Module
        The braindecode network.
    targets : str | sequence of str
        PEFT ``target_modules``.
    contract : FMContract
        The model's contract (its name and default targets go into the message).
    strategy : str
        The strategy, named in the message.

    Returns
    -------
    targets : str | list of str
        ``targets`` as PEFT takes them.
    """
    from torch import nn

    targets = targets if isinstance(targets, str) else list(targets)
    layers = [
        n for n, m in network.named_modules() if isinstance(m, nn.Linear | nn.Conv1d | nn.Conv2d)
    ]
    if not any(_matches(n, targets) for n in layers):
        suffixes = sorted({n.rsplit(".", 1)[-1] for n in layers})
        raise ValueError(
            f"target_modules={targets!r} match no linear or convolutional layer of "
            f"{contract.name}, so {strategy} would train nothing but the head. Its layer "
            f"names end in {suffixes}; {contract.name}'s default is "
            f"{contract.peft_targets!r} (target_modules='auto')."
        )
    return targets


def make_peft(network, strategy, targets, *, rank, alpha, dropout, total_steps):
    """Wrap ``network`` in a PEFT model (PEFT modules trainable, base frozen).

    Parameters
    ----------
    network : torch.nn.Module
        A fresh copy of the braindecode network.
    strategy : Strategy
        A strategy with a ``peft`` method.
    targets : str | list of str
        Checked ``target_modules``.
    rank, alpha, dropout : int, float, float
        Adapter rank (OFT: number of blocks), scaling and dropout.
    total_steps : int
        Optimiser steps planned (AdaLoRA's budget schedule).

    Returns
    -------
    model : peft.PeftModel
        The wrapped network.
    """
    peft = import_peft()
    config = _PEFT_CONFIGS[strategy.peft](targets, rank, alpha, dropout, total_steps)
    try:
        model = peft.get_peft_model(network, config)
    except ValueError as err:  # e.g. OFT blocks that do not divide a layer's width
        raise ValueError(
            f"PEFT could not apply {strategy.peft} to target_modules={targets!r}: {err} "
            "Change rank or target_modules."
        ) from err
    if strategy.peft == "oft":
        flatten_oft_inputs(model)
    return model


def flatten_oft_inputs(model):
    """Feed OFT layers 2-D input.

    PEFT's OFT rotation treats any 4-D input as a Conv2d image; CBraMod's feed-forward
    layers see (batch, channels, patches, features) tokens. Flattening the leading axes
    around each OFT linear layer gives the same result for a linear map.
    """
    from peft.tuners.oft.layer import Linear as OFTLinear

    def flat(module, args):
        x = args[0]
        module._shape = x.shape[:-1]
        return (x.reshape(-1, x.shape[-1]), *args[1:])

    def unflat(module, args, out):
        return out.reshape(*module._shape, out.shape[-1])

    for module in model.modules():
        if isinstance(module, OFTLinear):
            module.register_forward_pre_hook(flat)
            module.register_forward_hook(unflat)


def check_peft_reached(module, x, contract, strategy):
    """Raise a ValueError when adapted layers are skipped by the network's forward pass.

    Some braindecode blocks apply a layer's weight directly (``F.linear(x,
    self.qkv.weight)``, ``nn.MultiheadAttention``'s ``out_proj``): a PEFT module wrapped
    around such a layer never sees the input and never trains, silently. One backward
    pass on a small batch finds them.

    Parameters
    ----------
    module : torch.nn.Module
        The fine-tuning module (its ``network`` is the PEFT model).
    x : torch.Tensor
        A few prepared epochs.
    contract : FMContract
        The model's contract (named in the message).
    strategy : str
        The strategy (named in the message).
    """
    from peft.tuners.tuners_utils import BaseTunerLayer

    was_training = module.training
    module.eval()
    try:
        module(x).float().sum().backward()
        dead = sorted(
            name.removeprefix("base_model.model.")
            for name, layer in module.network.named_modules()
            if isinstance(layer, BaseTunerLayer)
            and any(p.requires_grad and p.grad is None for p in layer.parameters())
        )
    finally:
        module.zero_grad(set_to_none=True)
        module.train(was_training)
    if dead:
        raise ValueError(
            f"{strategy} modules on {dead} would never train: {contract.name}'s forward "
            "pass uses these layers' weights directly, not through the layer. Pick other "
            f"target_modules (the default for {contract.name} is "
            f"{contract.peft_targets!r})."
        )


# ----------------------------------------------------------------------------- layers
def layer_stack(network):
    """Find the network's main stack of repeated blocks (the transformer layers).

    Parameters
    ----------
    network : torch.nn.Module
        The braindecode network (or a PEFT wrapper of it).

    Returns
    -------
    name : str | None
        Module path of the stack (``"encoder.layers"``, ``"blocks"``), None if none.
    n_layers : int
        Blocks in the stack (0 if none).
    """
    from torch import nn

    best, best_size = (None, 0), 0
    for name, module in network.named_modules():
        if not isinstance(module, nn.ModuleList | nn.Sequential) or len(module) < 2:
            continue
        kinds = {type(child) for child in module}
        # Blocks are composite (they hold submodules); a Sequential of leaves is a layer.
        if len(kinds) != 1 or not any(True for _ in module[0].children()):
            continue
        size = sum(p.numel() for p in module.parameters())
        if size > best_size:
            best, best_size = (name, len(module)), size
    return best


def layer_ids(named_parameters, stack, n_layers):
    """Depth of each parameter: 0 before the stack, block index + 1, then n_layers + 1.

    Parameters
    ----------
    named_parameters : iterable of (str, Parameter)
        In registration order.
    stack : str | None
        The stack's module path (from :func:`layer_stack`).
    n_layers : int
        Its length.

    Returns
    -------
    ids : dict of str to int
        Depth per parameter name.
    """
    ids, seen_stack = {}, False
    pattern = None if stack is None else re.compile(rf"(?:^|\.){re.escape(stack)}\.(\d+)\.")
    for name, _ in named_parameters:
        match = None if pattern is None else pattern.search(name)
        if match is not None:
            seen_stack = True
            ids[name] = int(match.group(1)) + 1
        else:
            ids[name] = n_layers + 1 if seen_stack else 0
    return ids
