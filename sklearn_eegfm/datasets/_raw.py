"""Any recording MNE reads, cut into labelled epochs, and saved ``-epo.fif`` epochs.

Both readers return :class:`mne.Epochs` whose metadata has the columns ``subject``,
``session``, ``run``, ``recording`` and ``label`` that the evaluation harness reads.
Subject and session come from the path: BIDS entities (``sub-01/ses-02``), folder names
(``subject1/session2``, PhysioNet's ``S001R04``), or a regular expression with named
groups ``subject`` and ``session``.
"""

from __future__ import annotations

import re
import warnings
from pathlib import Path

import numpy as np

from ..utils._warnings import warn_at_user

# File endings mne.io.read_raw opens that hold EEG (the BrainVision header stands for its
# .eeg/.vmrk pair; a FIF ending in -epo.fif holds epochs, not a recording).
RAW_EXTENSIONS = (
    ".edf", ".bdf", ".gdf", ".vhdr", ".set", ".fif", ".fif.gz", ".cnt", ".mff", ".nxe",
    ".lay", ".mefd", ".ahdr", ".cdt", ".nedf", ".ns3",
)  # fmt: skip
EPOCHS_SUFFIXES = ("-epo.fif", "_epo.fif", "-epo.fif.gz", "_epo.fif.gz")
# Tried in order; the first match of each group wins.
_PATH_PATTERNS = (
    r"sub-(?P<subject>[A-Za-z0-9]+)",
    r"ses-(?P<session>[A-Za-z0-9]+)",
    r"subject[_-]?(?P<subject>\d+)",
    r"session[_-]?(?P<session>\d+)",
    r"(?:^|[/\\])S(?P<subject>\d{3})R\d{2}",  # PhysioNet EEGMMIDB
)
# Annotations that mark data quality, not events.
_IGNORED_ANNOTATIONS = ("bad", "edge", "boundary")


class ReaderNote(UserWarning):
    """Something a reader did that the user should know: a file skipped, a name matched.

    :func:`~sklearn_eegfm.datasets.load_data` (and so ``sklearn-eegfm compare``) turns
    these into one line each in the console and the report.
    """


class NoEventsError(ValueError):
    """A recording holds no events to epoch around (or none that were asked for).

    Parameters
    ----------
    message : str
        The full explanation, with the fix.
    short : str
        Why, in a few words, for the line that says the file was skipped.
    """

    def __init__(self, message, short):
        super().__init__(message)
        self.short = short


def note(message):
    """Emit a :class:`ReaderNote` pointing at the caller of the reader.

    Parameters
    ----------
    message : str
        One line.
    """
    warn_at_user(message, ReaderNote)


def _match_prefixed(key, present):
    """Find the one description that is ``key`` behind a ``Type/`` prefix, else None.

    MNE reads BrainVision markers back as ``Comment/T1`` or ``Stimulus/S  1``: a user
    who wrote ``T1`` means ``Comment/T1`` when no other description ends in ``/T1``.
    """
    hits = [d for d in present if d.rsplit("/", 1)[-1].strip() == key.strip() and "/" in d]
    return hits[0] if len(hits) == 1 else None


def _resolve_keys(event_id, present):
    """Map each asked-for key to the description in the file (exact, else prefixed)."""
    resolved = {}
    for key in event_id:
        if key in present:
            resolved[key] = key
        elif (hit := _match_prefixed(key, present)) is not None:
            resolved[key] = hit
            note(
                f"--event-id {key} read as the marker {hit!r} (MNE names BrainVision "
                f"markers Type/description; write --event-id '{hit}=...' to be explicit)"
            )
    return resolved


def is_epochs_file(path):
    """Say whether a file name is that of saved MNE epochs (``*-epo.fif``)."""
    return str(path).lower().endswith(EPOCHS_SUFFIXES)


def is_raw_file(path):
    """Say whether ``mne.io.read_raw`` reads this file as a recording."""
    name = str(path).lower()
    return name.endswith(RAW_EXTENSIONS) and not is_epochs_file(name)


def _as_number(value):
    return int(value) if value is not None and str(value).isdigit() else value


def entities_from_path(path, pattern=None):
    """Read subject and session from a file path.

    Parameters
    ----------
    path : str | Path
        The file.
    pattern : str | None
        A regular expression searched in the path, with named groups ``subject`` and
        (optionally) ``session``; tried before the built-in patterns.

    Returns
    -------
    subject, session : int | str | None
        Digits become integers; None when nothing matched.

    Examples
    --------
    >>> from sklearn_eegfm.datasets import entities_from_path
    >>> entities_from_path("data/sub-03/ses-2/eeg/sub-03_ses-2_task-mi_eeg.edf")
    (3, 2)
    >>> entities_from_path("S001/S001R04.edf")
    (1, None)
    """
    text = Path(path).as_posix()
    found = {}
    for regex in ((pattern,) if pattern else ()) + _PATH_PATTERNS:
        match = re.search(regex, text)
        if match is None:
            continue
        for key, value in match.groupdict().items():
            if value is not None and key in ("subject", "session"):
                found.setdefault(key, value)
    subject = found.get("subject")
    if subject is not None and subject.isdigit():
        subject = int(subject)
    return subject, _as_number(found.get("session"))


def parse_event_id(text):
    """Parse ``--event-id``: ``T1=left,T2=right``, ``1=nontarget,2=target`` or ``T1,T2``.

    Parameters
    ----------
    text : str | dict | None
        Comma-separated ``KEY=LABEL`` items (KEY an annotation description or a stim
        code; a bare KEY is its own label), or a ready dict.

    Returns
    -------
    mapping : dict of str to str | None
        Event key -> label name; None when ``text`` is None.

    Examples
    --------
    >>> from sklearn_eegfm.datasets import parse_event_id
    >>> parse_event_id("T1=left, T2=right")
    {'T1': 'left', 'T2': 'right'}
    """
    if text is None or isinstance(text, dict):
        return None if text is None else {str(k): str(v) for k, v in text.items()}
    mapping = {}
    for item in str(text).split(","):
        item = item.strip()
        if not item:
            continue
        key, _, label = item.partition("=")
        mapping[key.strip()] = (label or key).strip()
    if not mapping:
        raise ValueError(f"--event-id {text!r}: expected e.g. T1=left,T2=right.")
    return mapping


def _read_raw(path, verbose):
    import mne

    try:
        # MNE's warnings about a file it then fails to read would only add noise.
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            raw = mne.io.read_raw(path, preload=True, verbose=verbose)
    except Exception as err:  # noqa: BLE001  (any reader failure is the same user error)
        raise ValueError(
            f"Cannot read {path} with mne.io.read_raw ({type(err).__name__}: "
            f"{str(err)[:200]}). Check that the file is complete and in a format MNE reads "
            "(EDF, BDF, BrainVision .vhdr, EEGLAB .set, FIF, ...), or convert it and pass "
            "the converted file with --data."
        ) from err
    for w in caught:
        warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
    return raw


def _tidy_channels(raw, verbose):
    """PhysioNet's trailing dots dropped; template positions where the file has none."""
    from .._signal import standard_montage

    names = {n: n.rstrip(".") for n in raw.ch_names if n.endswith(".")}
    if names and len(set(names.values()) | (set(raw.ch_names) - set(names))) == len(raw.ch_names):
        raw.rename_channels(names, verbose=verbose)
    has_positions = any(
        np.isfinite(ch["loc"][:3]).all() and np.any(ch["loc"][:3]) for ch in raw.info["chs"]
    )
    eeg = [raw.ch_names[i] for i in _pick_eeg(raw)]
    if not has_positions and eeg:
        montage = standard_montage()
        known = {n.lower() for n in montage.ch_names}
        if all(n.lower() in known for n in eeg):
            raw.set_montage(montage, match_case=False, on_missing="ignore", verbose=verbose)


def _pick_eeg(raw):
    import mne

    return mne.pick_types(raw.info, eeg=True, exclude=())


def _events(raw, event_id, path):
    """Events and their label names, from annotations or else a stim channel."""
    import mne

    descriptions = [
        d for d in raw.annotations.description if not d.lower().startswith(_IGNORED_ANNOTATIONS)
    ]
    if descriptions:
        present = sorted(set(descriptions))
        # asked-for key -> the description in this file
        found = {k: k for k in present} if event_id is None else _resolve_keys(event_id, present)
        if not found:
            counts = ", ".join(f"{d} ({descriptions.count(d)})" for d in present)
            raise NoEventsError(
                f"No events of {path.name} match --event-id {_spell(event_id)}: its "
                f"annotations are {counts}. Use those names, e.g. --event-id "
                f"{','.join(f'{d}=name' for d in present[:2])}.",
                f"no events match --event-id {_spell(event_id)} (its annotations: {counts})",
            )
        codes = {found[k]: i + 1 for i, k in enumerate(found)}
        events, _ = mne.events_from_annotations(raw, event_id=codes, verbose=False)
        names = {codes[d]: (k if event_id is None else event_id[k]) for k, d in found.items()}
        return events, [names[c] for c in events[:, 2]]
    stim = mne.pick_types(raw.info, stim=True, eeg=False)
    marker = _missing_marker_file(path)
    if not len(stim) and marker is not None:
        raise ValueError(
            f"{path.name} names the marker file {marker.name}, which is missing from "
            f"{marker.parent}: BrainVision keeps its events there, so there are none to "
            f"epoch around. Put {marker.name} next to {path.name} (the .vhdr, .vmrk and "
            ".eeg files travel together)."
        )
    if not len(stim):
        raise NoEventsError(
            f"{path.name} has neither annotations nor a stim channel, so there are no "
            "events to epoch around. Add annotations (raw.set_annotations) and save the "
            "file, or cut it into epochs in MNE and pass the -epo.fif file.",
            "no annotations and no stim channel",
        )
    events = mne.find_events(raw, initial_event=True, verbose=False)
    present = sorted({str(c) for c in events[:, 2]})
    keys = present if event_id is None else [k for k in event_id if k in present]
    if not keys:
        raise NoEventsError(
            f"No events of {path.name} match --event-id {_spell(event_id)}: its stim "
            f"channel holds the codes {', '.join(present) or 'none'}. Use those, e.g. "
            f"--event-id {','.join(f'{c}=name' for c in present[:2])}.",
            f"no events match --event-id {_spell(event_id)} (stim codes: "
            f"{', '.join(present) or 'none'})",
        )
    events = events[np.isin(events[:, 2].astype(str), keys)]
    return events, [str(c) if event_id is None else event_id[str(c)] for c in events[:, 2]]


def _missing_marker_file(path):
    """Return the .vmrk that a BrainVision header names if it does not exist, else None."""
    path = Path(path)
    if path.suffix.lower() == ".eeg":  # what MNE records as a BrainVision raw's file
        path = path.with_suffix(".vhdr")
    if path.suffix.lower() != ".vhdr" or not path.is_file():
        return None
    text = path.read_text(encoding="latin-1", errors="replace")
    names = [
        ln.split("=", 1)[1].strip() for ln in text.splitlines() if ln.startswith("MarkerFile=")
    ]
    if not names:
        return None
    marker = path.parent / names[0]
    return None if marker.is_file() else marker


def _spell(event_id):
    return (
        "(all events)" if event_id is None else ",".join(f"{k}={v}" for k, v in event_id.items())
    )


def _epoch_raw(raw, path, event_id, tmin, tmax, baseline, verbose):

    events, labels = _events(raw, event_id, path)
    if tmax is None:  # to the end of the stimulation (SSVEP)
        from ._ssvep import check_ssvep_window, stimulation_end

        names = set(raw.annotations.description) & set(event_id or labels)
        tmax = check_ssvep_window(tmin, *stimulation_end(raw, events, names))
    duration = raw.times[-1]
    label_ids = {lab: i + 1 for i, lab in enumerate(sorted(set(labels)))}
    events = events.copy()
    events[:, 2] = [label_ids[lab] for lab in labels]
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "All epochs were dropped", RuntimeWarning)
        epochs = _make_epochs(raw, events, label_ids, labels, tmin, tmax, baseline, verbose)
    if not len(epochs):
        onsets = (events[:, 0] - raw.first_samp) / raw.info["sfreq"]
        raise NoEventsError(
            f"The window --tmin {tmin:g} --tmax {tmax:g} s falls outside {path.name} "
            f"({duration:.1f} s long, events from {onsets.min():.1f} to {onsets.max():.1f} "
            "s) for every event. Choose a window that fits, e.g. --tmin 0 --tmax 1.",
            f"the window {tmin:g} to {tmax:g} s falls outside the recording for every event",
        )
    return epochs


def skip_or_raise(errors, n_files):
    """Say in one line per file why it was skipped; raise when every file was.

    Parameters
    ----------
    errors : list of (Path, NoEventsError)
        The files that gave no epochs, and why.
    n_files : int
        How many files were read.
    """
    if errors and len(errors) == n_files:
        if n_files == 1:
            raise errors[0][1]
        raise ValueError(
            f"No epochs in any of the {n_files} recordings; the first, {errors[0][0].name}: "
            f"{errors[0][1]}"
        )
    for path, err in errors:
        note(f"{path.name} skipped: {err.short}")


def read_raw_epochs(
    paths,
    *,
    event_id=None,
    tmin=-0.2,
    tmax=0.8,
    l_freq=None,
    h_freq=None,
    resample=None,
    baseline=None,
    subject_pattern=None,
    entities=None,
    preprocess=None,
    verbose=None,
):
    """Read recordings in any format MNE reads and cut them into labelled epochs.

    Events come from the annotations (``T1``, ``stimulus/S 1``, ...) or, when there are
    none, from the stim channel. Each recording is filtered, resampled and epoched on
    its own; only EEG channels are kept.

    Parameters
    ----------
    paths : list of path | list of mne.io.Raw
        Recordings (EDF, BDF, GDF, BrainVision ``.vhdr``, EEGLAB ``.set``, FIF, ...),
        or recordings already read.
    event_id : str | dict | None
        Events to keep and their labels (see :func:`parse_event_id`); all events, each
        labelled by its description or code, when None.
    tmin, tmax : float
        Epoch window around each event, in seconds; ``tmax=None`` ends it with the
        stimulation (SSVEP): the shortest annotated duration of the events epoched, else
        the shortest gap between two onsets, over all recordings.
    l_freq, h_freq : float | None
        Band-pass edges in Hz (None skips that edge).
    resample : float | None
        New sampling rate in Hz, applied after filtering.
    baseline : tuple | None
        Baseline correction passed to :class:`mne.Epochs`.
    subject_pattern : str | None
        Regular expression with named groups ``subject``/``session`` (see
        :func:`entities_from_path`).
    entities : list of (subject, session) | None
        Subject and session of each path (BIDS readers know them); read from the paths
        when None.
    preprocess : callable | None
        ``preprocess(raw) -> raw``, run on each continuous recording before the
        band-pass, resampling and epoching (e.g. a model's authors' recipe:
        ``functools.partial(sklearn_eegfm.apply_recipe, model="cbramod")``).
    verbose : bool | str | int | None
        MNE verbosity.

    Returns
    -------
    epochs : mne.EpochsArray
        Epochs in volts, event ids named after the labels, metadata columns
        ``subject``, ``session``, ``run``, ``recording``, ``label``.

    Examples
    --------
    >>> from sklearn_eegfm.datasets import read_raw_epochs
    >>> epochs = read_raw_epochs(["S001R04.edf"], event_id="T1=left,T2=right",
    ...                          tmin=1.0, tmax=4.0)  # doctest: +SKIP
    """
    verbose = False if verbose is None else verbose
    event_id = parse_event_id(event_id)
    if tmax is not None and tmax <= tmin:
        raise ValueError(f"--tmax {tmax:g} must be after --tmin {tmin:g}.")
    parts, runs, skipped = [], {}, []
    import mne

    for i, item in enumerate(paths):
        if isinstance(item, mne.io.BaseRaw):  # already read (BIDS)
            raw, path = item.load_data(verbose=verbose), Path(item.filenames[0])
        else:
            path = Path(item)
            raw = _read_raw(path, verbose)
        _tidy_channels(raw, verbose)
        if preprocess is not None:  # before the band-pass: the user's own preparation
            raw = preprocess(raw)
        if l_freq is not None or h_freq is not None:
            raw.filter(l_freq, h_freq, verbose=verbose)
        if resample is not None:
            raw.resample(resample, verbose=verbose)
        try:
            epochs = _epoch_raw(raw, path, event_id, tmin, tmax, baseline, verbose)
        except NoEventsError as err:  # e.g. a baseline run in a folder of task runs
            skipped.append((path, err))
            continue
        subject, session = (
            entities[i] if entities is not None else entities_from_path(path, subject_pattern)
        )
        subject = path.parent.name if subject is None else subject
        session = 1 if session is None else session
        runs[(subject, session)] = runs.get((subject, session), 0) + 1
        with mne.utils.use_log_level("WARNING"):  # "Replacing existing metadata"
            epochs.metadata = epochs.metadata.assign(
                subject=subject, session=session, run=runs[(subject, session)], recording=path.name
            )
        parts.append(epochs)
    skip_or_raise(skipped, len(paths))
    if tmax is None:  # each recording's stimulation end: keep the shortest
        end = min(p.tmax for p in parts)
        parts = [p.crop(tmax=end, verbose=verbose) for p in parts]
    return combine_epochs(parts, verbose=verbose)


def combine_epochs(parts, *, verbose=False):
    """Stack epochs of several recordings, event ids merged by label name.

    Parameters
    ----------
    parts : list of mne.BaseEpochs
        Epochs with the same channels and rate, each with a metadata ``label`` column.
    verbose : bool | str | int | None
        MNE verbosity.

    Returns
    -------
    epochs : mne.EpochsArray
        All epochs, in the given order.
    """
    import mne
    import pandas as pd

    parts = [p for p in parts if len(p)]
    if not parts:
        raise ValueError("No epochs could be cut from the given recordings.")
    first = parts[0]
    for p in parts[1:]:
        if p.ch_names != first.ch_names or p.info["sfreq"] != first.info["sfreq"]:
            raise ValueError(
                "The recordings differ in channels or sampling rate "
                f"({len(first.ch_names)} ch at {first.info['sfreq']:g} Hz vs "
                f"{len(p.ch_names)} ch at {p.info['sfreq']:g} Hz). Pass --resample and keep "
                "one montage per run, or read them separately."
            )
        if p.times.size != first.times.size:
            raise ValueError("The recordings give epochs of different lengths; use --resample.")
    metadata = pd.concat([p.metadata for p in parts], ignore_index=True)
    labels = metadata["label"].astype(str)
    event_id = {lab: i + 1 for i, lab in enumerate(sorted(labels.unique()))}
    events = np.column_stack(
        [
            np.arange(len(labels)) * (first.times.size + 1),
            np.zeros(len(labels), int),
            labels.map(event_id).to_numpy(),
        ]
    )
    return mne.EpochsArray(
        np.concatenate([p.get_data() for p in parts]),
        first.info,
        events=events,
        tmin=first.tmin,
        event_id=event_id,
        metadata=metadata,
        verbose=verbose,
    )


def read_epochs_files(paths, *, subject_pattern=None, resample=None, verbose=None):
    """Read saved MNE epochs (``*-epo.fif``) with labels, subjects and sessions.

    Labels come from a metadata ``label`` column, else from the event names. Subject
    and session come from metadata columns of those names, else from the path.

    Parameters
    ----------
    paths : list of path
        ``-epo.fif`` files with the same channels and rate.
    subject_pattern : str | None
        See :func:`entities_from_path`.
    resample : float | None
        New sampling rate in Hz.
    verbose : bool | str | int | None
        MNE verbosity.

    Returns
    -------
    epochs : mne.EpochsArray
        Epochs with metadata columns ``subject``, ``session``, ``run``, ``recording``,
        ``label``.
    """
    import mne
    import pandas as pd

    verbose = False if verbose is None else verbose
    parts = []
    for run, path in enumerate((Path(p) for p in paths), start=1):
        try:
            with warnings.catch_warnings():
                # MNE's own metadata code under pandas 3: nothing a user can change.
                warnings.filterwarnings("ignore", "The inplace keyword in DataFrame")
                epochs = mne.read_epochs(path, preload=True, verbose=verbose)
        except Exception as err:  # noqa: BLE001
            raise ValueError(
                f"Cannot read {path} with mne.read_epochs ({type(err).__name__}: "
                f"{str(err)[:200]}). Save epochs with epochs.save('name-epo.fif')."
            ) from err
        epochs.pick("eeg", exclude=())
        if resample is not None:
            epochs.resample(resample, verbose=verbose)
        meta = epochs.metadata.reset_index(drop=True) if epochs.metadata is not None else None
        meta = pd.DataFrame(index=range(len(epochs))) if meta is None else meta
        if "label" not in meta:
            names = {v: k for k, v in epochs.event_id.items()}
            meta["label"] = [names[c] for c in epochs.events[:, 2]]
        subject, session = entities_from_path(path, subject_pattern)
        for column, value in (("subject", subject), ("session", session), ("run", run)):
            if column not in meta:
                default = path.name if column == "subject" else 1
                meta[column] = default if value is None else value
        meta["recording"] = path.name
        with mne.utils.use_log_level("WARNING"):
            epochs.metadata = meta
        parts.append(epochs)
    return combine_epochs(parts, verbose=verbose)


def _make_epochs(raw, events, label_ids, labels, tmin, tmax, baseline, verbose):
    import pandas as pd

    meta = pd.DataFrame({"label": labels})
    options = {"baseline": baseline, "picks": _pick_eeg(raw), "reject_by_annotation": False}
    return cut_epochs(
        raw, events, label_ids, tmin, tmax, metadata=meta, verbose=verbose, **options
    )


def cut_epochs(raw, events, event_id, tmin, tmax, *, baseline, metadata, verbose, **options):
    """Preloaded :class:`mne.Epochs` of ``raw`` around ``events``, absent codes ignored.

    The one place the readers cut a recording; ``options`` (``picks``,
    ``reject_by_annotation``) go to :class:`mne.Epochs` as they are.
    """
    import mne

    return mne.Epochs(
        raw,
        events,
        event_id,
        tmin,
        tmax,
        baseline=baseline,
        metadata=metadata,
        preload=True,
        on_missing="ignore",
        verbose=verbose,
        **options,
    )
