"""Learned tokenizers: a small convolutional patch autoencoder with a VQ or residual-VQ bottleneck.

The quantisers come from ``vector-quantize-pytorch`` (EMA codebook updates, dead-code
restarts, commitment loss). The design follows the published EEG tokenizers at toy
scale: one code per channel patch as in LaBraM's VQ-NSP (Jiang et al. 2024), several
residual levels per patch as in NeuroRVQ and BioCodec.
"""

from __future__ import annotations

import numpy as np
from sklearn.utils import check_random_state

from .._validation import check_positive
from ..utils._docs import fill_doc
from ..utils._imports import import_optional_dependency
from ._base import BaseTokenizer


class _VQBase(BaseTokenizer):
    """Training and coding shared by :class:`VQTokenizer` and :class:`RVQTokenizer`."""

    def _make_quantizer(self):
        raise NotImplementedError

    def _quantizer_kwargs(self):
        ema = self.ema_decay is not None
        if ema and not 0 < self.ema_decay < 1:
            raise ValueError(f"ema_decay must lie in (0, 1) or be None; got {self.ema_decay}.")
        if self.commitment_weight < 0:
            raise ValueError(f"commitment_weight must be >= 0; got {self.commitment_weight}.")
        return dict(
            dim=self.code_dim,
            codebook_size=self.n_codes,
            commitment_weight=self.commitment_weight,
            # EMA updates (VQ-VAE-2, LaBraM's NormEMAVectorQuantizer) or a codebook
            # trained by gradient when ema_decay is None.
            decay=self.ema_decay if ema else 0.8,
            ema_update=ema,
            learnable_codebook=not ema,
            threshold_ema_dead_code=self.dead_code_threshold,
            kmeans_init=self.kmeans_init,
        )

    def _fit_codebook(self, data):
        import torch

        from ._autoencoder import PatchAutoencoder

        vq = import_optional_dependency("vector_quantize_pytorch", extra="tokenizers")
        for name in ("max_epochs", "code_dim", "hidden"):
            value = getattr(self, name)
            check_positive(name, value, integer=True)
        rng = check_random_state(self.random_state)
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(int(rng.randint(np.iinfo(np.int32).max)))
            module = PatchAutoencoder(
                self.patch_len_, self.code_dim, self.hidden, self._make_quantizer(vq)
            ).to(self.device)
            optimizer = torch.optim.Adam(
                [p for p in module.parameters() if p.requires_grad], lr=self.lr
            )
            self.history_ = []
            # k-means initialisation and dead-code restarts sample from one batch: it
            # must hold at least one vector per code.
            step = max(self.patch_batch_size, self.n_codes)
            module.train()
            for _ in range(self.max_epochs):
                total = n_seen = 0.0
                for patches in self._iter_patches(data, rng):
                    order = rng.permutation(len(patches))
                    for start in range(0, len(order), step):
                        rows = patches[order[start : start + step]]
                        x = torch.as_tensor(rows, dtype=torch.float32, device=self.device)
                        rec, _, vq_loss = module(x)
                        loss = torch.nn.functional.mse_loss(rec, x) + vq_loss
                        optimizer.zero_grad()
                        loss.backward()
                        optimizer.step()
                        total += float(loss.detach()) * len(rows)
                        n_seen += len(rows)
                self.history_.append(total / n_seen)
        module.eval()
        self.module_ = module

    def _encode(self, patches):
        import torch

        with torch.no_grad():
            x = torch.as_tensor(patches, dtype=torch.float32, device=self.device)
            _, codes, _ = self.module_.quantizer(self.module_.encode(x)[None])
        return codes[0].reshape(len(patches), -1).cpu().numpy().astype(np.int64)

    def _decode(self, codes):
        import torch

        with torch.no_grad():
            idx = torch.as_tensor(codes, device=self.device)
            idx = idx[None, :, 0] if not self._residual else idx[None]
            latent = self.module_.quantizer.get_output_from_indices(idx)[0]
            return self.module_.decode(latent).cpu().numpy().astype(np.float64)


_VQ_PARAMS = """n_codes : int
        Codebook size (per level for residual quantisation).
    patch_duration : float
        Patch length in seconds (LaBraM: 1 s at 200 Hz).
    patch_step : float | None
        Seconds between patch starts; None means ``patch_duration`` (no overlap).
    zscore : bool
        Standardise each channel with its training mean and standard deviation (undone
        by ``inverse_transform``)."""

_VQ_TRAINING = """code_dim : int
        Dimension of the latent vectors and codebook entries (LaBraM: 32).
    hidden : int
        Channels of the convolutional encoder and decoder.
    commitment_weight : float
        Weight of the commitment loss pulling encoder outputs to their codes.
    ema_decay : float | None
        Decay of exponential-moving-average codebook updates; None trains the codebook
        by gradient instead.
    dead_code_threshold : float
        Codes whose EMA cluster size falls below this are restarted on random encoder
        outputs of the batch (0 disables restarts).
    kmeans_init : bool
        Initialise the codebook with k-means on the first batch (as VQ-NSP does).
    max_epochs : int
        Passes over the training epochs.
    lr : float
        Adam learning rate.
    batch_size : int
        Epochs read per batch (fitting and tokenizing); memory stays flat in the number
        of epochs.
    patch_batch_size : int
        Patches per optimisation step (at least ``n_codes``, so that k-means
        initialisation and dead-code restarts see one vector per code).
    device : str
        Torch device, e.g. ``"cpu"`` or ``"cuda"``.
    random_state : int | None
        Seed of the initialisation and the batch order."""

_VQ_ATTRIBUTES = """module_ : torch.nn.Module
        The trained autoencoder (``encoder``, ``quantizer``, ``decoder``).
    history_ : list of float
        Training loss per pass.
    n_codes_, patch_len_, patch_step_, n_patches_, n_tokens_ : int
        Codebook size; patch length and step in samples; patches per channel; tokens
        per epoch per level.
    channel_mean_, channel_std_ : ndarray, shape (n_channels_in_,)
        Standardisation statistics in µV."""


def _fill_vq_doc(cls):
    cls.__doc__ = (
        cls.__doc__.replace("%(vq_params)s", _VQ_PARAMS)
        .replace("%(vq_training)s", _VQ_TRAINING)
        .replace("%(vq_attributes)s", _VQ_ATTRIBUTES)
    )
    return fill_doc(cls)


@_fill_vq_doc
class VQTokenizer(_VQBase):
    """Tokenize EEG with a learned vector-quantised patch autoencoder (VQ-VAE).

    Each channel patch is encoded by a small 1-D convolutional network into one latent
    vector, replaced by its nearest codebook entry, and decoded back; encoder, decoder
    and codebook are trained together by reconstruction, as in LaBraM's VQ-NSP neural
    tokenizer (which reconstructs the patch's Fourier amplitude and phase with a
    transformer; here a small convolutional network reconstructs the samples).

    Parameters
    ----------
    %(vq_params)s
    %(vq_training)s
    %(sfreq)s
    %(ch_names)s
    %(units)s

    Attributes
    ----------
    %(vq_attributes)s
    code_counts_ : ndarray, shape (n_codes,)
        Code histogram on the training epochs.
    codebook_usage_, perplexity_, reconstruction_error_ : float
        Fraction of codes used, effective number of codes and relative reconstruction
        error on the training epochs.

    See Also
    --------
    RVQTokenizer, PatchKMeansTokenizer, BagOfTokens

    References
    ----------
    .. [1] Jiang, W., Zhao, L., Lu, B. (2024). Large brain model for learning generic
       representations with tremendous EEG data in BCI. ICLR.

    Examples
    --------
    >>> from sklearn_eegfm.datasets import load_p300_demo
    >>> from sklearn_eegfm.tokenizers import VQTokenizer
    >>> epochs = load_p300_demo()[:64]
    >>> tok = VQTokenizer(n_codes=16, patch_duration=0.125, max_epochs=1).fit(epochs)
    >>> tok.transform(epochs[:2]).shape
    (2, 28)
    """

    def __init__(
        self,
        n_codes=128,
        *,
        patch_duration=0.125,
        patch_step=None,
        zscore=True,
        code_dim=16,
        hidden=16,
        commitment_weight=0.25,
        ema_decay=0.99,
        dead_code_threshold=1.0,
        kmeans_init=True,
        max_epochs=10,
        lr=3e-3,
        batch_size=256,
        patch_batch_size=256,
        device="cpu",
        random_state=None,
        sfreq=None,
        ch_names=None,
        units=None,
    ):
        self.n_codes = n_codes
        self.patch_duration = patch_duration
        self.patch_step = patch_step
        self.zscore = zscore
        self.code_dim = code_dim
        self.hidden = hidden
        self.commitment_weight = commitment_weight
        self.ema_decay = ema_decay
        self.dead_code_threshold = dead_code_threshold
        self.kmeans_init = kmeans_init
        self.max_epochs = max_epochs
        self.lr = lr
        self.batch_size = batch_size
        self.patch_batch_size = patch_batch_size
        self.device = device
        self.random_state = random_state
        self.sfreq = sfreq
        self.ch_names = ch_names
        self.units = units

    def _make_quantizer(self, vq):
        return vq.VectorQuantize(**self._quantizer_kwargs())


@_fill_vq_doc
class RVQTokenizer(_VQBase):
    """Tokenize EEG with a learned residual-vector-quantised patch autoencoder.

    Like :class:`VQTokenizer`, but each patch's latent vector is quantised by
    ``n_levels`` codebooks in turn, each coding what the previous levels left
    (residual VQ, as in SoundStream and the EEG codecs NeuroRVQ and BioCodec): codes
    have shape ``(n_epochs, n_levels, n_tokens)`` and coarse levels come first.

    Parameters
    ----------
    %(vq_params)s
    n_levels : int
        Number of residual quantisation levels.
    %(vq_training)s
    %(sfreq)s
    %(ch_names)s
    %(units)s

    Attributes
    ----------
    %(vq_attributes)s
    n_levels_ : int
        Residual levels.
    code_counts_ : ndarray, shape (n_levels, n_codes)
        Code histogram per level on the training epochs.
    codebook_usage_, perplexity_ : ndarray, shape (n_levels,)
        Per level, on the training epochs.
    reconstruction_error_ : float
        Relative reconstruction error on the training epochs (all levels).

    See Also
    --------
    VQTokenizer, PatchKMeansTokenizer, BagOfTokens

    References
    ----------
    .. [1] Zeghidour, N. et al. (2021). SoundStream: an end-to-end neural audio codec.
       IEEE/ACM TASLP.

    Examples
    --------
    >>> from sklearn_eegfm.datasets import load_p300_demo
    >>> from sklearn_eegfm.tokenizers import RVQTokenizer
    >>> epochs = load_p300_demo()[:64]
    >>> tok = RVQTokenizer(n_codes=16, n_levels=3, max_epochs=1).fit(epochs)
    >>> tok.transform(epochs[:2]).shape
    (2, 3, 28)
    """

    _residual = True

    def __init__(
        self,
        n_codes=64,
        *,
        n_levels=4,
        patch_duration=0.125,
        patch_step=None,
        zscore=True,
        code_dim=16,
        hidden=16,
        commitment_weight=0.25,
        ema_decay=0.99,
        dead_code_threshold=1.0,
        kmeans_init=True,
        max_epochs=10,
        lr=3e-3,
        batch_size=256,
        patch_batch_size=256,
        device="cpu",
        random_state=None,
        sfreq=None,
        ch_names=None,
        units=None,
    ):
        self.n_codes = n_codes
        self.n_levels = n_levels
        self.patch_duration = patch_duration
        self.patch_step = patch_step
        self.zscore = zscore
        self.code_dim = code_dim
        self.hidden = hidden
        self.commitment_weight = commitment_weight
        self.ema_decay = ema_decay
        self.dead_code_threshold = dead_code_threshold
        self.kmeans_init = kmeans_init
        self.max_epochs = max_epochs
        self.lr = lr
        self.batch_size = batch_size
        self.patch_batch_size = patch_batch_size
        self.device = device
        self.random_state = random_state
        self.sfreq = sfreq
        self.ch_names = ch_names
        self.units = units

    def _make_quantizer(self, vq):
        n = self.n_levels
        check_positive("n_levels", n, integer=True)
        self.n_levels_ = n
        return vq.ResidualVQ(num_quantizers=n, **self._quantizer_kwargs())
