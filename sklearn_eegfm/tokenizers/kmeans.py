"""Patch k-means tokenizer: a scikit-learn k-means codebook over per-channel patches."""

from __future__ import annotations

import numpy as np
from sklearn.cluster import KMeans, MiniBatchKMeans
from sklearn.utils import check_random_state

from .._validation import check_option, check_positive
from ..utils._docs import fill_doc
from ._base import BaseTokenizer


def _to_view(patches, view):
    """Patches -> the vectors the codebook clusters."""
    if view == "time":
        return patches
    # Amplitude and phase of the patch spectrum, the two targets of LaBraM's VQ-NSP
    # (935963004/LaBraM, modeling_vqnsp.py, VQNSP.forward); the phase as (cos, sin) so
    # that k-means distances do not jump at +-pi.
    n = patches.shape[-1]
    spectrum = np.fft.rfft(patches, axis=-1) / np.sqrt(n)
    angle = np.angle(spectrum)
    return np.concatenate([np.abs(spectrum), np.cos(angle), np.sin(angle)], axis=-1)


def _from_view(vectors, view, patch_len):
    """Codebook vectors -> patches (the inverse of :func:`_to_view`)."""
    if view == "time":
        return vectors
    n_freqs = patch_len // 2 + 1
    amplitude = np.clip(vectors[:, :n_freqs], 0, None)
    angle = np.arctan2(vectors[:, 2 * n_freqs :], vectors[:, n_freqs : 2 * n_freqs])
    spectrum = amplitude * np.sqrt(patch_len) * np.exp(1j * angle)
    return np.fft.irfft(spectrum, n=patch_len, axis=-1)


@fill_doc
class PatchKMeansTokenizer(BaseTokenizer):
    """Tokenize EEG with a k-means codebook over per-channel patches.

    Every channel of an epoch is cut into patches of ``patch_duration`` seconds every
    ``patch_step`` seconds; each patch (optionally z-scored with per-channel training
    statistics, optionally seen as its amplitude and phase spectrum) gets the index of
    its nearest k-means centroid. No torch: fast, and a baseline for learned tokenizers.

    Parameters
    ----------
    n_codes : int
        Codebook size (k-means clusters).
    patch_duration : float
        Patch length in seconds.
    patch_step : float | None
        Seconds between patch starts; None means ``patch_duration`` (no overlap).
    zscore : bool
        Standardise each channel with its mean and standard deviation over the training
        epochs before patching (undone by ``inverse_transform``).
    view : "time" | "fourier"
        Cluster the patch samples, or the patch spectrum as amplitude and phase (the
        targets of LaBraM's VQ-NSP); centroids are mapped back to samples for decoding.
    algorithm : "minibatch" | "full"
        :class:`~sklearn.cluster.MiniBatchKMeans` fed ``batch_size`` epochs at a time
        (memory flat in the number of epochs), or :class:`~sklearn.cluster.KMeans` on
        all training patches at once.
    max_iter : int
        Passes over the training epochs (mini-batch) or Lloyd iterations (full).
    batch_size : int
        Epochs per batch when fitting (mini-batch) and when tokenizing.
    random_state : int | None
        Seed of the centroid initialisation and the batch order.
    %(sfreq)s
    %(ch_names)s
    %(units)s

    Attributes
    ----------
    codebook_ : ndarray, shape (n_codes, n_features)
        Centroids in the clustering view (standardised units).
    n_codes_ : int
        Codebook size.
    patch_len_, patch_step_, n_patches_, n_tokens_ : int
        Patch length and step in samples, patches per channel, tokens per epoch.
    channel_mean_, channel_std_ : ndarray, shape (n_channels_in_,)
        Standardisation statistics in µV (0 and 1 when ``zscore=False``).
    code_counts_ : ndarray, shape (n_codes,)
        Code histogram on the training epochs.
    codebook_usage_, perplexity_, reconstruction_error_ : float
        Fraction of codes used, effective number of codes, and relative reconstruction
        error on the training epochs (see :meth:`reconstruction_error`).

    See Also
    --------
    VQTokenizer, RVQTokenizer, BagOfTokens

    Examples
    --------
    >>> from sklearn_eegfm.datasets import load_p300_demo
    >>> from sklearn_eegfm.tokenizers import PatchKMeansTokenizer
    >>> epochs = load_p300_demo()
    >>> tok = PatchKMeansTokenizer(n_codes=16, patch_duration=0.1).fit(epochs)
    >>> tok.transform(epochs[:2]).shape
    (2, 32)
    """

    def __init__(
        self,
        n_codes=64,
        *,
        patch_duration=0.125,
        patch_step=None,
        zscore=True,
        view="time",
        algorithm="minibatch",
        max_iter=5,
        batch_size=256,
        random_state=None,
        sfreq=None,
        ch_names=None,
        units=None,
    ):
        self.n_codes = n_codes
        self.patch_duration = patch_duration
        self.patch_step = patch_step
        self.zscore = zscore
        self.view = view
        self.algorithm = algorithm
        self.max_iter = max_iter
        self.batch_size = batch_size
        self.random_state = random_state
        self.sfreq = sfreq
        self.ch_names = ch_names
        self.units = units

    def _fit_codebook(self, data):
        check_option("view", self.view, ("time", "fourier"))
        check_option("algorithm", self.algorithm, ("minibatch", "full"))
        check_positive("max_iter", self.max_iter, integer=True)
        rng = check_random_state(self.random_state)
        seed = int(rng.randint(np.iinfo(np.int32).max))
        if self.algorithm == "full":
            km = KMeans(self.n_codes, n_init=1, max_iter=self.max_iter * 60, random_state=seed)
            km.fit(np.concatenate([_to_view(p, self.view) for p in self._iter_patches(data)]))
        else:
            km = MiniBatchKMeans(self.n_codes, n_init=1, random_state=seed)
            for _ in range(self.max_iter):
                pending = []
                for patches in self._iter_patches(data, rng):
                    pending.append(_to_view(patches, self.view))
                    # partial_fit initialises its centroids on the first batch, which
                    # needs at least n_codes rows; small batches are pooled until then.
                    if sum(map(len, pending)) >= 3 * self.n_codes:
                        km.partial_fit(np.concatenate(pending))
                        pending = []
                if pending and (
                    hasattr(km, "cluster_centers_") or sum(map(len, pending)) >= self.n_codes
                ):
                    km.partial_fit(np.concatenate(pending))
        self._kmeans = km
        self.codebook_ = km.cluster_centers_.copy()
        self._patch_codebook = _from_view(
            self.codebook_.astype(np.float64), self.view, self.patch_len_
        )

    def _encode(self, patches):
        return self._kmeans.predict(_to_view(patches, self.view).astype(self.codebook_.dtype))[
            :, None
        ]

    def _decode(self, codes):
        return self._patch_codebook[codes[:, 0]]
