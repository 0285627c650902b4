"""Specialist networks trained from scratch: the deep baselines a foundation model must beat."""

from __future__ import annotations

import copy
from dataclasses import dataclass, field

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.preprocessing import LabelEncoder
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_is_fitted

from .._adaptable import AdaptableNetworkMixin
from .._data import EpochsInputMixin
from .._validation import check_labels, check_one_label_per_epoch, check_option, check_positive
from ..utils._docs import fill_doc
from ._array_steps import check_class_counts


@dataclass(frozen=True)
class SpecialistSpec:
    """How to build one braindecode architecture.

    Attributes
    ----------
    model_cls : str
        Class name in :mod:`braindecode.models`.
    sfreq : float | None
        Rate (Hz) the architecture's kernels were designed for, to which the input is
        resampled; None when it takes the data's own rate.
    kwargs : dict
        Fixed constructor arguments besides ``n_chans``, ``n_outputs``, ``n_times`` and
        ``sfreq``.
    """

    model_cls: str
    sfreq: float | None = None
    kwargs: dict = field(default_factory=dict)


SPECIALISTS = {
    # The paper's EEGNet max-norm constrains its dense layer; braindecode 1.8 also
    # deprecates the unconstrained default with a warning on every build.
    "eegnet": SpecialistSpec("EEGNet", kwargs={"final_layer_with_constraint": True}),
    "shallow": SpecialistSpec("ShallowFBCSPNet"),
    "deep4": SpecialistSpec("Deep4Net"),
    # Its multi-scale kernels are given in samples for 128 Hz (Santamaria-Vazquez 2020).
    "eeginception-erp": SpecialistSpec("EEGInceptionERP", sfreq=128.0),
    "eegconformer": SpecialistSpec("EEGConformer"),
    # The paper's nine 4-Hz bands from 4 to 40 Hz, given explicitly: braindecode warns
    # on every build when it has to derive them from a band count.
    "fbcnet": SpecialistSpec(
        "FBCNet", kwargs={"n_bands": [(f, f + 4.0) for f in range(4, 37, 4)]}
    ),
    "atcnet": SpecialistSpec("ATCNet"),
}


def _silent(*args, **kwargs):
    """Swallow EarlyStopping's message (a module-level function, so the net pickles)."""


@fill_doc
class SpecialistClassifier(
    AdaptableNetworkMixin, EpochsInputMixin, ClassifierMixin, BaseEstimator
):
    """A braindecode network trained from scratch on the task's epochs.

    The reference a foundation model must beat: a compact specialist architecture
    (EEGNet, ShallowFBCSPNet, ...) fitted with :class:`braindecode.EEGClassifier`
    (skorch) on microvolt input, with AdamW, cross-entropy and early stopping on a
    stratified internal validation split. Training is seeded: on CPU, the same
    ``random_state`` gives the same network.

    Parameters
    ----------
    model : str
        Architecture, one of ``sorted(SPECIALISTS)``: ``"eegnet"``, ``"shallow"``
        (ShallowFBCSPNet), ``"deep4"``, ``"eeginception-erp"`` (input resampled to 128
        Hz), ``"eegconformer"``, ``"fbcnet"``, ``"atcnet"``.
    max_epochs : int
        Most passes over the training data.
    batch_size : int
        Mini-batch size (capped at the number of training epochs).
    lr : float
        AdamW learning rate.
    patience : int
        Passes without improvement of the validation loss before training stops; the
        weights of the best pass are restored.
    valid_size : float | None
        Fraction of the training epochs held out (stratified) for early stopping; None
        trains on all of them for ``max_epochs`` passes.
    class_weight : "balanced" | dict | None
        Weight the loss by inverse class frequency (useful for rare P300 targets), or
        by a ``{label: weight}`` dict (labels absent from it weigh 1).
    random_state : int | RandomState | None
        Seeds weight initialisation, shuffling, dropout and the validation split.
    %(device)s
    %(sfreq)s
    %(ch_names)s
    %(units)s
    verbose : int
        Print a table of losses per pass when positive.

    Attributes
    ----------
    classes_ : ndarray
        Class labels, in the order of ``predict_proba``'s columns.
    net_ : braindecode.EEGClassifier
        The trained skorch net; ``net_.history`` holds the per-pass losses.
    module_ : torch.nn.Module
        The trained network.
    n_passes_ : int
        Passes actually trained (fewer than ``max_epochs`` after early stopping).
    preprocessing_ : list of str
        What was done to the input (unit conversion, resampling).
    sfreq_model_, n_times_model_ :
        Rate and length of the network's input.
    ch_names_in_, sfreq_in_, n_channels_in_, n_times_in_ :
        Channels, rate and length seen in ``fit``.

    See Also
    --------
    LinearProbe : a frozen foundation model with a linear head.

    Examples
    --------
    >>> from sklearn_eegfm.baselines import SpecialistClassifier
    >>> from sklearn_eegfm.datasets import load_p300_demo
    >>> epochs = load_p300_demo()[:60]
    >>> y = epochs.metadata["label"].to_numpy()
    >>> clf = SpecialistClassifier("eegnet", max_epochs=2).fit(epochs, y)
    >>> clf.classes_.tolist()
    ['nontarget', 'target']
    """

    def __init__(
        self,
        model="eegnet",
        *,
        max_epochs=30,
        batch_size=32,
        lr=1e-3,
        patience=5,
        valid_size=0.2,
        class_weight=None,
        random_state=0,
        device="cpu",
        sfreq=None,
        ch_names=None,
        units=None,
        verbose=0,
    ):
        self.model = model
        self.max_epochs = max_epochs
        self.batch_size = batch_size
        self.lr = lr
        self.patience = patience
        self.valid_size = valid_size
        self.class_weight = class_weight
        self.random_state = random_state
        self.device = device
        self.sfreq = sfreq
        self.ch_names = ch_names
        self.units = units
        self.verbose = verbose

    def _check_params(self):
        check_option("model", self.model, tuple(SPECIALISTS))
        if not isinstance(self.class_weight, dict):
            check_option("class_weight", self.class_weight, (None, "balanced"))
        for name in ("max_epochs", "batch_size", "patience"):
            check_positive(name, getattr(self, name), integer=True)
        check_positive("lr", self.lr)
        if self.valid_size is not None and not 0 < self.valid_size < 1:
            raise ValueError(
                f"valid_size must be a fraction in (0, 1) or None; got {self.valid_size!r}."
            )

    def fit(self, X, y):
        """Train the network on ``X``.

        Parameters
        ----------
        X : mne.Epochs | list of mne.Epochs | ndarray, shape (n_epochs, n_channels, n_times)
            Training epochs; arrays need ``sfreq``, ``ch_names`` and ``units``.
        y : array-like, shape (n_epochs,)
            Labels (strings or integers).

        Returns
        -------
        self : SpecialistClassifier
            The fitted classifier.
        """
        import torch

        self._check_params()
        y = check_labels(self, y)
        ed = self._validate_epochs(X, reset=True)
        check_one_label_per_epoch(ed.n_epochs, y)
        # A stratified validation split and the class weights need two examples a class.
        check_class_counts(y, 2, f"SpecialistClassifier({self.model!r})")
        encoder = LabelEncoder().fit(y)
        self.classes_ = encoder.classes_
        y_enc = encoder.transform(y).astype(np.int64)
        self.spec_ = SPECIALISTS[self.model]
        self.sfreq_model_ = self.spec_.sfreq or ed.sfreq
        self.preprocessing_ = list(ed.notes)
        data = self._prepare(ed.data, ed.sfreq, record=True)
        self.n_times_model_ = data.shape[-1]
        self._seed = int(check_random_state(self.random_state).randint(np.iinfo(np.int32).max))
        self._n_train = ed.n_epochs - (
            0 if self.valid_size is None else int(np.ceil(self.valid_size * ed.n_epochs))
        )
        self._criterion_weight = None
        if self.class_weight is not None:
            from sklearn.utils.class_weight import compute_class_weight

            # scikit-learn's rule: "balanced", or a dict by label (absent labels weigh 1)
            self._criterion_weight = compute_class_weight(
                self.class_weight, classes=self.classes_, y=y
            )
        # A private CPU RNG stream: seeded and reproducible without resetting the caller's.
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(self._seed)
            self.net_ = self._build_net(self._build_module())
            self.net_.fit(data, y_enc)
        self.n_passes_ = len(self.net_.history)
        return self

    def _prepare(self, data, sfreq, record=False):
        """Resample to the architecture's rate when it has one (polyphase filter)."""
        if abs(self.sfreq_model_ - sfreq) < 1e-6:
            # a writable copy: the input layer's arrays are read-only, torch wants to own
            return np.array(data, dtype=np.float32)
        from mne.filter import resample

        from .._signal import resample_factors

        up, down = resample_factors(sfreq, self.sfreq_model_)
        out = resample(
            data.astype(np.float64), up=up, down=down, method="polyphase", verbose=False
        )
        if record:
            self.preprocessing_.append(
                f"resampled {sfreq:g} Hz -> {self.sfreq_model_:g} Hz (polyphase, up={up}, "
                f"down={down}) for {self.spec_.model_cls}"
            )
        return np.ascontiguousarray(out, dtype=np.float32)

    def _build_module(self):
        from ..utils._imports import import_braindecode

        n_chans = self.n_channels_in_
        cls = getattr(import_braindecode("models"), self.spec_.model_cls)
        try:
            return cls(
                n_chans=n_chans,
                n_outputs=len(self.classes_),
                n_times=self.n_times_model_,
                sfreq=self.sfreq_model_,
                **copy.deepcopy(self.spec_.kwargs),
            )
        # braindecode reports impossible shapes with assorted exception types.
        except (AssertionError, IndexError, RuntimeError, ValueError) as err:
            raise ValueError(
                f"{self.spec_.model_cls} cannot be built for {n_chans} channels x "
                f"{self.n_times_model_} samples at {self.sfreq_model_:g} Hz ({err}). Use "
                "longer epochs or another model."
            ) from err

    def _build_net(self, module):
        import torch
        from skorch.callbacks import EarlyStopping
        from skorch.dataset import ValidSplit

        from .._progress import skorch_epoch_reporter
        from ..utils._imports import import_braindecode

        EEGClassifier = import_braindecode("classifier").EEGClassifier

        kwargs = {}
        if self._criterion_weight is not None:
            kwargs["criterion__weight"] = torch.as_tensor(
                self._criterion_weight, dtype=torch.float32
            )
        # Each finished epoch, for a comparison's status line (a no-op otherwise).
        callbacks = [("progress", skorch_epoch_reporter("training"))]
        train_split = None
        if self.valid_size is not None:
            train_split = ValidSplit(self.valid_size, stratified=True, random_state=self._seed)
            callbacks.append(
                (
                    "early_stopping",
                    EarlyStopping(
                        monitor="valid_loss",
                        patience=self.patience,
                        load_best=True,
                        sink=print if self.verbose else _silent,
                    ),
                )
            )
        return EEGClassifier(
            module,
            criterion=torch.nn.CrossEntropyLoss,
            optimizer=torch.optim.AdamW,
            lr=self.lr,
            # braindecode drops the last incomplete batch (BatchNorm dislikes tiny ones):
            # cap the batch so that small training sets still yield one.
            batch_size=max(1, min(self.batch_size, self._n_train)),
            max_epochs=self.max_epochs,
            train_split=train_split,
            callbacks=callbacks,
            classes=list(range(len(self.classes_))),
            device=self.device,
            verbose=int(bool(self.verbose)),
            **kwargs,
        )

    # EEGNet, FBCNet and ATCNet hold torch parametrizations (max-norm constraints), which
    # torch refuses to pickle: pickle the weights and training history, rebuild on load.
    def __getstate__(self):
        state = self.__dict__.copy()
        net = state.pop("net_", None)
        if net is not None:
            state["_net_weights"] = {
                k: v.detach().cpu() for k, v in net.module_.state_dict().items()
            }
            state["_net_history"] = net.history
        return state

    def __setstate__(self, state):
        import torch

        weights = state.pop("_net_weights", None)
        history = state.pop("_net_history", None)
        self.__dict__.update(state)
        if weights is None:
            return
        with torch.random.fork_rng(devices=[]):  # building draws throwaway initial weights
            self.net_ = self._build_net(self._build_module()).initialize()
        self.net_.module_.load_state_dict(weights)
        self.net_.history = history

    def _model_input(self, X):
        check_is_fitted(self)
        ed = self._validate_epochs(X, reset=False)
        return self._prepare(ed.data, ed.sfreq)

    def predict_proba(self, X):
        """Class probabilities (softmax of the network's output).

        Parameters
        ----------
        X : mne.Epochs | list of mne.Epochs | ndarray, shape (n_epochs, n_channels, n_times)
            Epochs with the channels, rate and length seen in ``fit``.

        Returns
        -------
        proba : ndarray, shape (n_epochs, n_classes)
            Probabilities, columns in the order of ``classes_``.
        """
        # skorch applies the softmax that matches CrossEntropyLoss.
        x = self._model_input(X)  # first: NotFittedError before net_ is read
        return self.net_.predict_proba(x).astype(np.float64)

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

    @property
    def module_(self):
        """The trained braindecode network."""
        check_is_fitted(self)
        return self.net_.module_

    # -- adaptation interface (sklearn_eegfm._adaptable; features from the mixin) -----
    def adaptation_input(self, X):
        """Prepare epochs as the network's input, for test-time adaptation.

        Parameters
        ----------
        X : mne.Epochs | list of mne.Epochs | EpochsData | ndarray
            Epochs with the channels, rate and length seen in ``fit``.

        Returns
        -------
        x : torch.Tensor, shape (n_epochs, n_channels, n_times_model_)
            Float32 microvolts, resampled to the architecture's rate.
        """
        import torch

        return torch.from_numpy(self._model_input(X))

    def adaptation_module(self):
        """Build an independent copy of the trained network, for test-time adaptation.

        Returns
        -------
        module : torch.nn.Module
            Rebuilt from the architecture and the trained state dict (never shared with
            ``module_``), in eval mode; maps :meth:`adaptation_input` to logits in the
            order of ``classes_``. ``module.features(x)`` is the input of the final
            linear layer and ``module.classifier`` that layer.
        """
        import torch

        check_is_fitted(self)
        with torch.random.fork_rng(devices=[]):  # building draws throwaway initial weights
            network = self._build_module()
        network.load_state_dict(self.net_.module_.state_dict())
        return _WithClassifier(network).float().eval()

    def __sklearn_is_fitted__(self):
        return "net_" in self.__dict__


def _WithClassifier(network):
    """Expose a braindecode network's last ``nn.Linear`` and the features it reads."""
    from torch import nn

    linears = [m for m in network.modules() if isinstance(m, nn.Linear)]

    class WithClassifier(nn.Module):
        def __init__(self):
            super().__init__()
            self.network = network
            self._classifier = linears[-1:]  # a list: not registered twice

        @property
        def classifier(self):
            if not self._classifier:
                # e.g. ShallowFBCSPNet classifies with a convolution
                raise TypeError(
                    f"{type(network).__name__} has no final nn.Linear layer; feature-based "
                    "adapters (T3A, SHOT) cannot find its classifier. Use TENT, EATA, SAR, "
                    "AdaBN or LAME."
                )
            return self._classifier[0]

        def features(self, x):
            seen = []
            hook = self.classifier.register_forward_pre_hook(
                lambda mod, args: seen.append(args[0].flatten(1))
            )
            try:
                self.network(x)
            finally:
                hook.remove()
            return seen[-1]

        def forward(self, x):
            return self.network(x)

    return WithClassifier()
