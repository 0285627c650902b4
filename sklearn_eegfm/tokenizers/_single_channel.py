"""What the published single-channel tokenizers share: contract, weights, batching, metrics.

TFM-Tokenizer and BioCodec read one channel at a time, so any montage works: each
channel of each epoch is resampled to the tokenizer's rate, scaled the way the authors
scaled their inputs, and encoded alone. Codes are laid out channel-major, as by the
other tokenizers: token ``c * n_frames_ + t`` is frame ``t`` of channel ``c``.
A subclass declares its :class:`SingleChannelContract` and builds its network.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_is_fitted

from .._checkpoints import load_checked, read_state_dict
from .._data import EpochsInputMixin
from .._validation import check_positive
from ..utils._warnings import RandomWeightsWarning
from ._base import CodeStatistics
from .pretrained import TokenizerRelease, resolve_checked_release


@dataclass(frozen=True)
class SingleChannelContract:
    """The input a published single-channel tokenizer expects, in words and numbers.

    Attributes
    ----------
    sfreq : float
        Rate the tokenizer was trained at.
    min_times : int
        Fewest samples at ``sfreq`` that give one frame.
    scaling : str
        How each channel is scaled, citing the authors' file and line.
    resampling : str
        How epochs are brought to ``sfreq``.
    frame : str
        What one code stands for.
    n_levels : int
        Codes per frame (residual levels).
    n_codes : int
        Codes per level.
    release : TokenizerRelease
        Where the checkpoint comes from, and its licence.
    """

    sfreq: float
    min_times: int
    scaling: str
    resampling: str
    frame: str
    n_levels: int
    n_codes: int
    release: TokenizerRelease


class SingleChannelTokenizer(CodeStatistics, EpochsInputMixin, TransformerMixin, BaseEstimator):
    """Base of :class:`TFMTokenizer` and :class:`BioCodecTokenizer` (not public).

    Subclasses set ``contract`` and implement ``_new_network()``, ``_resample(data)``
    (µV at the input rate -> the tokenizer's rate), ``_scale(data)`` and
    ``_encode(net, x)`` (``(n, n_times)`` float tensor -> ``(n, n_levels, n_frames)``).
    """

    contract: SingleChannelContract

    def __init__(
        self,
        weights="auto",
        *,
        sha256=None,
        random_state=0,
        batch_size=64,
        device="cpu",
        sfreq=None,
        ch_names=None,
        units=None,
    ):
        self.weights = weights
        self.sha256 = sha256
        self.random_state = random_state
        self.batch_size = batch_size
        self.device = device
        self.sfreq = sfreq
        self.ch_names = ch_names
        self.units = units

    # ----------------------------------------------------------------- fitting
    def fit(self, X, y=None):
        """Load the pretrained tokenizer and plan the input; no training happens.

        Parameters
        ----------
        X : mne.Epochs | list of mne.Epochs | EpochsData | ndarray
            Epochs (arrays need ``sfreq``, ``ch_names`` and ``units``); any channels.
        y : None
            Ignored.

        Returns
        -------
        self : object
            The tokenizer, ready to transform.
        """
        c = self.contract
        check_positive("batch_size", self.batch_size, integer=True)
        ed = self._validate_epochs(X, reset=True)
        n_model = self._check_long_enough(ed)
        self.n_model_times_ = n_model
        net = self._pretrained_network() if self.weights is not None else self._random_network()
        self.network_ = net.to(self.device).eval()
        self.n_frames_ = int(self._n_frames(n_model))
        self.n_levels_ = c.n_levels
        self.n_codes_ = c.n_codes
        self.n_tokens_ = self.n_channels_in_ * self.n_frames_
        self.licence_ = c.release.licence
        self.contract_report_ = self._contract_report(ed, n_model)
        return self

    def _check_long_enough(self, ed):
        """Return the epochs' length at the model's rate; refuse one shorter than a frame."""
        c = self.contract
        n_model = self._n_model_times(ed.sfreq, ed.n_times)
        if n_model < c.min_times:
            raise ValueError(
                f"Epochs last {ed.n_times / ed.sfreq:.3g} s, shorter than the "
                f"{c.min_times / c.sfreq:g} s that give one {type(self).__name__} frame. "
                "Epoch longer windows (mne.Epochs(..., tmin, tmax))."
            )
        return n_model

    def _random_network(self):
        """Build the network with a seeded random codebook, and warn that it is one."""
        import torch

        # Seeded, so that clones build the same random codebook.
        seed = int(check_random_state(self.random_state).randint(2**31))
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            net = self._new_network()
            self._randomise(net)
        self.weights_path_ = self.weights_sha256_ = None
        self.pretrained_ = False
        warnings.warn(
            f"{type(self).__name__} runs with a RANDOM codebook (weights=None): its codes "
            "are not those of the published tokenizer and results must not be reported "
            "as such.",
            RandomWeightsWarning,
            stacklevel=3,  # the caller of fit
        )
        return net

    def _pretrained_network(self):
        """Build the network from the release's checkpoint, its sha256 checked."""
        c = self.contract
        net = self._new_network()
        path, digest = resolve_checked_release(
            c.release, self.weights, self.sha256 or c.release.sha256
        )
        state = self._adapt_state(read_state_dict(path))
        load_checked(net, state, ignore=self._ignore, source=str(path))
        self.weights_path_, self.weights_sha256_ = path, digest
        self.pretrained_ = True
        return net

    def _contract_report(self, ed, n_model):
        c = self.contract
        return {
            "tokenizer": c.release.name,
            "channels": f"any; each of the {self.n_channels_in_} channels tokenized alone",
            "sfreq_in": ed.sfreq,
            "sfreq": c.sfreq,
            "resampling": c.resampling if ed.sfreq != c.sfreq else "none (already at rate)",
            "n_times": n_model,
            "scaling": c.scaling,
            "frame": c.frame,
            "n_frames": self.n_frames_,
            "codes": f"{c.n_levels} x {c.n_codes}" if c.n_levels > 1 else str(c.n_codes),
            "weights": str(self.weights_path_) if self.pretrained_ else "random (not pretrained)",
            "weights_sha256": self.weights_sha256_,
            "weights_licence": c.release.licence,
        }

    _ignore = ()

    def _adapt_state(self, state):
        return state

    def _randomise(self, net):
        """Random codebooks are left to torch's default initialisation."""

    def _n_model_times(self, sfreq, n_times):
        return int(round(n_times * self.contract.sfreq / sfreq))

    # ---------------------------------------------------------------- encoding
    def _prepared(self, data):
        """Epochs (µV) -> scaled single-channel rows at the tokenizer's rate, float32."""
        x = self._scale(self._resample(np.asarray(data, dtype=np.float64)))
        return x.reshape(-1, x.shape[-1]).astype(np.float32)

    def _codes(self, X):
        import torch

        check_is_fitted(self)
        ed = self._validate_epochs(X, reset=False)
        n, c = ed.n_epochs, self.n_channels_in_
        out = np.empty((n, self.n_levels_, c * self.n_frames_), dtype=np.int64)
        with torch.no_grad():
            for start in range(0, n, self.batch_size):
                batch = ed.data[start : start + self.batch_size]
                x = torch.as_tensor(self._prepared(batch), device=self.device)
                codes = self._encode(self.network_, x).cpu().numpy()  # (b * c, levels, frames)
                b = len(batch)
                codes = codes.reshape(b, c, self.n_levels_, self.n_frames_).transpose(0, 2, 1, 3)
                out[start : start + b] = codes.reshape(b, self.n_levels_, -1)
        return out

    def get_feature_names_out(self, input_features=None):
        """Names of the token positions, ``"<channel>_t<frame>"``, channel-major.

        Parameters
        ----------
        input_features : None
            Ignored (the input is epochs).

        Returns
        -------
        feature_names_out : ndarray of str, shape (n_tokens_,)
            One name per token position (per level for residual codes).
        """
        check_is_fitted(self)
        return np.asarray(
            [f"{ch}_t{t}" for ch in self.ch_names_in_ for t in range(self.n_frames_)], dtype=object
        )

    # Networks are pickled as state dicts and rebuilt (never deep-copied).
    def __getstate__(self):
        state = dict(self.__dict__)
        if "network_" in state:
            net = state.pop("network_")
            state["network_state_"] = {k: v.cpu() for k, v in net.state_dict().items()}
        return state

    def __setstate__(self, state):
        net_state = state.pop("network_state_", None)
        self.__dict__.update(state)
        if net_state is not None:
            net = self._new_network()
            net.load_state_dict(net_state)
            self.network_ = net.to(self.device).eval()

    def __sklearn_is_fitted__(self):
        return "network_" in self.__dict__
