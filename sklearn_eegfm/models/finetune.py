"""FMClassifier: a foundation model fine-tuned on the task, by any of nine strategies."""

from __future__ import annotations

import math

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.preprocessing import LabelEncoder
from sklearn.utils.extmath import softmax
from sklearn.utils.validation import check_is_fitted

from .._adaptable import AdaptableNetworkMixin
from .._data import EpochsInputMixin
from .._validation import check_labels, check_one_label_per_epoch
from ..utils._docs import fill_doc
from . import _finetune_steps, _training
from ._peft import (
    STRATEGIES,
    check_peft_reached,
    check_targets,
    layer_ids,
    layer_stack,
    make_peft,
)
from ._peft_files import attach_peft, read_peft, write_peft
from ._torch_options import _seed
from .embedder import FMEmbedder, PlannedNetworkMixin


@fill_doc
class FMClassifier(
    PlannedNetworkMixin, AdaptableNetworkMixin, EpochsInputMixin, ClassifierMixin, BaseEstimator
):
    """Fine-tune an EEG foundation model on labelled epochs.

    ``fit`` plans the input contract exactly as :class:`FMEmbedder` does (same
    models, weights, channel mapping, resampling, scaling and ``contract_report_``),
    then trains a *copy* of the network (the frozen network shared by embedders and
    probes is never touched) with a head on its pooled embedding. What trains is set
    by ``finetune``:

    - ``"full"``: every parameter; ``"head"``: the head alone (frozen backbone, dropout
      off); ``"last_k"``: the last ``n_last_layers`` transformer blocks and what follows
      them; ``"two_stage"``: the head alone first, then everything;
    - ``"lora"``, ``"ia3"``, ``"adalora"``, ``"dora"``, ``"oft"``: Hugging Face PEFT
      PEFT modules on ``target_modules`` (each model's default is its contract's
      ``peft_targets``), the base frozen.

    Training uses AdamW with linear warm-up then cosine decay, layer-wise
    learning-rate decay, gradient-norm clipping, cross-entropy (optionally class
    weighted) and early stopping on a stratified internal validation split, restoring
    the best pass. It is seeded by ``random_state`` and deterministic on CPU.

    Parameters
    ----------
    %(model)s
    finetune : str
        ``"full"``, ``"head"``, ``"last_k"``, ``"two_stage"``, ``"lora"``, ``"ia3"``,
        ``"adalora"``, ``"dora"`` or ``"oft"``.
    %(weights)s
    %(pooling)s
    %(channel_policy)s
    %(length_policy)s
    head : "linear" | "mlp"
        A linear layer on the pooled embedding, or one hidden layer (GELU) before it.
    head_hidden : int
        Width of the MLP head's hidden layer.
    head_dropout : float
        Dropout before the final linear layer.
    n_last_layers : int
        Blocks trained by ``"last_k"``.
    rank : int
        Adapter rank (LoRA, DoRA, AdaLoRA's target rank; OFT: number of blocks).
    alpha : float
        LoRA/DoRA/AdaLoRA scaling numerator (the update is scaled by ``alpha / rank``).
    peft_dropout : float
        Dropout on the PEFT modules' input (OFT: module dropout; unused by IA3).
    target_modules : "auto" | str | list of str
        PEFT target layers: module-name suffixes, or a regular expression on full
        names; ``"auto"`` takes the contract's ``peft_targets``.
    lr : "auto" | float
        Peak learning rate of the head; ``"auto"`` uses the strategy's default (1e-4
        for full and two-stage, 3e-4 for last_k, 1e-3 for head and PEFT, 3e-3 IA3).
    weight_decay : float
        AdamW weight decay (not applied to biases, norms and scaling vectors).
    warmup : float
        Fraction of the optimiser steps spent in linear warm-up.
    layer_decay : float
        Layer-wise learning-rate decay: block ``i`` of ``L`` learns at
        ``lr * layer_decay ** (L + 1 - i)``; 1 disables it.
    grad_clip : float | None
        Largest gradient norm (None: no clipping).
    max_epochs : int
        Most passes over the training data (per stage).
    batch_size : int
        Mini-batch size.
    patience : int
        Passes without a better validation loss before training stops.
    valid_size : float | None
        Fraction of the training epochs held out, stratified, for early stopping;
        None trains on all of them for ``max_epochs`` passes.
    class_weight : "balanced" | dict | None
        Weights of the cross-entropy per class label.
    amp : bool
        Mixed precision (bfloat16 autocast), mostly useful with ``device="cuda"``.
    %(device)s
    %(dtype)s
    %(network_cache)s
    random_state : int | None
        Seeds the random initialisation (``weights=None``), the head, the validation
        split, shuffling and dropout (None means 0).
    %(sfreq)s
    %(ch_names)s
    %(units)s
    verbose : bool | None
        Show a progress bar per epoch.

    Attributes
    ----------
    classes_ : ndarray
        Class labels, in the order of ``predict_proba``'s columns.
    module_ : torch.nn.Module
        The fine-tuned network with its head: prepared input -> logits; exposes
        ``features`` and ``classifier`` (see :meth:`adaptation_module`).
    history_ : list of dict
        Per pass: ``stage, epoch, train_loss, valid_loss, valid_acc, dur`` (seconds).
    strategy_ : str
        The strategy trained.
    n_trainable_params_, n_params_ : int
        Trainable and total parameters of ``module_`` (last stage).
    embedder_ : FMEmbedder
        The input plan and the shared frozen network (untouched).
    contract_, contract_report_, preprocessing_, pretrained_, weights_sha256_ :
        As for :class:`FMEmbedder`.
    ch_names_in_, sfreq_in_, n_channels_in_, n_times_in_ :
        Channels, rate and epoch length seen in ``fit``.

    See Also
    --------
    LinearProbe : the frozen model with a logistic head.
    RidgeProbe : the frozen model with a closed-form ridge head.

    Examples
    --------
    >>> from sklearn_eegfm import FMClassifier
    >>> from sklearn_eegfm.datasets import load_p300_demo
    >>> epochs = load_p300_demo(tmax=1.0)[:60]
    >>> y = epochs.metadata["label"].to_numpy()
    >>> clf = FMClassifier("cbramod", finetune="lora", weights=None, max_epochs=2)
    >>> clf.fit(epochs, y).predict(epochs[:3]).shape  # doctest: +SKIP
    (3,)
    """

    def __init__(
        self,
        model="cbramod",
        *,
        finetune="lora",
        weights="auto",
        pooling="auto",
        channel_policy="auto",
        length_policy="auto",
        head="linear",
        head_hidden=128,
        head_dropout=0.1,
        n_last_layers=2,
        rank=8,
        alpha=16,
        peft_dropout=0.1,
        target_modules="auto",
        lr="auto",
        weight_decay=0.01,
        warmup=0.1,
        layer_decay=0.9,
        grad_clip=1.0,
        max_epochs=20,
        batch_size=32,
        patience=5,
        valid_size=0.2,
        class_weight=None,
        amp=False,
        device="cpu",
        dtype="float32",
        network_cache="shared",
        random_state=None,
        sfreq=None,
        ch_names=None,
        units=None,
        verbose=None,
    ):
        self.model = model
        self.finetune = finetune
        self.weights = weights
        self.pooling = pooling
        self.channel_policy = channel_policy
        self.length_policy = length_policy
        self.head = head
        self.head_hidden = head_hidden
        self.head_dropout = head_dropout
        self.n_last_layers = n_last_layers
        self.rank = rank
        self.alpha = alpha
        self.peft_dropout = peft_dropout
        self.target_modules = target_modules
        self.lr = lr
        self.weight_decay = weight_decay
        self.warmup = warmup
        self.layer_decay = layer_decay
        self.grad_clip = grad_clip
        self.max_epochs = max_epochs
        self.batch_size = batch_size
        self.patience = patience
        self.valid_size = valid_size
        self.class_weight = class_weight
        self.amp = amp
        self.device = device
        self.dtype = dtype
        self.network_cache = network_cache
        self.random_state = random_state
        self.sfreq = sfreq
        self.ch_names = ch_names
        self.units = units
        self.verbose = verbose

    # ------------------------------------------------------------------ fit
    def _check_params(self):
        _finetune_steps.check_params(self)

    def fit(self, X, y):
        """Fine-tune the network on ``X``.

        Parameters
        ----------
        X : mne.Epochs | list of mne.Epochs | ndarray, shape (n_epochs, n_channels, n_times)
            Training epochs; arrays need ``sfreq``, ``ch_names`` and ``units``.
        y : array-like, shape (n_epochs,)
            Labels.

        Returns
        -------
        self : FMClassifier
            The fitted classifier.
        """
        import torch

        self._check_params()
        y = check_labels(self, y)
        ed = self._validate_epochs(X, reset=True)
        check_one_label_per_epoch(ed.n_epochs, y)
        _finetune_steps.check_counts(y, self.valid_size)
        encoder = LabelEncoder().fit(y)
        self.classes_ = encoder.classes_
        y_enc = encoder.transform(y).astype(np.int64)
        self._fit_plan(ed)
        x = self.backbone_.prepare(ed.data).cpu().numpy()
        strategy = STRATEGIES[self.finetune]
        self._seed = _seed(self.random_state)
        n_train = len(y) - (0 if self.valid_size is None else math.ceil(self.valid_size * len(y)))
        batch_size = min(self.batch_size, n_train)
        # a last batch of one breaks batch statistics in some backbones
        drop_last = n_train % batch_size == 1
        self._total_steps = _training.n_steps(n_train, batch_size, self.max_epochs, drop_last)
        lr = strategy.lr if self.lr == "auto" else float(self.lr)
        self.history_ = []
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(self._seed)
            module, self._layers = self._build(load_weights=True)
            if strategy.peft is not None:
                probe = torch.as_tensor(x[: min(2, len(x))], device=self.device)
                check_peft_reached(module, probe, self.contract_, self.finetune)
            for stage in strategy.stages:
                stage_lr = lr * 10 if stage == "head" and len(strategy.stages) > 1 else lr
                self.n_trainable_params_ = _training.set_trainable(
                    module, strategy, stage, n_last_layers=self.n_last_layers, **self._layers
                )
                net = _finetune_steps.make_stage_net(
                    self, module, stage, stage_lr, batch_size, drop_last, y_enc
                )
                net.fit(x, y_enc)
                self.history_ += _training.history_rows(net.history, stage)
        self.module_ = module.eval()
        self.n_params_ = sum(p.numel() for p in module.parameters())
        self.strategy_ = self.finetune
        return self

    def _fit_plan(self, ed):
        params = {k: getattr(self, k) for k in FMEmbedder().get_params() if k != "cache"}
        self.embedder_ = FMEmbedder(**params, cache=None)
        self.embedder_._fit(ed)  # the same plan, weights and report as the embedder's
        for name in ("contract_", "pretrained_", "weights_sha256_", "preprocessing_"):
            setattr(self, name, getattr(self.embedder_, name))
        self.contract_report_ = {**self.embedder_.contract_report_, "finetune": self.finetune}
        self._positions = np.asarray(ed.positions, float)
        self._notes = list(ed.notes)

    @property
    def backbone_(self):
        """The input plan (a :class:`~sklearn_eegfm.models._backbone.Backbone`)."""
        check_is_fitted(self, "embedder_")
        return self.embedder_.backbone_

    def _build(self, *, load_weights, peft_dir=None):
        """Network copy (+ PEFT) + head; random head, so seed the caller's RNG first."""
        import torch

        plan = self.backbone_
        strategy = STRATEGIES[self.finetune]
        if load_weights:
            network = plan.new_network()
        else:  # the weights come from a state dict next
            network = plan._construct().to(device=plan.device, dtype=getattr(torch, plan.dtype))
        stack, n_layers = layer_stack(network)
        if strategy.peft is not None:
            targets = check_targets(
                network, _finetune_steps.peft_targets(self), self.contract_, self.finetune
            )
            if peft_dir is None:
                network = make_peft(
                    network,
                    strategy,
                    targets,
                    rank=self.rank,
                    alpha=self.alpha,
                    dropout=self.peft_dropout,
                    total_steps=self._total_steps,
                )
            else:
                network = attach_peft(network, peft_dir, strategy)
        ids = layer_ids(network.named_parameters(), stack, n_layers)
        module = _training.build_module(
            plan,
            network,
            n_features=self.embedder_.n_features_out_,
            n_outputs=len(self.classes_),
            head=self.head,
            hidden=self.head_hidden,
            dropout=self.head_dropout,
            amp=self.amp,
        ).to(self.device)
        return module, {"stack": stack, "n_layers": n_layers, "ids": ids}

    # ------------------------------------------------------------------ predict
    def _logits(self, x, features=False):
        return _finetune_steps.logits(self.module_, x, self.batch_size, features=features)

    def predict_proba(self, X):
        """Class probabilities (softmax of the logits).

        Parameters
        ----------
        X : mne.Epochs | list of mne.Epochs | ndarray, shape (n_epochs, n_channels, n_times)
            Epochs with the channels, rate and length seen in ``fit``.

        Returns
        -------
        proba : ndarray, shape (n_epochs, n_classes)
            Probabilities, columns in the order of ``classes_``.
        """
        return softmax(self._logits(self.adaptation_input(X)).astype(np.float64), copy=False)

    def predict(self, X):
        """Predicted labels.

        Parameters
        ----------
        X : mne.Epochs | list of mne.Epochs | ndarray, shape (n_epochs, n_channels, n_times)
            Epochs with the channels, rate and length seen in ``fit``.

        Returns
        -------
        y_pred : ndarray, shape (n_epochs,)
            Labels from ``classes_``.
        """
        proba = self.predict_proba(X)  # first: NotFittedError before classes_ is read
        return self.classes_[proba.argmax(axis=1)]

    # ------------------------------------ adaptation interface (sklearn_eegfm._adaptable)
    def adaptation_input(self, X):
        """Return the network's prepared input for ``X`` (validated like ``predict``).

        Parameters
        ----------
        X : mne.Epochs | list of mne.Epochs | ndarray, shape (n_epochs, n_channels, n_times)
            Epochs with the channels, rate and length seen in ``fit``.

        Returns
        -------
        x : torch.Tensor, shape (n_epochs, n_model_channels, n_model_times)
            Contract preprocessing applied, on ``device``.
        """
        check_is_fitted(self)
        ed = self._validate_epochs(X, reset=False)
        return self.backbone_.prepare(ed.data)

    def adaptation_module(self):
        """Build a new, independent copy of :attr:`module_` for test-time adaptation.

        Returns
        -------
        module : torch.nn.Module
            Maps :meth:`adaptation_input` to logits (columns in ``classes_`` order), in
            eval mode; ``module.features(x)`` gives the embedding fed to
            ``module.classifier`` (the final ``nn.Linear``). Rebuilt from the contract
            and the state dict, never deep-copied.
        """
        import torch

        check_is_fitted(self)
        with torch.random.fork_rng(devices=[]):
            module, _ = self._build(load_weights=False)
        module.load_state_dict(self.module_.state_dict())
        module.backbone_frozen = self.module_.backbone_frozen
        return module.eval()

    def adaptation_features(self, X):
        """Return the embedding fed to the final linear layer (optimisation-free adapters).

        Parameters
        ----------
        X : mne.Epochs | list of mne.Epochs | ndarray, shape (n_epochs, n_channels, n_times)
            Epochs with the channels, rate and length seen in ``fit``.

        Returns
        -------
        features : ndarray, shape (n_epochs, n_features)
            ``module_.features`` of the prepared input.
        """
        return self._logits(self.adaptation_input(X), features=True)

    # ------------------------------------------------------------------ persistence
    def __getstate__(self):
        # PEFT wrappers and some braindecode parametrisations do not pickle: ship the
        # state dict and rebuild from the contract on load.
        state = self.__dict__.copy()
        module = state.pop("module_", None)
        if module is not None:
            state["_module_state"] = {k: v.detach().cpu() for k, v in module.state_dict().items()}
            state["_backbone_frozen"] = module.backbone_frozen
        return state

    def __setstate__(self, state):
        import torch

        weights = state.pop("_module_state", None)
        frozen = state.pop("_backbone_frozen", False)
        self.__dict__.update(state)
        if weights is None:
            return
        with torch.random.fork_rng(devices=[]):
            module, _ = self._build(load_weights=False)
        module.load_state_dict(weights)
        module.backbone_frozen = frozen
        self.module_ = module.eval()

    def save_peft(self, path):
        """Save the PEFT weights and the head alone (a few hundred kB), not the backbone.

        Parameters
        ----------
        path : str | Path
            A folder (created): PEFT's ``adapter_config.json`` and
            ``adapter_model.safetensors``, ``head.safetensors`` and
            ``fmclassifier.json`` (settings, classes and input description).

        Returns
        -------
        path : Path
            The folder. Load it with :meth:`load_peft`, which rebuilds the backbone
            from the same weights.
        """
        return write_peft(self, path)

    @classmethod
    def load_peft(cls, path):
        """Rebuild a fitted classifier from :meth:`save_peft`'s folder.

        The backbone is loaded from the same weights as in ``fit`` (``weights`` as
        saved: the local cache or the hub; random weights from the same seed), and its
        checksum must match the one recorded.

        Parameters
        ----------
        path : str | Path
            The folder.

        Returns
        -------
        clf : FMClassifier
            A fitted classifier giving the same predictions.
        """
        return read_peft(cls, path)

    def __sklearn_is_fitted__(self):
        return "module_" in self.__dict__
