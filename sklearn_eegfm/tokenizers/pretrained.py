"""Published EEG tokenizers with pretrained codebooks: LaBraM's VQ-NSP neural tokenizer.

The VQ-NSP encoder is the LaBraM transformer in its "neural tokenizer" mode (temporal
convolution patch embedding), which braindecode ships as
``braindecode.models.Labram(neural_tokenizer=True)``; it is reused here, and the models'
checkpoint layouts map the authors' key names onto it. The quantiser is the authors'
codebook lookup (l2-normalised latent vectors, nearest code), small enough to be written
from the paper.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted

# The shared weights rules (safe reading, strict key and shape checks, sha256): the
# same ones the foundation models apply.
from .. import _hub
from .._checkpoint_layouts import LABRAM_NEURAL_TRANSFORMER
from .._checkpoints import (
    CheckpointError,
    WeightsNotFoundError,
    home_dir,
    load_checked,
    read_state_dict,
    sha256_file,
)
from .._data import EpochsInputMixin
from .._signal import resample_factors
from ..utils._docs import fill_doc
from ._base import CodeStatistics


@dataclass(frozen=True)
class TokenizerRelease:
    """Where a published tokenizer's checkpoint comes from, and under which terms.

    Attributes
    ----------
    name : str
        Key, e.g. ``"labram-vqnsp"``.
    source : str
        Where the authors publish the checkpoint.
    folder : str
        Sub-folder of ``$SKLEARN_EEGFM_HOME`` searched for ``filename``.
    filename : str
        The checkpoint's file name.
    licence : str
        Licence of the weights, recorded in ``licence_``.
    sha256 : str | None
        Digest of the published file when known (checked when given).
    hub_repo : str | None
        The Hugging Face repository that publishes the file; None when the authors
        publish it elsewhere only (then it is never downloaded).
    hub_file : str | None
        The file's path inside ``hub_repo``.
    """

    name: str
    source: str
    folder: str
    filename: str
    licence: str
    sha256: str | None = None
    hub_repo: str | None = None
    hub_file: str | None = None

    @property
    def cache_path(self):
        """Where the file goes by hand: ``$SKLEARN_EEGFM_HOME/<folder>/<filename>``."""
        return home_dir() / self.folder / self.filename


#: The published tokenizers this module can load.
RELEASES = {
    "labram-vqnsp": TokenizerRelease(
        name="labram-vqnsp",
        source="https://github.com/935963004/LaBraM/blob/main/checkpoints/vqnsp.pth",
        folder="935963004/LaBraM",
        filename="vqnsp.pth",
        licence="MIT (Copyright (c) 2024 Weibang Jiang)",
    ),
}

# Checkpoint parts the tokenizer does not run: the decoder (it predicts standardised
# Fourier amplitudes and phases, not signals), its heads and the EMA statistics.
_UNUSED = ("decoder.", "decode_task_layer", "quantize.embedding.cluster_size",
           "quantize.embedding.embed_avg", "quantize.embedding.initted",
           "quantize.cluster_size", "loss", "teacher", "scaling")  # fmt: skip


def labram_vqnsp_config(depth=12, n_codes=8192, code_dim=32):
    """Architecture of LaBraM's VQ-NSP encoder (the published base tokenizer by default).

    Parameters
    ----------
    depth : int
        Transformer blocks of the encoder (12 in ``vqnsp_encoder_base_decoder_3x200x12``).
    n_codes : int
        Codebook size (8192).
    code_dim : int
        Codebook dimension (32).

    Returns
    -------
    config : dict
        Keyword arguments of :class:`LaBraMTokenizer`'s network.
    """
    # 935963004/LaBraM modeling_vqnsp.py, get_model_default_params and
    # vqnsp_encoder_base_decoder_3x200x12: embed_dim 200, 10 heads, qkv_bias, no
    # qk-norm, init_values 0 (no layer scale), mean pooling (fc_norm), patch 200.
    return dict(depth=depth, n_codes=n_codes, code_dim=code_dim, embed_dim=200, patch_len=200)


def find_release(release, home=None):
    """Look for a published tokenizer's checkpoint in the local cache (or a folder like it).

    Parameters
    ----------
    release : TokenizerRelease
        The tokenizer.
    home : Path | None
        The cache folder; ``$SKLEARN_EEGFM_HOME`` when None.

    Returns
    -------
    path : Path | None
        ``<home>/<folder>/<filename>``, else the hub repository's file in the hub
        layout or as a plain ``<home>/<hub_repo>/<hub_file>`` folder (what a download
        leaves), else None.
    """
    home = Path(home) if home is not None else home_dir()
    if (home / release.folder / release.filename).is_file():
        return home / release.folder / release.filename
    if release.hub_repo is None:
        return None
    return _hub.find_in_cache((release.hub_repo,), (release.hub_file, release.filename), home)


def resolve_release(release, weights):
    """Find a published tokenizer's checkpoint: a path, the local cache, then the hub.

    Parameters
    ----------
    release : TokenizerRelease
        The tokenizer.
    weights : "auto" | str | Path
        ``"auto"``: the local cache (:func:`find_release`), then a download from
        ``release.hub_repo`` into it (unless ``HF_HUB_OFFLINE`` is set or the hub cannot
        be reached); a path: that file, or a folder holding ``filename``.

    Returns
    -------
    path : Path
        The checkpoint (read afterwards with safetensors or
        ``torch.load(weights_only=True)``, every key checked).
    """
    where = (
        f"Put {release.filename} (from {release.source}; licence: {release.licence}) at "
        f"{release.cache_path} (or set SKLEARN_EEGFM_HOME), or pass "
        f"weights='/path/to/{release.filename}'."
    )
    if isinstance(weights, str) and weights == "auto":
        found = find_release(release)
        if found is not None:
            return found
        if release.hub_repo is None:
            raise WeightsNotFoundError(
                f"The {release.name} checkpoint is not at {release.cache_path}; it is not "
                "downloaded automatically (its authors publish it on GitHub, on no model hub "
                f"known here). {where}"
            )
        return _hub.download_or_explain(
            f"the {release.name} tokenizer",
            (release.hub_repo,),
            (release.hub_file,),
            where,
            fix=f"Download it on a machine with network and copy {home_dir()} here.",
        )
    path = Path(weights).expanduser()
    if path.is_dir():
        path = path / release.filename
    if path.is_file():
        return path
    raise WeightsNotFoundError(f"The {release.name} checkpoint is not at {path}. {where}")


def resolve_checked_release(release, weights, expected=None):
    """Find a published tokenizer's checkpoint (:func:`resolve_release`) and check it.

    Parameters
    ----------
    release : TokenizerRelease
        The tokenizer.
    weights : "auto" | str | Path
        As in :func:`resolve_release`.
    expected : str | None
        The sha256 the file must have; not checked when None.

    Returns
    -------
    path : Path
        The checkpoint.
    digest : str
        Its sha256.
    """
    path = resolve_release(release, weights)
    digest = sha256_file(path)
    if expected is not None and digest != expected:
        raise CheckpointError(
            f"{path} has sha256 {digest}, not the expected {expected}: a different or "
            f"corrupt file. Download it again from {release.source}"
        )
    return path, digest


def _split_labram(state):
    """Split the authors' VQ-NSP state into the encoder (its own key names) and the rest.

    The encoder's keys are those of LaBraM's NeuralTransformer, which the models'
    checkpoint layouts map onto braindecode's ``Labram`` when loading.
    """
    encoder = {k[len("encoder.") :]: v for k, v in state.items() if k.startswith("encoder.")}
    other = {k: v for k, v in state.items() if not k.startswith("encoder.")}
    return encoder, other


@fill_doc
class LaBraMTokenizer(CodeStatistics, EpochsInputMixin, TransformerMixin, BaseEstimator):
    """LaBraM's pretrained VQ-NSP neural tokenizer: one code in 8192 per channel-second.

    Epochs are resampled to 200 Hz, cropped to whole seconds, scaled to LaBraM's units
    (µV / 100) and encoded by the VQ-NSP transformer; each 1-s patch of each channel gets
    the index of its nearest code (cosine similarity), as in LaBraM's masked-EEG
    pretraining targets (Jiang et al. 2024).

    Parameters
    ----------
    weights : "auto" | str | Path
        The authors' ``vqnsp.pth`` (``"auto"``: ``$SKLEARN_EEGFM_HOME/935963004/LaBraM/
        vqnsp.pth``), read with ``torch.load(weights_only=True)`` or safetensors, every key
        and shape checked.
    sha256 : str | None
        Expected sha256 of the checkpoint; a different file is refused.
    depth : int
        Encoder blocks (12 for the published tokenizer; smaller for tests).
    %(batch_size)s
    %(device)s
    %(sfreq)s
    %(ch_names)s
    %(units)s

    Attributes
    ----------
    codebook_ : ndarray, shape (n_codes_, code_dim)
        The codebook (unit vectors in the published checkpoint).
    n_codes_, n_patches_, n_tokens_ : int
        Codebook size, 1-s patches per channel, tokens per epoch (channel-major).
    weights_path_ : Path
        The checkpoint loaded.
    weights_sha256_ : str
        Its sha256.
    licence_ : str
        Licence of the weights.
    preprocessing_ : list of str
        Resampling, cropping and scaling applied.

    See Also
    --------
    VQTokenizer : a small VQ tokenizer trained on your own data.

    Notes
    -----
    On a randomly initialised ``vqnsp_encoder_base_decoder_3x200x12`` built with the
    authors' code (935963004/LaBraM @c431221), saved and loaded here, the codes equal
    the authors' ``VQNSP.get_codebook_indices`` for 5 channels x 3 s (90 of 90 tokens).

    References
    ----------
    .. [1] Jiang, W., Zhao, L., Lu, B. (2024). Large brain model for learning generic
       representations with tremendous EEG data in BCI. ICLR.
    """

    _residual = False  # one code per token

    def __init__(
        self,
        weights="auto",
        *,
        sha256=None,
        depth=12,
        batch_size=64,
        device="cpu",
        sfreq=None,
        ch_names=None,
        units=None,
    ):
        self.weights = weights
        self.sha256 = sha256
        self.depth = depth
        self.batch_size = batch_size
        self.device = device
        self.sfreq = sfreq
        self.ch_names = ch_names
        self.units = units

    # ----------------------------------------------------------------- network
    def _build(self, n_chans, n_times):
        import torch
        from torch import nn

        from ..utils._imports import import_braindecode

        cfg = labram_vqnsp_config(depth=self.depth)
        labram = import_braindecode("models").Labram
        encoder = labram(
            n_chans=n_chans,
            n_times=n_times,
            n_outputs=0,
            patch_size=cfg["patch_len"],
            embed_dim=cfg["embed_dim"],
            num_layers=cfg["depth"],
            num_heads=10,
            qkv_bias=True,
            qk_norm=None,
            init_values=0.0,
            use_mean_pooling=True,
            neural_tokenizer=True,
        )
        d = cfg["embed_dim"]
        task = nn.Sequential(nn.Linear(d, d), nn.Tanh(), nn.Linear(d, cfg["code_dim"]))
        return encoder.to(self.device).eval(), task.to(self.device).eval(), torch

    def fit(self, X, y=None):
        """Load the pretrained tokenizer and check that it can read ``X``.

        Parameters
        ----------
        X : mne.Epochs | list of mne.Epochs | EpochsData | ndarray
            Epochs (arrays need ``sfreq``, ``ch_names`` and ``units``); channels must be
            in LaBraM's vocabulary and epochs at least 1 s long.
        y : None
            Ignored.

        Returns
        -------
        self : object
            The tokenizer, ready to transform (no training happens).
        """
        release = RELEASES["labram-vqnsp"]
        ed = self._validate_epochs(X, reset=True)
        up, down = self._plan_input(ed)
        path, digest = resolve_checked_release(release, self.weights, self.sha256)
        encoder, task, codebook = self._load(path, release, len(ed.ch_names))
        # Used as stored: EMA updates keep it l2-normalised (norm_ema_quantizer.py,
        # norm_ema_inplace), and the authors' distance reads it without renormalising.
        self.codebook_ = codebook
        self.n_codes_ = len(self.codebook_)
        self.n_tokens_ = self.n_channels_in_ * self.n_patches_
        self.weights_path_ = path
        self.weights_sha256_ = digest
        self.licence_ = release.licence
        self._encoder, self._task = encoder, task
        self._up_down = (up, down)
        return self

    def _plan_input(self, ed):
        """Check channels and length against VQ-NSP; set ``n_patches_``, ``preprocessing_``."""
        from ..utils._imports import import_braindecode

        vocabulary = import_braindecode("models.labram").LABRAM_CHANNEL_ORDER
        vocab = {c.upper() for c in vocabulary}
        unknown = [c for c in ed.ch_names if c.upper() not in vocab]
        if unknown:
            raise ValueError(
                f"Channels {unknown} are not in LaBraM's 128-channel vocabulary "
                "(braindecode.models.labram.LABRAM_CHANNEL_ORDER); rename them "
                "(epochs.rename_channels) or drop them (epochs.drop_channels)."
            )
        up, down = resample_factors(ed.sfreq, 200.0)
        n_200 = -(-ed.n_times * up // down)
        self.n_patches_ = n_200 // 200
        if self.n_patches_ < 1:
            raise ValueError(
                f"Epochs last {ed.n_times / ed.sfreq:.3g} s, shorter than one 1-s VQ-NSP "
                "patch. Epoch longer windows (mne.Epochs(..., tmin, tmax))."
            )
        if self.n_patches_ > 16:
            raise ValueError(
                f"Epochs of {self.n_patches_} s exceed VQ-NSP's 16 temporal positions; crop "
                "them (epochs.crop) or cut them into shorter windows."
            )
        self.preprocessing_ = [
            f"resampled {ed.sfreq:g} -> 200 Hz" if (up, down) != (1, 1) else "kept 200 Hz",
            f"cropped to {self.n_patches_} s",
            "scaled uV -> uV/100",
        ]
        return up, down

    def _load(self, path, release, n_channels):
        """Build the encoder and task layer from the checkpoint, strictly; the codebook."""
        encoder_state, other = _split_labram(read_state_dict(path))
        encoder, task, _ = self._build(n_channels, self.n_patches_ * 200)
        n_time = encoder.state_dict()["temporal_embedding"].shape[1]
        key = "time_embed"
        if key in encoder_state and encoder_state[key].shape[1] > n_time:
            # Published with 16 temporal positions; like the authors' forward, use the
            # first ones (modeling_finetune.py, NeuralTransformer.forward_features).
            encoder_state[key] = encoder_state[key][:, :n_time]
        load_checked(
            encoder,
            encoder_state,
            source=f"{path} (encoder)",
            layouts=(LABRAM_NEURAL_TRANSFORMER,),
        )
        task_state = {
            k[len("encode_task_layer.") :]: v
            for k, v in other.items()
            if k.startswith("encode_task_layer.")
        }
        load_checked(task, task_state, source=f"{path} (encode_task_layer)")
        leftover = sorted(
            k
            for k in other
            if not k.startswith(("encode_task_layer.", "quantize.embedding.weight", *_UNUSED))
        )
        if leftover or "quantize.embedding.weight" not in other:
            raise CheckpointError(
                f"{path} is not a VQ-NSP checkpoint: unexpected keys {leftover[:8]}"
                + ("" if "quantize.embedding.weight" in other else ", no codebook")
                + ". Use the authors' vqnsp.pth from "
                + release.source
            )
        return encoder, task, other["quantize.embedding.weight"].float().numpy()

    def _prepare(self, data):
        from scipy.signal import resample_poly

        up, down = self._up_down
        if (up, down) != (1, 1):
            data = resample_poly(data, up, down, axis=-1)
        return (data[..., : self.n_patches_ * 200] * 0.01).astype(np.float32)

    def transform(self, X):
        """Tokenize epochs, batch by batch.

        Parameters
        ----------
        X : mne.Epochs | list of mne.Epochs | EpochsData | ndarray
            Epochs with the channels, rate and length seen in ``fit``.

        Returns
        -------
        codes : ndarray of int64, shape (n_epochs, n_tokens_)
            Channel-major: token ``c * n_patches_ + p`` is second ``p`` of channel ``c``.
        """
        import torch

        check_is_fitted(self)
        ed = self._validate_epochs(X, reset=False)
        codebook = torch.as_tensor(self.codebook_, device=self.device)
        names = list(ed.ch_names)
        out = np.empty((ed.n_epochs, self.n_tokens_), dtype=np.int64)
        with torch.no_grad():
            for start in range(0, ed.n_epochs, self.batch_size):
                x = torch.as_tensor(
                    self._prepare(ed.data[start : start + self.batch_size]), device=self.device
                )
                feats = self._encoder(x, return_patch_tokens=True, ch_names=names)
                z = torch.nn.functional.normalize(self._task(feats), dim=-1)
                # (modeling_vqnsp.py, VQNSP.encode; norm_ema_quantizer.py, forward):
                # nearest code in squared distance between unit vectors.
                dist = (z**2).sum(-1, keepdim=True) + (codebook**2).sum(-1) - 2 * z @ codebook.T
                out[start : start + len(x)] = dist.argmin(-1).cpu().numpy()
        return out

    def inverse_transform(self, codes):
        """Not available: VQ-NSP's decoder predicts spectra, not signals.

        Parameters
        ----------
        codes : array of int
            Codes from :meth:`transform`.

        Returns
        -------
        None
            Always raises.
        """
        raise NotImplementedError(
            "LaBraM's VQ-NSP decoder predicts the Fourier amplitude and phase of each patch, "
            "each standardised per sample, so signals in volts cannot be rebuilt from its "
            "codes. Use codebook_ for the code vectors, or VQTokenizer/RVQTokenizer for a "
            "tokenizer with inverse_transform."
        )

    # braindecode's Labram holds a lambda and cannot be pickled: pickle the state dicts
    # and rebuild the network from them (as the models do, never by deepcopy).
    def __getstate__(self):
        state = dict(self.__dict__)
        for name in ("_encoder", "_task"):
            if name in state:
                net = state.pop(name)
                state[name + "_state"] = {k: v.cpu() for k, v in net.state_dict().items()}
        return state

    def __setstate__(self, state):
        encoder_state = state.pop("_encoder_state", None)
        task_state = state.pop("_task_state", None)
        self.__dict__.update(state)
        if encoder_state is not None:
            encoder, task, _ = self._build(self.n_channels_in_, self.n_patches_ * 200)
            encoder.load_state_dict(encoder_state)
            task.load_state_dict(task_state)
            self._encoder, self._task = encoder, task
