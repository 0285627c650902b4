"""Signal helpers shared by every layer: resampling factors and the template montage.

They sit at the bottom beside ``_data.py`` so that ``models/``, ``baselines/`` and
``datasets/`` can all use them without importing each other.
"""

from __future__ import annotations

from fractions import Fraction


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
