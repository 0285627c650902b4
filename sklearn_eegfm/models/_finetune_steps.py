"""FMClassifier's steps outside the class: parameter checks and one training stage's net."""

from __future__ import annotations

import math

import numpy as np

from .._validation import check_option
from ._peft import STRATEGIES
from ._training import (
    HEADS,
    adalora_step,
    class_weights,
    epoch_bar,
    make_net,
    param_groups,
    warmup_cosine,
)


def _silent(*args, **kwargs):
    """Swallow EarlyStopping's message."""


def peft_targets(clf):
    """PEFT ``target_modules``: the estimator's, or its contract's default (``"auto"``)."""
    targets = clf.contract_.peft_targets
    if clf.target_modules != "auto":
        targets = clf.target_modules
    return targets if isinstance(targets, str) else list(targets)


def check_params(clf):
    """Validate FMClassifier's hyperparameters (in ``fit``, as scikit-learn asks)."""
    check_option("finetune", clf.finetune, tuple(STRATEGIES))
    check_option("head", clf.head, HEADS)
    for name in ("head_hidden", "n_last_layers", "rank", "max_epochs", "batch_size"):
        value = getattr(clf, name)
        if not (isinstance(value, int | np.integer) and value > 0):
            raise ValueError(f"{name} must be a positive integer; got {value!r}.")
    if not (isinstance(clf.patience, int | np.integer) and clf.patience > 0):
        raise ValueError(f"patience must be a positive integer; got {clf.patience!r}.")
    if not (clf.lr == "auto" or (isinstance(clf.lr, float | int) and clf.lr > 0)):
        raise ValueError(f"lr must be 'auto' or a positive number; got {clf.lr!r}.")
    checks = {
        "warmup": 0 <= clf.warmup < 1,
        "head_dropout": 0 <= clf.head_dropout < 1,
        "peft_dropout": 0 <= clf.peft_dropout < 1,
        "layer_decay": 0 < clf.layer_decay <= 1,
        "weight_decay": clf.weight_decay >= 0,
        "alpha": clf.alpha > 0,
    }
    bad = [k for k, ok in checks.items() if not ok]
    if bad:
        values = {k: getattr(clf, k) for k in bad}
        raise ValueError(
            f"Invalid {values}: warmup, head_dropout and peft_dropout lie in [0, 1), "
            "layer_decay in (0, 1], weight_decay >= 0 and alpha > 0."
        )
    if clf.grad_clip is not None and not clf.grad_clip > 0:
        raise ValueError(f"grad_clip must be positive or None; got {clf.grad_clip!r}.")
    if clf.valid_size is not None and not 0 < clf.valid_size < 1:
        raise ValueError(
            f"valid_size must be a fraction in (0, 1) or None; got {clf.valid_size!r}."
        )
    if not (clf.class_weight in (None, "balanced") or isinstance(clf.class_weight, dict)):
        raise ValueError(
            f"class_weight must be None, 'balanced' or a dict; got {clf.class_weight!r}."
        )


def check_counts(y, valid_size):
    """Refuse labels with one class, or too few epochs for the validation split."""
    classes, counts = np.unique(y, return_counts=True)
    if len(classes) < 2:
        raise ValueError(
            f"FMClassifier needs at least two classes; y holds only {classes.tolist()}. "
            "In cross-validation, use StratifiedKFold so every fold sees each class."
        )
    if valid_size is None:
        return
    n = len(y)
    n_valid = math.ceil(valid_size * n)
    rare = {c: int(k) for c, k in zip(classes.tolist(), counts) if k < 2}
    if rare or n_valid < len(classes) or n - n_valid < len(classes):
        raise ValueError(
            f"Too few epochs for a stratified validation split of valid_size="
            f"{valid_size} ({n} epochs, {len(classes)} classes, counts "
            f"{dict(zip(classes.tolist(), counts.tolist()))}): each class needs two "
            "epochs and both parts one per class. Pass valid_size=None (no early "
            "stopping), a larger valid_size, or more epochs."
        )


def make_stage_net(clf, module, stage, lr, batch_size, drop_last, y_enc):
    """Build the skorch net of one training stage of a fitted-in-progress FMClassifier."""
    import torch
    from skorch.callbacks import EarlyStopping, GradientNormClipping, LRScheduler
    from skorch.dataset import ValidSplit

    layers = clf._layers
    weight = clf.class_weight
    if isinstance(weight, dict):
        weight = {i: weight.get(c, 1.0) for i, c in enumerate(clf.classes_.tolist())}
    callbacks = [
        LRScheduler(
            policy=torch.optim.lr_scheduler.LambdaLR,
            lr_lambda=warmup_cosine(clf._total_steps, clf.warmup),
            step_every="batch",
        )
    ]
    if clf.grad_clip is not None:
        callbacks.append(GradientNormClipping(clf.grad_clip))
    if STRATEGIES[clf.finetune].peft == "adalora" and stage == "main":
        callbacks.append(adalora_step())
    split = None
    if clf.valid_size is not None:
        split = ValidSplit(clf.valid_size, stratified=True, random_state=clf._seed)
        callbacks.append(EarlyStopping(patience=clf.patience, load_best=True, sink=_silent))
    if clf.verbose:
        desc = f"{clf.contract_.name} {clf.finetune} ({stage})"
        callbacks.append(epoch_bar(desc, clf.max_epochs))
    return make_net(
        module,
        settings={
            "lr": lr,
            "max_epochs": clf.max_epochs,
            "batch_size": batch_size,
            "weight_decay": clf.weight_decay,
            "device": clf.device,
            "drop_last": drop_last,
            "criterion_weight": class_weights(y_enc, len(clf.classes_), weight),
        },
        groups_fn=lambda m: param_groups(
            m, lr, clf.layer_decay, layers["ids"], layers["n_layers"]
        ),
        callbacks=callbacks,
        n_classes=len(clf.classes_),
        train_split=split,
    )


def logits(module, x, batch_size, *, features=False):
    """Run a fitted FMClassifier's module on prepared input, batch by batch, no gradient.

    Parameters
    ----------
    module : torch.nn.Module
        ``FMClassifier.module_`` (put in eval mode).
    x : torch.Tensor
        Prepared input.
    batch_size : int
        Epochs per forward pass.
    features : bool
        Return the features fed to the classifier instead of the logits.

    Returns
    -------
    out : ndarray, shape (n_epochs, n_outputs)
        float32.
    """
    import torch

    module = module.eval()
    out = []
    with torch.no_grad():
        for s in range(0, len(x), batch_size):
            batch = x[s : s + batch_size]
            out.append((module.features(batch) if features else module(batch)).float())
    return torch.cat(out).cpu().numpy()
