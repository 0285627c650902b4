"""Readers for the public recordings the package is tested and demonstrated on."""

from __future__ import annotations

import glob
import re
import warnings
from pathlib import Path

import numpy as np

from .._signal import standard_montage
from ._raw import NoEventsError, cut_epochs, skip_or_raise

MUSE_CHANNELS = ("TP9", "AF7", "AF8", "TP10")
P300_EVENT_ID = {"nontarget": 1, "target": 2}
# eeg-notebooks changed the marker column's name between its 2017 and 2018 recordings.
_MUSE_MARKER_COLUMNS = ("Marker", "Marker0")

# EEGMMIDB runs by task; T1/T2 mean different movements in the two kinds of run.
_EEGMMIDB_TASKS = {
    **{r: ("execution", "left_fist", "right_fist") for r in (3, 7, 11)},
    **{r: ("imagery", "left_fist", "right_fist") for r in (4, 8, 12)},
    **{r: ("execution", "both_fists", "both_feet") for r in (5, 9, 13)},
    **{r: ("imagery", "both_fists", "both_feet") for r in (6, 10, 14)},
}


def _resolve_paths(path_or_glob, pattern):
    if isinstance(path_or_glob, list | tuple):
        paths = [Path(p) for p in path_or_glob]
    else:
        p = Path(path_or_glob)
        if p.is_dir():
            paths = sorted(p.rglob(pattern))
        elif p.exists():
            paths = [p]
        else:
            paths = sorted(Path(f) for f in glob.glob(str(path_or_glob), recursive=True))
    if not paths:
        raise FileNotFoundError(f"No files match {path_or_glob!r} (looked for {pattern}).")
    missing = [str(p) for p in paths if not p.exists()]
    if missing:
        raise FileNotFoundError(f"Files not found: {missing}")
    return paths


def _int_from(pattern, text):
    match = re.search(pattern, text)
    return int(match.group(1)) if match else None


def _combine(parts, event_id, tmin, verbose=False):
    """Stack per-recording epochs (same channels and rate) into one EpochsArray."""
    import mne
    import pandas as pd

    parts = [p for p in parts if len(p)]
    if not parts:
        raise ValueError("No epochs could be cut from the given recordings.")
    data = np.concatenate([p.get_data() for p in parts])
    events, offset = [], 0
    for p in parts:
        ev = p.events.copy()
        ev[:, 0] = ev[:, 0] - ev[0, 0] + offset
        offset = ev[-1, 0] + p.times.size + 1
        events.append(ev)
    metadata = pd.concat([p.metadata for p in parts], ignore_index=True)
    return mne.EpochsArray(
        data,
        parts[0].info,
        events=np.concatenate(events),
        tmin=tmin,
        event_id=event_id,
        metadata=metadata,
        on_missing="ignore",
        verbose=verbose,
    )


def read_muse_csv(
    path_or_glob,
    *,
    sfreq=256.0,
    l_freq=1.0,
    h_freq=30.0,
    tmin=-0.1,
    tmax=0.8,
    baseline=None,
    event_id=None,
    preprocess=None,
    verbose=None,
):
    """Read Muse recordings of the eeg-notebooks visual P300 (or SSVEP) task as epochs.

    Each CSV holds ``timestamps``, the four EEG channels ``TP9, AF7, AF8, TP10`` in
    microvolts, an unused ``Right AUX`` column and a marker column named ``Marker`` or
    ``Marker0`` (P300: 1 = non-target, 2 = target; other eeg-notebooks studies give
    the codes other meanings, named with ``event_id``). Each recording is band-pass
    filtered on its own, then epoched around the markers. A file without markers, or
    whose every epoch window falls outside the recording, is skipped with one
    :class:`~sklearn_eegfm.datasets.ReaderNote` warning saying why.

    Parameters
    ----------
    path_or_glob : str | Path | list of path
        A CSV (``.csv`` or ``.csv.gz``), a folder searched recursively for
        ``*.csv*`` files, a glob pattern, or a list of files. ``subjectN`` and
        ``sessionM`` in the path give the metadata.
    sfreq : float
        Sampling rate of the device (Muse 2016: 256 Hz). A warning is emitted when the
        timestamps disagree with it by more than 1 %.
    l_freq, h_freq : float | None
        Band-pass edges in Hz (None skips that edge).
    tmin, tmax : float
        Epoch start and end relative to each marker, in seconds.
    baseline : tuple | None
        Baseline correction passed to :class:`mne.Epochs`.
    event_id : str | dict | None
        Marker codes to epoch and their labels, e.g. ``"1=face,2=house"`` (see
        :func:`~sklearn_eegfm.datasets.parse_event_id`); None is the P300 task's
        ``1=nontarget,2=target``.
    preprocess : callable | None
        ``preprocess(raw) -> raw``, run on each continuous recording before the
        band-pass, resampling and epoching (e.g. a model's authors' recipe:
        ``functools.partial(sklearn_eegfm.apply_recipe, model="cbramod")``).
    verbose : bool | str | int | None
        MNE verbosity.

    Returns
    -------
    epochs : mne.EpochsArray
        Epochs in volts with event ids named after the labels (``nontarget``/``target``
        by default) and metadata columns ``subject``, ``session``, ``run``, ``label``,
        and, when a label is ``target`` (the P300 task), ``target`` (1 for those epochs).

    Examples
    --------
    >>> from sklearn_eegfm.datasets import read_muse_csv
    >>> epochs = read_muse_csv("shared/data/eeg-notebooks/visual_p300/subject1")  # doctest: +SKIP
    """
    verbose = False if verbose is None else verbose  # MNE's per-step chatter off by default
    paths = _resolve_paths(path_or_glob, "*.csv*")
    labels = _muse_labels(event_id)  # marker code -> label
    event_ids = {label: code for code, label in labels.items()}
    run_counter: dict[tuple, int] = {}
    parts, skipped = [], []
    for path in paths:
        raw = _muse_raw(path, sfreq, l_freq, h_freq, preprocess, verbose)
        events, no_events = _muse_events(raw, labels, verbose)
        if no_events is not None:
            skipped.append((path, no_events))
            continue
        meta = _muse_metadata(path, events, labels, run_counter)
        epochs = _muse_epochs(raw, events, event_ids, meta, tmin, tmax, baseline, verbose)
        if not len(epochs):
            why = f"the window {tmin:g} to {tmax:g} s falls outside the recording for every marker"
            skipped.append((path, NoEventsError("", why)))
            continue
        parts.append(epochs)
    for path, err in skipped:
        if not err.args[0]:
            err.args = (f"{path.name}: {err.short}.",)
    skip_or_raise(skipped, len(paths))
    epochs = _combine(parts, event_ids, tmin, verbose)
    if "target" in labels.values():  # an oddball task (P300): the target indicator
        epochs.metadata["target"] = (epochs.metadata["label"] == "target").astype(int)
    return epochs


def _muse_marker_column(df, path):
    """Return the marker column of a Muse CSV (a ValueError for another kind of CSV)."""
    marker_col = next((c for c in _MUSE_MARKER_COLUMNS if c in df.columns), None)
    missing = [c for c in MUSE_CHANNELS if c not in df.columns]
    if marker_col is None or missing:
        raise ValueError(
            f"{path} is not a Muse P300 recording: expected columns {list(MUSE_CHANNELS)} "
            f"and one of {list(_MUSE_MARKER_COLUMNS)}, got {list(df.columns)}."
        )
    return marker_col


def _warn_if_rate_differs(df, sfreq, path):
    # stacklevel 4: the warning names the caller of read_muse_csv.
    if "timestamps" in df.columns and len(df) > 1:
        t = df["timestamps"].to_numpy()
        measured = (len(t) - 1) / (t[-1] - t[0])
        if abs(measured / sfreq - 1) > 0.01:
            warnings.warn(
                f"{path.name}: the timestamps imply {measured:.1f} Hz, not sfreq={sfreq}.",
                stacklevel=4,
            )


def _muse_raw(path, sfreq, l_freq, h_freq, preprocess, verbose):
    """One Muse CSV as a RawArray in volts (``preprocess``, band-pass), markers on ``STI``."""
    import mne
    import pandas as pd

    df = pd.read_csv(path)
    marker_col = _muse_marker_column(df, path)
    _warn_if_rate_differs(df, sfreq, path)
    info = mne.create_info(list(MUSE_CHANNELS) + ["STI"], sfreq, ["eeg"] * 4 + ["stim"])
    values = np.vstack(
        [df[list(MUSE_CHANNELS)].to_numpy().T * 1e-6, df[marker_col].to_numpy()[None]]
    )
    raw = mne.io.RawArray(values, info, verbose=verbose)
    raw.set_montage(standard_montage(), verbose=verbose)
    if preprocess is not None:  # before the band-pass: the user's own preparation
        raw = preprocess(raw)
    if l_freq is not None or h_freq is not None:
        raw.filter(l_freq, h_freq, picks="eeg", verbose=verbose)
    return raw


def _muse_events(raw, labels, verbose):
    """Return the events with a code of ``labels``, or a NoEventsError saying why none."""
    import mne

    events = mne.find_events(raw, stim_channel="STI", initial_event=True, verbose=verbose)
    codes = sorted({int(c) for c in events[:, 2]})
    events = events[np.isin(events[:, 2], list(labels))]
    if len(events):
        return events, None
    found = ", ".join(map(str, codes)) or "none"
    return events, NoEventsError("", f"no markers {_spell_codes(labels)} (markers: {found})")


def _muse_metadata(path, events, labels, run_counter):
    """Subject, session and run (numbered per subject and session) of each epoch."""
    import pandas as pd

    subject = _int_from(r"subject[_-]?(\d+)", str(path))
    session = _int_from(r"session[_-]?(\d+)", str(path))
    run = run_counter.get((subject, session), 0) + 1
    run_counter[(subject, session)] = run
    return pd.DataFrame(
        {
            "subject": subject,
            "session": session,
            "run": run,
            "recording": path.name,
            "label": [labels[int(c)] for c in events[:, 2]],
        }
    )


def _muse_epochs(raw, events, event_id, meta, tmin, tmax, baseline, verbose):
    options = {"baseline": baseline, "picks": "eeg", "reject_by_annotation": False}
    with warnings.catch_warnings():  # said once by read_muse_csv, not three times by MNE
        warnings.filterwarnings("ignore", "All epochs were dropped", RuntimeWarning)
        return cut_epochs(
            raw, events, event_id, tmin, tmax, metadata=meta, verbose=verbose, **options
        )


def _muse_labels(event_id):
    """Marker code -> label: the P300 task's, or the user's ``1=face,2=house``."""
    from ._raw import parse_event_id

    if event_id is None:
        return {code: label for label, code in P300_EVENT_ID.items()}
    mapping = parse_event_id(event_id)
    bad = [k for k in mapping if not k.strip().isdigit()]
    if bad:
        raise ValueError(
            f"--event-id {','.join(bad)}: Muse recordings mark events with numbers in "
            "their marker column; name them by code, e.g. --event-id 1=face,2=house."
        )
    return {int(k): v for k, v in mapping.items()}


def _spell_codes(labels):
    return ", ".join(f"{c} ({name})" for c, name in labels.items())


def load_eegmmidb(
    path,
    runs=(4, 8, 12),
    *,
    subjects=None,
    l_freq=None,
    h_freq=None,
    tmin=0.0,
    tmax=4.0,
    baseline=None,
    include_rest=False,
    preprocess=None,
    verbose=None,
):
    """Read PhysioNet EEG Motor Movement/Imagery (EEGMMIDB) EDF files as epochs.

    Channel names are standardised (``Fc5.`` -> ``FC5``) with
    :func:`mne.datasets.eegbci.standardize` and the template 10-05 montage is set.

    Parameters
    ----------
    path : str | Path
        A folder holding ``SxxxRyy.edf`` files, or their parent holding ``Sxxx`` folders.
    runs : sequence of int
        Runs to read (3-14). Runs 4, 8, 12 are imagined left/right fist; 6, 10, 14
        imagined both fists/feet; 3, 7, 11 and 5, 9, 13 the executed versions.
    subjects : sequence of int | None
        Subjects to read; all found when None.
    l_freq, h_freq : float | None
        Optional band-pass edges in Hz, applied per run before epoching.
    tmin, tmax : float
        Epoch window relative to cue onset, in seconds.
    baseline : tuple | None
        Baseline correction passed to :class:`mne.Epochs`.
    include_rest : bool
        Also epoch the ``T0`` rest periods (label ``rest``).
    preprocess : callable | None
        ``preprocess(raw) -> raw``, run on each continuous recording before the
        band-pass, resampling and epoching (e.g. a model's authors' recipe:
        ``functools.partial(sklearn_eegfm.apply_recipe, model="cbramod")``).
    verbose : bool | str | int | None
        MNE verbosity.

    Returns
    -------
    epochs : mne.EpochsArray
        Epochs in volts with metadata columns ``subject``, ``session`` (1: one session
        per subject), ``run``, ``task`` and ``label``.

    Examples
    --------
    >>> from sklearn_eegfm.datasets import load_eegmmidb
    >>> epochs = load_eegmmidb("shared/data/eegmmidb/S001", runs=(4, 8, 12))  # doctest: +SKIP
    """
    verbose = False if verbose is None else verbose
    bad_runs = [r for r in runs if r not in _EEGMMIDB_TASKS]
    if bad_runs:
        raise ValueError(f"Unknown EEGMMIDB runs {bad_runs}; task runs are 3-14.")
    selected = _eegmmidb_files(path, runs, subjects)
    labels = sorted({lab for _, run, _ in selected for lab in _EEGMMIDB_TASKS[run][1:]})
    event_id = {lab: i + 1 for i, lab in enumerate((["rest"] if include_rest else []) + labels)}
    parts = []
    for subject, run, f in sorted(selected):
        raw = _eegmmidb_raw(f, l_freq, h_freq, preprocess, verbose)
        events, meta = _eegmmidb_events(raw, subject, run, event_id, include_rest, verbose)
        epochs = cut_epochs(
            raw, events, event_id, tmin, tmax, baseline=baseline, metadata=meta, verbose=verbose
        )
        parts.append(epochs)
    return _combine(parts, event_id, tmin, verbose)


def _eegmmidb_files(path, runs, subjects):
    """``(subject, run, file)`` of each EDF file of the runs and subjects asked for."""
    selected = []
    for f in _resolve_paths(path, "S*R*.edf"):
        subject, run = _int_from(r"S(\d+)R\d+", f.name), _int_from(r"S\d+R(\d+)", f.name)
        if run in runs and (subjects is None or subject in subjects):
            selected.append((subject, run, f))
    if not selected:
        raise FileNotFoundError(f"No EDF file for runs {list(runs)} under {path}.")
    return selected


def _eegmmidb_raw(f, l_freq, h_freq, preprocess, verbose):
    """One run's EDF: standard channel names, 10-05 montage, ``preprocess``, band-pass."""
    import mne
    from mne.datasets import eegbci

    raw = mne.io.read_raw_edf(f, preload=True, verbose=verbose)
    eegbci.standardize(raw)
    raw.set_montage(standard_montage(), verbose=verbose)
    if preprocess is not None:  # before the band-pass: the user's own preparation
        raw = preprocess(raw)
    if l_freq is not None or h_freq is not None:
        raw.filter(l_freq, h_freq, verbose=verbose)
    return raw


def _eegmmidb_events(raw, subject, run, event_id, include_rest, verbose):
    """Return the run's cue events (``T1``/``T2``, ``T0`` with rest) and metadata."""
    import mne
    import pandas as pd

    task, t1, t2 = _EEGMMIDB_TASKS[run]
    names = {"T1": t1, "T2": t2, **({"T0": "rest"} if include_rest else {})}
    events, _ = mne.events_from_annotations(
        raw, event_id={k: event_id[v] for k, v in names.items()}, verbose=verbose
    )
    inverse = {v: k for k, v in event_id.items()}
    meta = pd.DataFrame(
        {
            "subject": subject,
            "session": 1,
            "run": run,
            "task": task,
            "label": [inverse[c] for c in events[:, 2]],
        }
    )
    return events, meta
