"""Stimulation frequencies of SSVEP classes and the filter bank around them.

Shared by the readers (which record the frequencies and describe the filter bank in the
report) and the SSVEP baselines (which filter around the frequencies and build
reference sinusoids), so that both say the same thing about the same data.
"""

from __future__ import annotations

import re

import numpy as np

from ._validation import check_positive

# "30 Hz", "30Hz", "left (12.5 Hz)"; a bare number ("13", MOABB's SSVEP labels) too.
_WITH_UNIT = re.compile(r"(\d+(?:\.\d+)?)\s*hz", re.IGNORECASE)
_BARE_NUMBER = re.compile(r"\s*(\d+(?:\.\d+)?)\s*")
# Highest band edge as a fraction of the Nyquist rate: a band-pass needs room for its
# upper transition below Nyquist.
_NYQUIST_MARGIN = 0.9


def label_frequency(label):
    """Read a stimulation frequency from a class label.

    Parameters
    ----------
    label : object
        A class label such as ``"30 Hz"``, ``"30Hz"``, ``"left (12.5 Hz)"`` or ``"13"``.

    Returns
    -------
    freq : float | None
        The frequency in Hz; None when the label names none (``"rest"``) or names 0 Hz.

    Examples
    --------
    >>> from sklearn_eegfm._ssvep import label_frequency
    >>> label_frequency("30 Hz"), label_frequency("13"), label_frequency("rest")
    (30.0, 13.0, None)
    """
    text = str(label)
    match = _WITH_UNIT.search(text) or _BARE_NUMBER.fullmatch(text)
    freq = float(match.group(1)) if match else None
    return freq if freq else None


def class_frequencies(classes, freqs=None, *, require_all=True):
    """Map each class to its stimulation frequency.

    Parameters
    ----------
    classes : array-like
        Class labels, in the estimator's ``classes_`` order.
    freqs : dict | sequence of float | None
        ``{label: Hz}``, or one frequency per class in ``classes`` order; None reads
        them from the labels (see :func:`label_frequency`).
    require_all : bool
        Raise when a class has no frequency (CCA and TRCA need one per class; a filter
        bank needs only some).

    Returns
    -------
    mapping : dict
        Class -> frequency in Hz (None for classes without one when allowed).
    """
    classes = list(classes)
    if freqs is None:
        mapping = {c: label_frequency(c) for c in classes}
        source = "the class labels"
    elif isinstance(freqs, dict):
        mapping = {c: _positive(freqs.get(c, freqs.get(str(c)))) for c in classes}
        source = "freqs"
    else:
        values = list(np.atleast_1d(np.asarray(freqs, dtype=float)))
        if len(values) != len(classes):
            raise ValueError(
                f"freqs has {len(values)} frequencies for {len(classes)} classes "
                f"{classes}: give one per class in that order, or a dict {{label: Hz}}."
            )
        mapping = {c: _positive(f) for c, f in zip(classes, values)}
        source = "freqs"
    missing = [c for c, f in mapping.items() if f is None]
    if (require_all and missing) or len(missing) == len(classes):
        raise ValueError(
            f"No stimulation frequency for the classes {missing} (read from {source}). "
            "Name the classes by frequency (e.g. '30Hz', --event-id 1=30Hz,2=20Hz) or give "
            "freqs={label: Hz} (--ssvep-freqs 30,20 on the command line)."
        )
    return mapping


def _positive(value):
    if value is None:
        return None
    value = float(value)
    if not np.isfinite(value) or value <= 0:
        raise ValueError(f"Stimulation frequencies must be positive, got {value:g} Hz.")
    return value


def filter_bank_bands(freqs, sfreq, *, half_width=2.0, n_harmonics=2):
    """Pass-bands around each stimulation frequency and the harmonics the rate allows.

    Parameters
    ----------
    freqs : sequence of float
        Stimulation frequencies in Hz.
    sfreq : float
        Sampling rate in Hz.
    half_width : float
        Half the width of each band, in Hz.
    n_harmonics : int
        Harmonics per frequency (1: the fundamental only); those whose band would reach
        past 90 % of the Nyquist rate are left out.

    Returns
    -------
    bands : list of (float, float, int)
        ``(low, high, harmonic)`` per band, sorted by centre; a centre shared by two
        frequencies (10 Hz's second harmonic and 20 Hz) appears once.

    Examples
    --------
    >>> from sklearn_eegfm._ssvep import filter_bank_bands
    >>> filter_bank_bands([20, 30], 256.0, n_harmonics=2)
    [(18.0, 22.0, 1), (28.0, 32.0, 1), (38.0, 42.0, 2), (58.0, 62.0, 2)]
    """
    check_positive("half_width", half_width)
    check_positive("n_harmonics", n_harmonics, integer=True)
    top = _NYQUIST_MARGIN * sfreq / 2
    centres = {}
    for f in sorted(set(float(f) for f in freqs)):
        for h in range(1, n_harmonics + 1):
            centre = round(h * f, 6)
            if centre + half_width < top and centre - half_width > 0:
                centres.setdefault(centre, h)
    if not centres:
        raise ValueError(
            f"No band of +/-{half_width:g} Hz around {sorted(freqs)} Hz fits below "
            f"{top:g} Hz at {sfreq:g} Hz; lower half_width or record at a higher rate."
        )
    return [(c - half_width, c + half_width, h) for c, h in sorted(centres.items())]


def describe_bands(bands):
    """Spell bands as ``"18-22, 28-32 Hz"``.

    Parameters
    ----------
    bands : list of (float, float, int)
        As returned by :func:`filter_bank_bands`.

    Returns
    -------
    text : str
        The bands in words.
    """
    return ", ".join(f"{lo:g}-{hi:g}" for lo, hi, _ in bands) + " Hz"
