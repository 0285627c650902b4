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


RESAMPLING_METHODS = ("fft", "scipy-fft", "nearest", "polyphase")


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
    if method == "fft":
        return mne.filter.resample(x, up=up, down=down, npad="auto", pad="edge", verbose=False)
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
