"""Signal helpers shared by every layer: resampling factors and the template montage.

They sit at the bottom beside ``_data.py`` so that ``models/``, ``baselines/`` and
``datasets/`` can all use them without importing each other.
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np


def resample_factors(sfreq_in, sfreq_out):
    """Return integer (up, down) with up/down ~= sfreq_out/sfreq_in.

    Parameters
    ----------
    sfreq_in, sfreq_out : float
        Rates in Hz. Non-integer rates such as 500.0001 Hz are approximated by the
        closest small fraction (here 2/5 for 500.0001 -> 200).

    Returns
    -------
    up, down : int
        Polyphase factors.

    Examples
    --------
    >>> from sklearn_eegfm._signal import resample_factors
    >>> resample_factors(500.0001, 200)
    (2, 5)
    """
    ratio = Fraction(sfreq_out / sfreq_in).limit_denominator(1000)
    return ratio.numerator, ratio.denominator


def standard_montage():
    """Return MNE's template 10-05 montage (Colin27 positions).

    Returns
    -------
    montage : mne.channels.DigMontage
        ``"colin27_1005"`` where MNE has it (1.13+), else ``"standard_1005"``, the same
        positions under the name older MNE versions use.
    """
    import mne

    name = (
        "colin27_1005"
        if "colin27_1005" in mne.channels.get_builtin_montages()
        else ("standard_1005")
    )
    return mne.channels.make_standard_montage(name)


RESAMPLING_METHODS = ("fft", "fft-grid", "scipy-fft", "nearest", "polyphase")


def resampled_length(n_times, sfreq_in, sfreq_out):
    """Return the number of samples ``n_times`` samples have at the new rate.

    Parameters
    ----------
    n_times : int
        Samples at ``sfreq_in``.
    sfreq_in, sfreq_out : float
        Rates in Hz.

    Returns
    -------
    n_out : int
        ``round(n_times * up / down)`` with :func:`resample_factors`' ratio, the length
        MNE's and scipy's FFT resampling give.

    Examples
    --------
    >>> from sklearn_eegfm._signal import resampled_length
    >>> resampled_length(640, 160.0, 200.0)
    800
    """
    up, down = resample_factors(sfreq_in, sfreq_out)
    return int(round(n_times * up / down))


def resample_epochs(x, sfreq_in, sfreq_out, method="fft"):
    """Resample epochs along their last axis the way a model's authors did.

    Parameters
    ----------
    x : ndarray, shape (..., n_times)
        Epochs.
    sfreq_in, sfreq_out : float
        Rates in Hz.
    method : str
        ``"fft"``: MNE's FFT resampling with ``Epochs.resample``'s padding (``npad="auto"``,
        ``pad="edge"``), which ``Raw.resample`` also uses on a continuous recording;
        ``"fft-grid"``: the same, padded by whole multiples of the rate ratio's
        denominator, so that no output sample drifts off its instant (MNE rounds the
        padded length's new size: 640 samples at 160 Hz padded to 1024 give 819 instead
        of 819.2 at 128 Hz, a fraction of a sample of drift and shift); the per-epoch
        stand-in for an authors' resampling of the whole recording;
        ``"scipy-fft"``: :func:`scipy.signal.resample` on the epoch, unpadded;
        ``"nearest"``: nearest-neighbour interpolation (``torch.nn.functional.interpolate``,
        dn3's ``TemporalInterpolation``); ``"polyphase"``: MNE's polyphase filter.

    Returns
    -------
    y : ndarray, shape (..., n_out)
        float64, ``n_out`` from :func:`resampled_length`.
    """
    import mne

    up, down = resample_factors(sfreq_in, sfreq_out)
    x = np.asarray(x, dtype=np.float64)
    if (up, down) == (1, 1):
        return x
    n_out = resampled_length(x.shape[-1], sfreq_in, sfreq_out)
    if method in ("fft", "fft-grid"):
        return _fft_resample(x, up, down, grid=method == "fft-grid")
    if method == "scipy-fft":
        from scipy.signal import resample

        return resample(x, n_out, axis=-1)
    if method == "nearest":
        import torch

        flat = torch.from_numpy(x.reshape(-1, 1, x.shape[-1]))
        y = torch.nn.functional.interpolate(flat, n_out, mode="nearest")
        return y.numpy().reshape(*x.shape[:-1], n_out)
    if method == "polyphase":
        return mne.filter.resample(x, up=up, down=down, method="polyphase", verbose=False)
    raise ValueError(f"Unknown resampling method {method!r}; use one of {RESAMPLING_METHODS}.")


def shared_tensor(x):
    """Return a CPU tensor on ``x``'s memory, read-only arrays included.

    torch warns that it cannot mark a tensor read-only; the callers here only read it.
    """
    import warnings

    import torch

    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="The given NumPy array is not writable")
        return torch.from_numpy(x)


def _fft_resample(x, up, down, grid=False):
    """MNE's FFT resampling (``npad="auto"``, ``pad="edge"``, boxcar window), all rows at once.

    The same arithmetic as ``mne.filter.resample(x, up=up, down=down, npad="auto",
    pad="edge")`` (mne/filter.py ``_resample_fft``, mne/cuda.py ``_fft_resample``), which
    transforms one row at a time in Python: for a batch of 64-channel epochs that loop
    costs more than some models' forward pass. Equal to MNE's output to float64 rounding
    (tests/test_signal.py). With ``grid``, each side's padding is widened to a whole
    multiple of ``down`` (the right one to what makes the padded length one), so that
    both resample to whole numbers of samples: output sample k sits at k / sfreq_out
    exactly (MNE's own arithmetic on the epoch padded so by hand, ``npad=0``). The
    transforms are torch's, in float64: a little faster than scipy's on one thread, and
    run on the thread pool the network's forward uses, so they speed up with it (scipy's
    run on one thread).
    """
    import torch

    n = x.shape[-1]
    flat = shared_tensor(np.ascontiguousarray(x, dtype=np.float64).reshape(-1, n))
    ratio = float(up) / down
    final_len = max(int(round(ratio * n)), 1)
    # MNE's "auto" padding: to the next power of two, at least 2 x min(n // 8, 100) more
    total = 2 ** int(np.ceil(np.log2(n + min(n // 8, 100) * 2))) - n
    left, extra = divmod(total, 2)
    right = left + extra
    if grid:
        left = -(-left // down) * down
        right = left + (-(n + 2 * left)) % down
    orig_len = n + left + right
    new_len = max(int(round(ratio * orig_len)), 1)
    cut_left = int(round(ratio * left))
    # Edge padding written in place.
    padded = torch.empty((flat.shape[0], orig_len), dtype=torch.float64)
    padded[:, left : left + n] = flat
    padded[:, :left] = flat[:, :1]
    padded[:, left + n :] = flat[:, -1:]
    spectrum = torch.fft.rfft(padded, dim=-1)
    # MNE's boxcar window is the constant new_len / orig_len: scale only the bins the
    # inverse transform reads, straight into its zero-padded (or truncated) input.
    keep = min(orig_len // 2 + 1, new_len // 2 + 1)
    spectrum_out = torch.zeros((flat.shape[0], new_len // 2 + 1), dtype=spectrum.dtype)
    torch.mul(spectrum[:, :keep], float(new_len) / float(orig_len), out=spectrum_out[:, :keep])
    used = min(new_len, orig_len)
    if used % 2 == 0:
        spectrum_out[:, used // 2] *= 2 if new_len < orig_len else 0.5
    y = torch.fft.irfft(spectrum_out, new_len, dim=-1)[:, cut_left : cut_left + final_len]
    return y.numpy().reshape(*x.shape[:-1], final_len)
