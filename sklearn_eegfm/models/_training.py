"""The torch side of fine-tuning: the classifier module and its skorch training loop."""

from __future__ import annotations

import math

import numpy as np

HEADS = ("linear", "mlp")


def build_module(plan, network, *, n_features, n_outputs, head, hidden, dropout, amp):
    """Backbone copy + pooling + head as one ``nn.Module`` (see :class:`FineTuneModule`).

    Parameters
    ----------
    plan : Backbone
        The input plan (its ``tokens`` and ``pool`` read the network).
    network : torch.nn.Module
        The network copy that trains (braindecode model or PEFT wrapper).
    n_features, n_outputs : int
        Pooled embedding size and number of classes.
    head : "linear" | "mlp"
        Head on the pooled embedding.
    hidden : int
        Width of the MLP head's hidden layer.
    dropout : float
        Dropout before the final linear layer.
    amp : bool
        Run the forward pass under bfloat16 autocast.

    Returns
    -------
    module : torch.nn.Module
        Maps prepared input to logits; exposes ``features`` and ``classifier``.
    """
    import torch
    from torch import nn

    class FineTuneModule(nn.Module):
        """Network -> pooled embedding -> (MLP) -> final linear layer."""

        def __init__(self):
            super().__init__()
            self.network = network
            if head == "mlp":
                self.head = nn.Sequential(
                    nn.Linear(n_features, hidden), nn.GELU(), nn.Dropout(dropout)
                )
                width = hidden
            else:
                self.head = nn.Sequential(nn.Dropout(dropout))
                width = n_features
            self.classifier = nn.Linear(width, n_outputs)
            self.backbone_frozen = False
            _call_layers_through_forward(self.network)

        def raw_network(self):
            """Return the braindecode model (inside the PEFT wrapper, adapters injected)."""
            base = getattr(self.network, "get_base_model", None)
            return self.network if base is None else base()

        def features(self, x):
            """Return the embedding fed to :attr:`classifier` (pooled tokens, head)."""
            z = plan.pool(*plan.tokens(x, self.raw_network()))
            return self.head(z.float())

        def forward(self, x):
            device = x.device.type
            with torch.autocast(device, dtype=torch.bfloat16, enabled=amp):
                return self.classifier(self.features(x)).float()

        def train(self, mode=True):
            super().train(mode)
            if self.backbone_frozen:  # a frozen backbone keeps its dropout off
                self.network.eval()
            return self

    return FineTuneModule()


def _call_layers_through_forward(network):
    """Keep every ``nn.TransformerEncoderLayer`` of ``network`` off torch's fused path.

    In eval mode that path reads ``linear1.weight`` and friends directly, so adapters
    wrapped around those layers (SignalJEPA's encoder) would be skipped at prediction.
    The fused path runs only for layers whose ``activation_relu_or_gelu`` is set (its
    kernel takes the activation from it; the layer's own path calls ``activation``),
    so clearing it on this network's layers sends them, and only them, through their
    submodules' ``forward``: no process-wide switch (``torch.backends.mha``) is touched,
    and concurrent predictions cannot see each other.

    Parameters
    ----------
    network : torch.nn.Module
        A trainable copy of the network (never the shared frozen one).
    """
    from torch import nn

    for module in network.modules():
        if isinstance(module, nn.TransformerEncoderLayer):
            module.activation_relu_or_gelu = 0


def set_trainable(module, strategy, stage, *, n_last_layers, stack, n_layers, ids):
    """Switch ``requires_grad`` for one stage of a strategy.

    Parameters
    ----------
    module : FineTuneModule
        The module.
    strategy : Strategy
        The strategy.
    stage : str
        ``"head"`` (backbone frozen) or ``"main"``.
    n_last_layers : int
        Blocks trained by ``last_k``.
    stack, n_layers, ids :
        The layer stack and per-parameter depths (see ``_peft.layer_ids``).

    Returns
    -------
    n_trainable : int
        Trainable parameters.
    """
    what = "none" if stage == "head" else strategy.backbone
    if what == "last_k" and stack is None:
        raise ValueError(
            "last_k needs a stack of repeated blocks and none was found in this network; "
            "use finetune='full' or a PEFT strategy."
        )
    for name, p in module.network.named_parameters():
        if what == "all":
            p.requires_grad_(True)
        elif what == "none":
            p.requires_grad_(False)
        elif what == "last_k":
            p.requires_grad_(ids[name] > n_layers - n_last_layers)
        # "adapter": PEFT already froze the base and left the adapters trainable
    for p in [*module.head.parameters(), *module.classifier.parameters()]:
        p.requires_grad_(True)
    module.backbone_frozen = what == "none"
    return sum(p.numel() for p in module.parameters() if p.requires_grad)


def param_groups(module, lr, layer_decay, ids, n_layers):
    """AdamW groups: learning rate ``lr * layer_decay ** (n_layers + 1 - depth)``.

    Parameters
    ----------
    module : FineTuneModule
        The module.
    lr : float
        Learning rate of the head and of what follows the block stack.
    layer_decay : float
        Factor per block towards the input (1: none).
    ids : dict
        Depth of each network parameter.
    n_layers : int
        Blocks in the stack.

    Returns
    -------
    groups : list of dict
        ``params``, ``lr`` and ``weight_decay`` per group; biases and norms get none.
    """
    groups = {}
    named = [(f"network.{n}", ids[n], p) for n, p in module.network.named_parameters()]
    named += [(f"head.{n}", n_layers + 1, p) for n, p in module.head.named_parameters()]
    named += [
        (f"classifier.{n}", n_layers + 1, p) for n, p in module.classifier.named_parameters()
    ]
    for _, depth, p in named:
        if not p.requires_grad:
            continue
        no_decay = p.ndim <= 1  # biases, norms, scaling vectors (IA3)
        key = (depth, no_decay)
        if key not in groups:
            scale = layer_decay ** (n_layers + 1 - depth)
            groups[key] = {"params": [], "lr": lr * scale, "no_decay": no_decay}
        groups[key]["params"].append(p)
    return list(groups.values())


def warmup_cosine(total_steps, warmup):
    """Learning-rate factor: linear warm-up over a fraction of the steps, cosine to zero.

    Parameters
    ----------
    total_steps : int
        Optimiser steps planned.
    warmup : float
        Fraction of them spent warming up.

    Returns
    -------
    factor : callable
        ``step -> factor`` for :class:`torch.optim.lr_scheduler.LambdaLR`.
    """
    n_warm = int(round(warmup * total_steps))

    def factor(step):
        if step < n_warm:
            return (step + 1) / (n_warm + 1)
        progress = (step - n_warm) / max(1, total_steps - n_warm)
        return 0.5 * (1 + math.cos(math.pi * min(progress, 1.0)))

    return factor


def make_net(module, *, settings, groups_fn, callbacks, n_classes, train_split):
    """Build a skorch classifier around ``module``, AdamW on the given parameter groups.

    Parameters
    ----------
    module : torch.nn.Module
        The module to train (used as is).
    settings : dict
        ``lr, max_epochs, batch_size, weight_decay, device, criterion_weight, drop_last``.
    groups_fn : callable
        ``module -> list of parameter groups``.
    callbacks : list
        skorch callbacks.
    n_classes : int
        Number of classes.
    train_split : callable | None
        skorch's validation split.

    Returns
    -------
    net : skorch.NeuralNetClassifier
        The (uninitialised) net.
    """
    import torch
    from skorch import NeuralNetClassifier

    weight_decay = settings["weight_decay"]

    class FineTuneNet(NeuralNetClassifier):
        """AdamW on layer-wise groups; no decay on biases and norms."""

        def initialize_optimizer(self, triggered_directly=None):
            groups = [
                {
                    "params": g["params"],
                    "lr": g["lr"],
                    "weight_decay": 0.0 if g["no_decay"] else weight_decay,
                }
                for g in groups_fn(self.module_)
            ]
            self.optimizer_ = torch.optim.AdamW(groups, lr=settings["lr"])
            return self

    kwargs = {}
    if settings["criterion_weight"] is not None:
        kwargs["criterion__weight"] = torch.as_tensor(
            settings["criterion_weight"], dtype=torch.float32
        )
    return FineTuneNet(
        module,
        criterion=torch.nn.CrossEntropyLoss,
        lr=settings["lr"],
        max_epochs=settings["max_epochs"],
        batch_size=settings["batch_size"],
        iterator_train__shuffle=True,
        iterator_train__drop_last=settings["drop_last"],
        train_split=train_split,
        callbacks=callbacks,
        classes=list(range(n_classes)),
        device=settings["device"],
        verbose=0,
        **kwargs,
    )


def epoch_bar(desc, total):
    """Make a skorch callback showing one tqdm bar, advanced once per training epoch.

    Parameters
    ----------
    desc : str
        Bar label.
    total : int
        Epochs planned.

    Returns
    -------
    callback : skorch.callbacks.Callback
        The callback.
    """
    from skorch.callbacks import Callback
    from tqdm.auto import tqdm

    class EpochBar(Callback):
        def on_train_begin(self, net, **kwargs):
            self.bar_ = tqdm(total=total, desc=desc, unit="epoch")

        def on_epoch_end(self, net, **kwargs):
            row = net.history[-1]
            shown = {k: f"{row[k]:.3f}" for k in ("train_loss", "valid_loss") if k in row}
            self.bar_.set_postfix(shown)
            self.bar_.update(1)

        def on_train_end(self, net, **kwargs):
            self.bar_.close()

    return EpochBar()


def adalora_step():
    """Make a skorch callback running AdaLoRA's rank reallocation after each step.

    Returns
    -------
    callback : skorch.callbacks.Callback
        The callback (gradients are still present at ``on_batch_end``).
    """
    from skorch.callbacks import Callback

    class AdaLoraStep(Callback):
        def on_train_begin(self, net, **kwargs):
            self.step_ = 0

        def on_batch_end(self, net, training=False, **kwargs):
            if training:
                net.module_.network.base_model.update_and_allocate(self.step_)
                self.step_ += 1

    return AdaLoraStep()


def history_rows(history, stage):
    """Per-epoch rows of a skorch history (losses, accuracy, time).

    Parameters
    ----------
    history : skorch.History
        The net's history.
    stage : str
        Training stage, recorded in each row.

    Returns
    -------
    rows : list of dict
        ``stage, epoch, train_loss, valid_loss, valid_acc, dur``.
    """
    rows = []
    for row in history:
        out = {"stage": stage, "epoch": int(row["epoch"])}
        for key in ("train_loss", "valid_loss", "valid_acc", "dur"):
            out[key] = float(row[key]) if key in row else float("nan")
        rows.append(out)
    return rows


def n_steps(n_train, batch_size, max_epochs, drop_last):
    """Optimiser steps of a full run (the schedule's length)."""
    per_epoch = n_train // batch_size if drop_last else math.ceil(n_train / batch_size)
    return max(1, per_epoch) * max_epochs


def class_weights(y_enc, n_classes, class_weight):
    """Loss weights from ``None``, ``"balanced"`` or a dict keyed by class index."""
    if class_weight is None:
        return None
    if class_weight == "balanced":
        counts = np.bincount(y_enc, minlength=n_classes)
        return len(y_enc) / (n_classes * np.maximum(counts, 1))
    return np.array([float(class_weight.get(i, 1.0)) for i in range(n_classes)])
