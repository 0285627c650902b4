"""What the readers do for SSVEP data: the stimulation window, frequencies and notes.

A steady-state response lasts as long as the flicker, so the SSVEP window runs from
1 s after onset (past the onset's transient ERP) to the end of the stimulation: the
shortest annotated stimulus duration, else the shortest gap between two onsets, or
a preset's known stimulus length. Each epoch's frequency goes into the metadata column
``ssvep_freq`` and the readers' notes name frequencies, window and filter bank.
"""

from __future__ import annotations

import numpy as np

from .._ssvep import class_frequencies, describe_bands, filter_bank_bands, label_frequency

# eeg-notebooks' SSVEP task on the Muse: marker 1 flickers at 30 Hz, marker 2 at 20 Hz
# (EEG-ExPy examples/visual_ssvep/02r__ssvep_decoding.py: event_id = {'30 Hz': 1,
# '20 Hz': 2}), each for soa = 3.0 s after an iti of 0.5 s plus up to 0.2 s of jitter
# (eegnb/experiments/visual_ssvep/ssvep.py, present(): iti, soa, jitter).
MUSE_SSVEP_EVENT_ID = {"1": "30Hz", "2": "20Hz"}
MUSE_SSVEP_STIMULUS = 3.0
#: Start of the SSVEP window after onset, in seconds: past the onset's evoked response.
SSVEP_TMIN = 1.0
# The window must keep at least this much steady state (s) for the default to be used.
_MIN_STEADY = 0.5
# The filter bank the named SSVEP pipelines use (their defaults), for the notes.
_BANK = {"half_width": 2.0, "n_harmonics": 2}


def shortest_gap(onsets, sfreq):
    """Shortest time between two consecutive onsets, in seconds (inf for one onset).

    Parameters
    ----------
    onsets : array-like of int
        Onset samples of the events.
    sfreq : float
        Sampling rate in Hz.

    Returns
    -------
    gap : float
        Seconds.
    """
    onsets = np.sort(np.asarray(onsets))
    return float(np.diff(onsets).min() / sfreq) if len(onsets) > 1 else float("inf")


def stimulation_end(raw, events, event_names):
    """End of the stimulation after onset: annotated duration, else the onset gap.

    Parameters
    ----------
    raw : mne.io.Raw
        The recording (its annotations may give each stimulus's duration).
    events : ndarray, shape (n_events, 3)
        The events epoched.
    event_names : list of str
        Annotation descriptions of those events (empty for stim-channel events).

    Returns
    -------
    tmax : float
        Seconds after onset.
    how : str
        Where it came from, for the notes.
    """
    ann = raw.annotations
    durations = [d for d, name in zip(ann.duration, ann.description) if name in event_names]
    gap = shortest_gap(events[:, 0], raw.info["sfreq"])
    if durations and min(durations) > 0:
        return min(min(durations), gap), "the shortest annotated stimulus"
    if not np.isfinite(gap):
        raise ValueError(
            "One event only and no annotated duration: the end of the stimulation is "
            "unknown. Pass --tmax (seconds after onset)."
        )
    return gap, "the shortest gap between two onsets"


def check_ssvep_window(tmin, tmax, how):
    """Refuse a default window that leaves too little steady state.

    Parameters
    ----------
    tmin, tmax : float
        The window, seconds after onset.
    how : str
        Where ``tmax`` came from.

    Returns
    -------
    tmax : float
        The window's end.
    """
    if tmax - tmin < _MIN_STEADY:
        raise ValueError(
            f"The SSVEP window {tmin:g} to {tmax:.3g} s (its end from {how}) keeps less "
            f"than {_MIN_STEADY:g} s of steady-state response. Pass --tmin and --tmax."
        )
    return tmax


def add_frequencies(epochs, y, freqs=None, order=None):
    """Record each epoch's stimulation frequency; relabel classes that name none.

    Parameters
    ----------
    epochs : mne.Epochs
        Epochs with metadata.
    y : array-like
        One label per epoch.
    freqs : sequence of str | float | None
        ``--ssvep-freqs``: one frequency per class, in ``order``. A class whose label
        names another frequency or none becomes ``"<label> (<f> Hz)"``, so that the
        pipelines read the frequency from the labels.
    order : sequence of str | None
        Class order of ``freqs`` (the ``--event-id`` labels); sorted labels when None.

    Returns
    -------
    epochs : mne.Epochs
        The same epochs, with ``label`` and ``ssvep_freq`` (Hz, NaN for a class without
        one, e.g. rest) in the metadata.
    y : ndarray
        Labels.
    mapping : dict
        Class -> frequency.
    """
    import mne

    y = np.asarray(y).astype(str)
    present = set(y)
    classes = [c for c in dict.fromkeys(order or ()) if c in present] or sorted(present)
    if freqs is None:
        mapping = class_frequencies(classes, require_all=False)
    else:
        mapping = class_frequencies(classes, [_as_float(f) for f in freqs])
        renamed = {
            c: c if label_frequency(c) == f else f"{c} ({f:g} Hz)" for c, f in mapping.items()
        }
        y = np.asarray([renamed[v] for v in y])
        mapping = {renamed[c]: f for c, f in mapping.items()}
    meta = epochs.metadata.copy()
    meta["label"] = y
    meta["ssvep_freq"] = [np.nan if mapping[v] is None else mapping[v] for v in y]
    with mne.utils.use_log_level("WARNING"):  # "Replacing existing metadata"
        epochs.metadata = meta
    return epochs, y, mapping


def muse_stimulus_end(files):
    """End of the Muse SSVEP stimulus: 3 s (eeg-notebooks), or the shortest marker gap.

    Parameters
    ----------
    files : list of path
        Muse CSVs.

    Returns
    -------
    tmax : float
        Seconds after onset.
    how : str
        Where it came from, for the notes.
    """
    import pandas as pd

    gap = float("inf")
    for path in files:
        header = pd.read_csv(path, nrows=0).columns
        column = next((c for c in ("Marker", "Marker0") if c in header), None)
        if column is None:
            continue  # read_muse_csv names the problem
        df = pd.read_csv(path, usecols=["timestamps", column])
        onsets = df["timestamps"].to_numpy()[df[column].to_numpy() != 0]
        if len(onsets) > 1:
            gap = min(gap, float(np.diff(onsets).min()))
    if gap < MUSE_SSVEP_STIMULUS:
        return gap, "the shortest gap between two markers"
    return MUSE_SSVEP_STIMULUS, "eeg-notebooks' 3-s flicker"


def _as_float(value):
    try:
        return float(value)
    except ValueError:
        raise ValueError(
            f"--ssvep-freqs: {value!r} is not a frequency; give Hz, e.g. --ssvep-freqs 30,20."
        ) from None


def ssvep_notes(epochs, mapping, source, how=None):
    """Write the readers' notes on SSVEP data: frequencies, window and filter bank.

    Parameters
    ----------
    epochs : mne.Epochs
        The epochs read.
    mapping : dict
        Class -> frequency.
    source : str
        Where the frequencies came from.
    how : str | None
        Where the window's end came from.

    Returns
    -------
    notes : list of str
        Lines for the console and the report.
    """
    known = sorted({f for f in mapping.values() if f is not None})
    bands = filter_bank_bands(known, epochs.info["sfreq"], **_BANK)
    window = f"{epochs.tmin:g} to {epochs.tmax:.3g} s after onset"
    return [
        "SSVEP stimulation frequencies: "
        + ", ".join(f"{c} = {f:g} Hz" for c, f in mapping.items() if f is not None)
        + f" (from {source})",
        f"SSVEP window: {window}" + (f" (to the end of stimulation: {how})" if how else ""),
        f"SSVEP filter bank (fb+ts, fb+mdm, trca): {describe_bands(bands)} "
        f"(+/-{_BANK['half_width']:g} Hz around each frequency and its harmonics up to "
        f"harmonic {_BANK['n_harmonics']} where the {epochs.info['sfreq']:g}-Hz rate allows)",
    ]
