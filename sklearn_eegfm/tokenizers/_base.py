"""What every tokenizer shares: the patch layout, batching, decoding checks and metrics.

A tokenizer cuts each channel of an epoch into patches (``patch_duration`` seconds every
``patch_step`` seconds) and gives every patch one integer code per quantisation level.
Codes are laid out channel-major: token ``c * n_patches_ + p`` is patch ``p`` of channel
``c``. Subclasses implement ``_fit_codebook``, ``_encode`` and ``_decode``; this module
does the input layer, the streaming over batches and the bookkeeping.
"""

from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted

from .._data import UNIT_TO_UV, EpochsInputMixin
from .._validation import check_positive


def patch_plan(sfreq, n_times, patch_duration, patch_step):
    """Patch length, step and count, in samples, for epochs of ``n_times`` samples.

    Parameters
    ----------
    sfreq : float
        Sampling rate in Hz.
    n_times : int
        Samples per epoch.
    patch_duration : float
        Patch length in seconds.
    patch_step : float | None
        Seconds between patch starts; None means ``patch_duration`` (no overlap).

    Returns
    -------
    patch_len, step, n_patches : int
        Samples per patch, samples between patch starts, patches per channel.
    """
    if not patch_duration > 0:
        raise ValueError(
            f"patch_duration must be a positive number of seconds; got {patch_duration}."
        )
    if patch_step is not None and not patch_step > 0:
        raise ValueError(f"patch_step must be a positive number of seconds; got {patch_step}.")
    patch_len = int(round(patch_duration * sfreq))
    step = patch_len if patch_step is None else int(round(patch_step * sfreq))
    if patch_len < 2 or step < 1:
        raise ValueError(
            f"patch_duration={patch_duration} s (step {patch_step} s) is shorter than two samples "
            f"at {sfreq:g} Hz; use longer patches."
        )
    if n_times < patch_len:
        raise ValueError(
            f"Epochs have {n_times} samples ({n_times / sfreq:.3g} s), shorter than one patch of "
            f"{patch_len} samples ({patch_duration} s). Use a shorter patch_duration or longer "
            "epochs (mne.Epochs(..., tmin, tmax))."
        )
    return patch_len, step, 1 + (n_times - patch_len) // step


def extract_patches(data, patch_len, step):
    """Cut epochs into patches, channel-major.

    Parameters
    ----------
    data : ndarray, shape (n_epochs, n_channels, n_times)
        Epochs.
    patch_len, step : int
        Patch length and step in samples.

    Returns
    -------
    patches : ndarray, shape (n_epochs, n_channels, n_patches, patch_len)
        A view when possible.
    """
    windows = np.lib.stride_tricks.sliding_window_view(data, patch_len, axis=-1)
    return windows[:, :, ::step]


def overlap_add(patches, step, n_times):
    """Put patches back on the time axis, averaging where they overlap.

    Parameters
    ----------
    patches : ndarray, shape (n_epochs, n_channels, n_patches, patch_len)
        Patches.
    step : int
        Samples between patch starts.
    n_times : int
        Length of the output.

    Returns
    -------
    data : ndarray, shape (n_epochs, n_channels, n_times)
        Samples after the last patch (not encoded) are zero.
    """
    n_epochs, n_channels, n_patches, patch_len = patches.shape
    out = np.zeros((n_epochs, n_channels, n_times), dtype=np.float64)
    weight = np.zeros(n_times)
    for p in range(n_patches):
        out[..., p * step : p * step + patch_len] += patches[:, :, p]
        weight[p * step : p * step + patch_len] += 1
    covered = weight > 0
    out[..., covered] /= weight[covered]
    return out


def code_statistics(counts):
    """Usage and perplexity of a codebook from its code counts.

    Parameters
    ----------
    counts : ndarray, shape (n_codes,)
        How often each code was used.

    Returns
    -------
    usage : float
        Fraction of codes used at least once.
    perplexity : float
        ``exp`` of the entropy of the code distribution: the effective number of codes
        (1 when one code takes everything, ``n_codes`` when all are equally used).
    """
    counts = np.asarray(counts, dtype=float)
    total = counts.sum()
    if total == 0:
        return 0.0, 0.0
    p = counts[counts > 0] / total
    return float((counts > 0).mean()), float(np.exp(-(p * np.log(p)).sum()))


class CodeStatistics:
    """``code_counts``, ``perplexity`` and ``codebook_usage`` of a fitted tokenizer.

    Needs ``transform``, ``n_codes_`` and ``_residual`` (codes keep a level axis). Also
    the tokenizers' scikit-learn tags (integer codes out) and fitted check (``n_codes_``).
    """

    def __sklearn_is_fitted__(self):
        return "n_codes_" in self.__dict__

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.transformer_tags.preserves_dtype = []  # integer token codes, whatever the input
        return tags

    def code_counts(self, X):
        """Count how often each code is used on epochs ``X``.

        Parameters
        ----------
        X : mne.Epochs | list of mne.Epochs | EpochsData | ndarray
            Epochs as for :meth:`transform`.

        Returns
        -------
        counts : ndarray of int64, shape (n_codes_,) or (n_levels_, n_codes_)
            Code histogram (per level for residual tokenizers).
        """
        codes = self.transform(X)
        codes = codes if self._residual else codes[:, np.newaxis]
        counts = np.stack(
            [
                np.bincount(codes[:, lv].ravel(), minlength=self.n_codes_)
                for lv in range(codes.shape[1])
            ]
        )
        return counts if self._residual else counts[0]

    def perplexity(self, X):
        """Effective number of codes used on ``X``: ``exp`` of the code entropy.

        Parameters
        ----------
        X : mne.Epochs | list of mne.Epochs | EpochsData | ndarray
            Epochs as for :meth:`transform`.

        Returns
        -------
        perplexity : float | ndarray, shape (n_levels_,)
            Between 1 (collapse: one code) and ``n_codes_`` (uniform use).
        """
        counts = np.atleast_2d(self.code_counts(X))
        values = np.array([code_statistics(c)[1] for c in counts])
        return values if self._residual else float(values[0])

    def codebook_usage(self, X):
        """Fraction of the codebook used at least once on ``X``.

        Parameters
        ----------
        X : mne.Epochs | list of mne.Epochs | EpochsData | ndarray
            Epochs as for :meth:`transform`.

        Returns
        -------
        usage : float | ndarray, shape (n_levels_,)
            Between ``1 / n_codes_`` and 1.
        """
        counts = np.atleast_2d(self.code_counts(X))
        values = np.array([code_statistics(c)[0] for c in counts])
        return values if self._residual else float(values[0])


class BaseTokenizer(CodeStatistics, EpochsInputMixin, TransformerMixin, BaseEstimator):
    """Shared fit/transform/inverse_transform of patch tokenizers.

    Subclasses define the parameters ``patch_duration``, ``patch_step``, ``zscore``,
    ``n_codes``, ``batch_size``, ``sfreq``, ``ch_names`` and ``units``, and implement:

    - ``_fit_codebook(data)``: learn the codebook from training epochs (µV), reading
      them through :meth:`_iter_patches`;
    - ``_encode(patches)``: ``(n, patch_len)`` standardised patches -> ``(n, n_levels)`` codes;
    - ``_decode(codes)``: ``(n, n_levels)`` codes -> ``(n, patch_len)`` standardised patches.
    """

    _residual = False  # output codes keep the level axis

    # ----------------------------------------------------------------- fitting
    def fit(self, X, y=None):
        """Learn the codebook from training epochs.

        Parameters
        ----------
        X : mne.Epochs | list of mne.Epochs | EpochsData | ndarray
            Epochs, shape (n_epochs, n_channels, n_times) for arrays, which need
            ``sfreq``, ``ch_names`` and ``units``.
        y : None
            Ignored.

        Returns
        -------
        self : object
            The fitted tokenizer.
        """
        ed = self._validate_epochs(X, reset=True)
        self.units_in_ = self.units or "V"
        self.patch_len_, self.patch_step_, self.n_patches_ = patch_plan(
            ed.sfreq, ed.n_times, self.patch_duration, self.patch_step
        )
        self.n_tokens_ = self.n_channels_in_ * self.n_patches_
        self._check_params()
        n_train = ed.n_epochs * self.n_tokens_
        if self.n_codes > n_train:
            raise ValueError(
                f"n_codes={self.n_codes} is larger than the number of training patches "
                f"({n_train} = {ed.n_epochs} epochs x {self.n_channels_in_} channels x "
                f"{self.n_patches_} patches): most codes could never be used. Use "
                f"n_codes <= {n_train}, a shorter patch_step, or more training epochs."
            )
        if self.zscore:
            # Per-channel statistics of the training data: invertible, unlike a per-patch
            # z-score, so that inverse_transform can return amplitudes.
            self.channel_mean_ = ed.data.mean(axis=(0, 2), dtype=np.float64)
            self.channel_std_ = ed.data.std(axis=(0, 2), dtype=np.float64)
            self.channel_std_[self.channel_std_ == 0] = 1.0
        else:
            self.channel_mean_ = np.zeros(self.n_channels_in_)
            self.channel_std_ = np.ones(self.n_channels_in_)
        self._fit_codebook(ed.data)
        self.n_codes_ = self.n_codes
        counts, sq_err, sq_norm = self._scan(ed.data)
        self.code_counts_ = counts if self._residual else counts[0]
        usage, perplexity = zip(*(code_statistics(c) for c in counts))
        self.codebook_usage_ = np.array(usage) if self._residual else usage[0]
        self.perplexity_ = np.array(perplexity) if self._residual else perplexity[0]
        self.reconstruction_error_ = sq_err / sq_norm
        return self

    def _check_params(self):
        for name in ("n_codes", "batch_size"):
            check_positive(name, getattr(self, name), integer=True)

    # ---------------------------------------------------------------- encoding
    def _batches(self, n):
        for start in range(0, n, self.batch_size):
            yield slice(start, min(n, start + self.batch_size))

    def _flat_patches(self, data):
        """Standardised patches of epochs in µV, shape (n_epochs * n_tokens, patch_len)."""
        data = (data - self.channel_mean_[:, None]) / self.channel_std_[:, None]
        patches = extract_patches(data, self.patch_len_, self.patch_step_)
        # A copy: the window view is read-only, which torch.as_tensor warns about.
        return np.array(patches, order="C").reshape(-1, self.patch_len_)

    def _iter_patches(self, data, rng=None):
        """Yield standardised training patches, ``batch_size`` epochs at a time.

        With ``rng``, epochs are visited in a random order (mini-batch training).
        """
        order = np.arange(len(data)) if rng is None else rng.permutation(len(data))
        for sl in self._batches(len(data)):
            idx = np.sort(order[sl])
            yield self._flat_patches(np.asarray(data[idx], dtype=np.float64))

    def _encode_epochs(self, data):
        """Codes of epochs in µV, shape (n_epochs, n_levels, n_tokens)."""
        n = len(data)
        codes = self._encode(self._flat_patches(data))  # (n * n_tokens, n_levels)
        return codes.reshape(n, self.n_tokens_, -1).transpose(0, 2, 1)

    def _decode_epochs(self, codes):
        """Epochs in µV from codes of shape (n_epochs, n_levels, n_tokens)."""
        n, n_levels, _ = codes.shape
        flat = codes.transpose(0, 2, 1).reshape(-1, n_levels)
        patches = self._decode(flat).reshape(
            n, self.n_channels_in_, self.n_patches_, self.patch_len_
        )
        patches = patches * self.channel_std_[:, None, None] + self.channel_mean_[:, None, None]
        return overlap_add(patches, self.patch_step_, self.n_times_in_)

    def _scan(self, data):
        """Code counts and squared reconstruction error over epochs, batch by batch."""
        n_levels = getattr(self, "n_levels_", 1)
        counts = np.zeros((n_levels, self.n_codes_), dtype=np.int64)
        covered = self._covered()
        sq_err = sq_norm = 0.0
        for sl in self._batches(len(data)):
            batch = np.asarray(data[sl], dtype=np.float64)
            codes = self._encode_epochs(batch)
            for level in range(n_levels):
                counts[level] += np.bincount(codes[:, level].ravel(), minlength=self.n_codes_)
            rec = self._decode_epochs(codes)
            target = batch[..., covered]
            sq_err += float(((rec[..., covered] - target) ** 2).sum())
            sq_norm += float(((target - target.mean(axis=-1, keepdims=True)) ** 2).sum())
        return counts, sq_err, max(sq_norm, np.finfo(float).tiny)

    def _covered(self):
        covered = np.zeros(self.n_times_in_, dtype=bool)
        covered[: (self.n_patches_ - 1) * self.patch_step_ + self.patch_len_] = True
        return covered

    def transform(self, X):
        """Tokenize epochs, batch by batch.

        Parameters
        ----------
        X : mne.Epochs | list of mne.Epochs | EpochsData | ndarray
            Epochs with the channels, rate and length seen in ``fit``.

        Returns
        -------
        codes : ndarray of int64, shape (n_epochs, n_tokens_) or (n_epochs, n_levels_, n_tokens_)
            One code per patch (per level for residual tokenizers), channel-major: token
            ``c * n_patches_ + p`` is patch ``p`` of channel ``c``.
        """
        check_is_fitted(self)
        ed = self._validate_epochs(X, reset=False)
        out = np.empty((ed.n_epochs, getattr(self, "n_levels_", 1), self.n_tokens_), np.int64)
        for sl in self._batches(ed.n_epochs):
            out[sl] = self._encode_epochs(np.asarray(ed.data[sl], dtype=np.float64))
        return out if self._residual else out[:, 0]

    def fit_transform(self, X, y=None):
        """Fit the codebook, then tokenize ``X``.

        Parameters
        ----------
        X : mne.Epochs | list of mne.Epochs | EpochsData | ndarray
            Epochs.
        y : None
            Ignored.

        Returns
        -------
        codes : ndarray of int64
            As :meth:`transform`.
        """
        return self.fit(X).transform(X)

    # ---------------------------------------------------------------- decoding
    def _check_codes(self, codes):
        codes = np.asarray(codes)
        n_levels = getattr(self, "n_levels_", 1)
        expected = (n_levels, self.n_tokens_) if self._residual else (self.n_tokens_,)
        if codes.ndim != 1 + len(expected) or codes.shape[1:] != expected:
            raise ValueError(
                f"codes must have shape (n_epochs, {', '.join(map(str, expected))}) as returned "
                f"by transform; got {codes.shape}."
            )
        if not (np.issubdtype(codes.dtype, np.integer) or np.issubdtype(codes.dtype, np.floating)):
            raise TypeError(f"codes must be integers; got dtype {codes.dtype}.")
        if np.issubdtype(codes.dtype, np.floating):
            if not np.isfinite(codes).all() or (codes != np.round(codes)).any():
                raise ValueError("codes must be whole numbers (as returned by transform).")
        bad = (codes < 0) | (codes >= self.n_codes_)
        if bad.any():
            raise ValueError(
                f"codes must lie in [0, {self.n_codes_}) for this codebook of n_codes_="
                f"{self.n_codes_}; got values {np.unique(codes[bad])[:5].tolist()}. Were they "
                "made by another tokenizer?"
            )
        codes = codes.astype(np.int64)
        return codes if self._residual else codes[:, np.newaxis]

    def inverse_transform(self, codes):
        """Reconstruct epochs from their codes.

        Parameters
        ----------
        codes : array of int, shape (n_epochs, n_tokens_) or (n_epochs, n_levels_, n_tokens_)
            Codes from :meth:`transform`.

        Returns
        -------
        X_rec : ndarray, shape (n_epochs, n_channels_in_, n_times_in_)
            Reconstructed epochs in the units of the input given to ``fit`` (volts for
            MNE objects). Overlapping patches are averaged; samples after the last patch
            are not encoded and come back as zero.
        """
        check_is_fitted(self)
        codes = self._check_codes(codes)
        out = np.empty((len(codes), self.n_channels_in_, self.n_times_in_))
        for sl in self._batches(len(codes)):
            out[sl] = self._decode_epochs(codes[sl])
        return out / UNIT_TO_UV[self.units_in_]

    def reconstruction_error(self, X):
        """Relative reconstruction error on ``X``.

        Parameters
        ----------
        X : mne.Epochs | list of mne.Epochs | EpochsData | ndarray
            Epochs as for :meth:`transform`.

        Returns
        -------
        error : float
            Squared error of ``inverse_transform(transform(X))`` over the encoded samples,
            divided by the energy of ``X`` around each channel's mean (0 is perfect; 1 is
            no better than predicting each channel's mean).
        """
        check_is_fitted(self)
        ed = self._validate_epochs(X, reset=False)
        _, sq_err, sq_norm = self._scan(ed.data)
        return sq_err / sq_norm
