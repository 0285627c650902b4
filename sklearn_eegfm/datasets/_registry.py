"""One registry of readers and paradigm presets: what ``--data``/``--reader`` can be.

:data:`READERS` names every way to get labelled epochs (the built-in demo, the Muse and
EEGMMIDB presets, saved ``-epo.fif`` epochs, any recording :func:`mne.io.read_raw`
reads, BIDS, MOABB). :data:`PARADIGMS` holds the epoching defaults of ERP, motor
imagery and resting-state data. :func:`load_data` picks the reader (detecting it from
the files when not given), applies the presets under the user's own settings, and
returns the epochs, labels, dataset name and paradigm.
"""

from __future__ import annotations

import glob
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

import numpy as np

from ._raw import (
    EPOCHS_SUFFIXES,
    RAW_EXTENSIONS,
    is_epochs_file,
    is_raw_file,
    read_epochs_files,
    read_raw_epochs,
)
from ._ssvep import SSVEP_TMIN


@dataclass(frozen=True)
class Paradigm:
    """Epoching defaults of one kind of experiment.

    Parameters
    ----------
    name : str
        ``"erp"``, ``"mi"`` or ``"resting"``.
    tmin, tmax : float
        Epoch window around each event, in seconds.
    l_freq, h_freq : float | None
        Band-pass edges in Hz.
    keywords : tuple of str
        Words in label names that give the paradigm away.
    """

    name: str
    tmin: float
    tmax: float
    l_freq: float | None
    h_freq: float | None
    keywords: tuple


PARADIGMS = {
    # -0.1..1.1 s: the P300 and its return, and long enough for every model's input.
    "erp": Paradigm(
        "erp", -0.1, 1.1, 1.0, 30.0, ("target", "standard", "deviant", "oddball", "p300")
    ),
    # The mu/beta band during imagery, after the cue's evoked response.
    "mi": Paradigm(
        "mi", 0.5, 3.5, 8.0, 30.0, ("left", "right", "feet", "foot", "hand", "fist", "tongue")
    ),
    "resting": Paradigm("resting", 0.0, 2.0, 1.0, 40.0, ("rest", "eyes", "open", "closed")),
    # From past the onset's ERP to the end of the flicker (tmax None: the readers find it
    # in the data, see _ssvep.py); the pipelines' filter bank does the band selection.
    "ssvep": Paradigm("ssvep", SSVEP_TMIN, None, 1.0, None, ("hz", "ssvep", "flicker")),
}
_TASK_NAMES = {
    "erp": "an ERP",
    "mi": "a motor-imagery",
    "resting": "a resting-state",
    "ssvep": "an SSVEP",
}
# Window when the paradigm is unknown: fits every model, filters nothing.
GENERIC_WINDOW = (-0.1, 1.1)


class ReadResult(NamedTuple):
    """What a reader returns: labelled epochs, and what it learned about them.

    Attributes
    ----------
    epochs : mne.Epochs
        Epochs with ``subject``/``session`` metadata.
    y : ndarray
        One label per epoch.
    paradigm : str | None
        The paradigm the data turned out to be (None: the reader's own or the labels').
    dataset : str | None
        The data's name when it is only known after reading (e.g. a MOABB code).
    notes : tuple of str
        What the reader found or chose (for the console and the report).
    """

    epochs: object
    y: np.ndarray
    paradigm: str | None = None
    dataset: str | None = None
    notes: tuple = ()


@dataclass(frozen=True)
class Reader:
    """One way to read labelled epochs: a new reader is one entry of :data:`READERS`.

    Parameters
    ----------
    name : str
        The ``--reader`` value.
    read : callable
        ``read(options) -> ReadResult``; ``options`` is a :class:`DataOptions` whose
        ``files`` already hold the files the reader reads.
    help : str
        One line for ``--help``.
    paradigm : str | None
        The paradigm the reader knows its data to be.
    dataset : str | None
        Name of the data in results (checked against pretraining corpora); None names
        them after the folder or file read (``--dataset-name`` overrides both).
    files : callable | None
        ``files(path) -> bool``: whether the reader reads that file of ``--data``; None
        when it reads no files (the demo, BIDS and MOABB find their own).
    detect : callable | None
        ``detect(root, files, options) -> list | None``: when ``--reader`` is not given,
        the files of ``--data`` this reader claims (``[]`` for a folder it reads as a
        whole), or None when the data do not look like its own. Readers are tried in
        the order of :data:`READERS`; None: never detected.
    option : str | None
        The :class:`DataOptions` field that selects this reader without ``--reader``
        (``"moabb"`` for ``--moabb NAME``).
    reads_data : bool
        Whether it reads ``--data`` (a ``--reader`` choice).
    windowed : bool
        Whether it epochs with the paradigm's window and band, which it must then know
        before reading (the labels come too late to choose them).
    continuous : bool
        Whether it cuts continuous recordings itself, so that ``preprocess`` (see
        :class:`DataOptions`) can run on each recording before epoching.
    """

    name: str
    read: Callable
    help: str
    paradigm: str | None = None
    dataset: str | None = None
    files: Callable | None = None
    detect: Callable | None = None
    option: str | None = None
    reads_data: bool = True
    windowed: bool = False
    continuous: bool = True


@dataclass
class DataOptions:
    """What the user asked for; None means "the reader's or paradigm's default".

    Attributes
    ----------
    data : str | None
        Folder, file or glob of recordings.
    reader : str | None
        Reader name (see ``READERS``); None detects it from the files.
    paradigm : str | None
        ``"erp"``, ``"mi"`` or ``"resting"``; None infers it.
    event_id : str | None
        Events to epoch and their labels, as on the command line.
    tmin, tmax : float | None
        Epoch window in seconds.
    l_freq, h_freq : float | None
        Band-pass edges in Hz.
    resample : float | None
        Rate to resample to, in Hz.
    runs : tuple | None
        EEGMMIDB runs.
    bids_root : str | None
        Root of a BIDS dataset.
    task : str | None
        BIDS task.
    subjects, sessions : tuple | None
        BIDS subjects and sessions to read.
    moabb : str | None
        MOABB dataset name.
    subject_pattern : str | None
        Regular expression taking the subject from a file path.
    dataset_name : str | None
        Name of the data in the results and the report; None: the reader's preset
        name, else the folder's (or file's) name.
    ssvep_freqs : tuple | None
        Stimulation frequency of each class (SSVEP), in the order of ``event_id``.
    preprocess : callable | None
        ``preprocess(raw) -> raw`` run on each continuous recording before epoching (a
        model's authors' recipe); it replaces the paradigm's default band-pass, while
        ``l_freq``/``h_freq`` given by the user still apply after it.
    files : list
        Files resolved from ``data``.
    """

    data: str | None = None
    reader: str | None = None
    paradigm: str | None = None
    event_id: str | None = None
    tmin: float | None = None
    tmax: float | None = None
    l_freq: float | None = None
    h_freq: float | None = None
    resample: float | None = None
    runs: tuple | None = None
    bids_root: str | None = None
    task: str | None = None
    subjects: tuple | None = None
    sessions: tuple | None = None
    moabb: str | None = None
    subject_pattern: str | None = None
    dataset_name: str | None = None
    ssvep_freqs: tuple | None = None
    preprocess: Callable | None = None
    files: list = field(default_factory=list)

    def window(self, paradigm, default=None):
        """Return ``tmin, tmax, l_freq, h_freq``: the user's values over the paradigm's.

        Parameters
        ----------
        paradigm : str | None
            Paradigm whose preset fills the values the user left out.
        default : tuple | None
            ``(tmin, tmax, l_freq, h_freq)`` used instead of the paradigm's preset.

        Returns
        -------
        window : tuple
            ``(tmin, tmax, l_freq, h_freq)``.
        """
        preset = PARADIGMS.get(paradigm)
        if default is not None:
            base = default
        elif preset is not None:
            base = (preset.tmin, preset.tmax, preset.l_freq, preset.h_freq)
        else:
            base = (*GENERIC_WINDOW, None, None)
        if self.preprocess is not None:  # the recording's own preparation, not the preset's
            base = (*base[:2], None, None)
        given = (self.tmin, self.tmax, self.l_freq, self.h_freq)
        return tuple(b if g is None else g for g, b in zip(given, base))


@dataclass
class LoadedData:
    """Labelled epochs and what the command needs to know about them.

    Attributes
    ----------
    epochs : mne.Epochs
        The epochs, with ``subject`` and ``session`` metadata.
    y : ndarray
        One label per epoch.
    dataset : str
        Name of the data, checked against models' pretraining corpora.
    paradigm : str | None
        The paradigm, given or inferred.
    reader : str
        The reader used.
    notes : list of str
        What the reader did (for the report).
    """

    epochs: object
    y: np.ndarray
    dataset: str
    paradigm: str | None
    reader: str
    notes: list = field(default_factory=list)


# ---------------------------------------------------------------------- readers
def _label_y(epochs):
    return epochs.metadata["label"].astype(str).to_numpy()


def _read_demo(o):
    from ._demo import load_p300_demo

    tmin, tmax, l_freq, h_freq = o.window("erp")
    epochs = load_p300_demo(
        tmin=tmin, tmax=tmax, l_freq=l_freq, h_freq=h_freq, preprocess=o.preprocess
    )
    return ReadResult(_resampled(epochs, o), _label_y(epochs))


def _read_muse(o):
    from ._raw import note
    from ._readers import read_muse_csv

    if o.paradigm == "ssvep":
        return _read_muse_ssvep(o)
    tmin, tmax, l_freq, h_freq = o.window("erp")
    epochs = read_muse_csv(
        o.files, tmin=tmin, tmax=tmax, l_freq=l_freq, h_freq=h_freq, event_id=o.event_id,
        preprocess=o.preprocess,
    )  # fmt: skip
    if o.event_id is None:
        note(
            "Muse markers 1 and 2 read as nontarget and target (the P300 preset); name "
            "other studies' classes with --event-id, e.g. --event-id 1=face,2=house"
        )
    return ReadResult(_resampled(epochs, o), _label_y(epochs))


def _read_eegmmidb(o):
    from ._readers import load_eegmmidb

    if o.event_id is not None:
        raise ValueError(
            "--reader eegmmidb labels the runs itself (use --runs); for other events read "
            "the EDFs with --reader raw --event-id ..."
        )
    # The data's own README: imagined left/right fist, 8-30 Hz, 1-4 s after the cue.
    tmin, tmax, l_freq, h_freq = o.window("mi", default=(1.0, 4.0, 8.0, 30.0))
    runs = o.runs or (4, 8, 12)
    subjects = None if o.subjects is None else [int(s) for s in o.subjects]
    epochs = load_eegmmidb(
        o.files, runs, subjects=subjects, tmin=tmin, tmax=tmax, l_freq=l_freq, h_freq=h_freq,
        preprocess=o.preprocess,
    )  # fmt: skip
    return ReadResult(_resampled(epochs, o), _label_y(epochs))


def _read_epochs(o):
    epochs = read_epochs_files(o.files, subject_pattern=o.subject_pattern, resample=o.resample)
    return ReadResult(epochs, _label_y(epochs))


def _window_options(o):
    """Return the epoching keywords of the continuous-recording readers."""
    tmin, tmax, l_freq, h_freq = o.window(o.paradigm)
    return {
        "event_id": o.event_id,
        "tmin": tmin,
        "tmax": tmax,
        "l_freq": l_freq,
        "h_freq": h_freq,
        "resample": o.resample,
        "preprocess": o.preprocess,
    }


def _read_raw(o):
    epochs = read_raw_epochs(o.files, subject_pattern=o.subject_pattern, **_window_options(o))
    return _with_frequencies(ReadResult(epochs, _label_y(epochs)), o)


def _read_bids(o):
    from ._bids import read_bids

    root = o.bids_root if o.bids_root is not None else o.data
    epochs = read_bids(
        root, o.task, subjects=o.subjects, sessions=o.sessions, **_window_options(o)
    )
    return _with_frequencies(ReadResult(epochs, _label_y(epochs)), o)


def _read_moabb(o):
    from ._bids import read_moabb

    epochs, paradigm, code = read_moabb(o.moabb, subjects=o.subjects)
    read = ReadResult(epochs, _label_y(epochs), paradigm, code)
    return _with_frequencies(read, o, how="the dataset's interval in MOABB")


def _read_muse_ssvep(o):
    from ._raw import parse_event_id
    from ._readers import read_muse_csv
    from ._ssvep import MUSE_SSVEP_EVENT_ID, check_ssvep_window, muse_stimulus_end

    event_id = parse_event_id(o.event_id) or MUSE_SSVEP_EVENT_ID
    tmin, tmax, l_freq, h_freq = o.window("ssvep")
    how = None
    if tmax is None:
        tmax, how = muse_stimulus_end(o.files)
        tmax = check_ssvep_window(tmin, tmax, how)
    epochs = read_muse_csv(
        o.files, tmin=tmin, tmax=tmax, l_freq=l_freq, h_freq=h_freq, event_id=event_id,
        preprocess=o.preprocess,
    )  # fmt: skip
    read = ReadResult(_resampled(epochs, o), _label_y(epochs), "ssvep", "muse-ssvep")
    return _with_frequencies(read, o, how=how, order=list(event_id.values()))


def _with_frequencies(read, o, how=None, order=None):
    """SSVEP data: frequencies into the metadata and labels, notes on them."""
    if (read.paradigm or o.paradigm) != "ssvep":
        return read
    from ._raw import parse_event_id
    from ._ssvep import add_frequencies, ssvep_notes

    if order is None and o.event_id is not None:
        order = list(parse_event_id(o.event_id).values())
    epochs, y, mapping = add_frequencies(read.epochs, read.y, o.ssvep_freqs, order)
    source = "--ssvep-freqs" if o.ssvep_freqs is not None else "the event names"
    if how is None and o.tmax is None and read.paradigm is None:
        how = "the shortest annotated stimulus, else the shortest gap between two onsets"
    notes = ssvep_notes(epochs, mapping, source, how)
    return read._replace(epochs=epochs, y=y, paradigm="ssvep", notes=(*read.notes, *notes))


def _resampled(epochs, o):
    if o.resample is not None:
        epochs.resample(o.resample, verbose=False)
    return epochs


def _is_muse_csv(path):
    return ".csv" in path.name.lower()


def _claims(predicate):
    """Make a ``detect`` rule: the files ``predicate`` accepts, or None if none."""

    def detect(root, files, options):
        return [f for f in files if predicate(f)] or None

    return detect


def _detect_eegmmidb(root, files, options):
    # With --event-id, EEGMMIDB's files are plain EDF recordings (the raw reader's).
    if options.event_id is not None:
        return None
    return [f for f in files if re.fullmatch(r"S\d{3}R\d{2}\.edf", f.name)] or None


def _detect_bids(root, files, options):
    return [] if root.is_dir() and (root / "dataset_description.json").is_file() else None


#: Every reader, by ``--reader`` name, in the order detection tries them.
READERS = {
    r.name: r
    for r in (
        Reader(
            "moabb",
            _read_moabb,
            "a MOABB dataset by name (--moabb), from the local MNE data folder",
            option="moabb",
            reads_data=False,
            continuous=False,
        ),
        Reader(
            "bids",
            _read_bids,
            "a BIDS dataset (--bids-root, --task) through mne-bids",
            detect=_detect_bids,
            option="bids_root",
            windowed=True,
        ),
        Reader(
            "demo",
            _read_demo,
            "the built-in visual P300 demo",
            "erp",
            "p300-demo",
            reads_data=False,
        ),
        Reader(
            "epochs",
            _read_epochs,
            "saved MNE epochs (*-epo.fif)",
            files=is_epochs_file,
            detect=_claims(is_epochs_file),
            continuous=False,
        ),
        Reader(
            "eegmmidb",
            _read_eegmmidb,
            "PhysioNet EEGMMIDB EDFs (SxxxRyy.edf); --runs, imagined left/right fist by default",
            "mi",
            "eegmmidb",
            files=lambda f: f.suffix.lower() == ".edf",
            detect=_detect_eegmmidb,
        ),
        Reader(
            "muse",
            _read_muse,
            "eeg-notebooks Muse CSVs (subjectN/sessionM/*.csv.gz); P300 markers by "
            "default, SSVEP with --paradigm ssvep (markers 1 = 30 Hz, 2 = 20 Hz), "
            "--event-id 1=face,2=house for other studies",
            "erp",
            files=_is_muse_csv,
            detect=_claims(_is_muse_csv),
        ),
        Reader(
            "raw",
            _read_raw,
            "recordings mne.io.read_raw reads (EDF, BDF, BrainVision, EEGLAB, FIF, ...), "
            "epoched around annotations or stim events (--event-id, --tmin/--tmax)",
            files=is_raw_file,
            detect=_claims(is_raw_file),
            windowed=True,
        ),
    )
}
#: The reader used without ``--data`` and without an option that selects one.
DEFAULT_READER = "demo"
#: ``--reader`` values: the readers that read ``--data``.
READER_CHOICES = tuple(name for name, r in READERS.items() if r.reads_data)


#: The command line's data options: ``(flag, argparse options)``; ``type`` names one of
#: "float", "ints" (comma-separated positive integers) or "list" (comma-separated).
DATA_ARGUMENTS = [
    ("--data", {"metavar": "PATH", "help": "folder, file or glob: -epo.fif epochs, "
        "recordings (EDF, BDF, BrainVision, EEGLAB, FIF, ...), Muse CSVs, or a BIDS root"}),
    ("--reader", {"choices": READER_CHOICES, "help": "how to "
        "read --data (default: detected from the files); presets muse (P300, or SSVEP) and "
        "eegmmidb (motor imagery: 8-30 Hz, 1-4 s)"}),
    ("--paradigm", {"choices": tuple(PARADIGMS), "help": "erp, mi, resting or ssvep: chooses "
        "the default baselines and window (default: what the reader or the label names say)"}),
    ("--event-id", {"metavar": "T1=left,T2=right", "help": "events to epoch and their "
        "labels: annotation names (T1 also finds BrainVision's Comment/T1), stim codes or "
        "Muse marker codes (1=face,2=house) (default: all; Muse: 1=nontarget,2=target)"}),
    ("--dataset-name", {"metavar": "NAME", "help": "name of the data in the results and "
        "the report (default: the folder's name, or the preset's)"}),
    ("--tmin", {"type": "float", "metavar": "S", "help": "epoch start, s (default: the "
        "paradigm's: erp -0.1, mi 0.5, resting 0)"}),
    ("--tmax", {"type": "float", "metavar": "S", "help": "epoch end, s (erp 1.1, mi 3.5, "
        "resting 2)"}),
    ("--l-freq", {"type": "float", "metavar": "HZ", "help": "high-pass edge (erp 1, mi 8)"}),
    ("--h-freq", {"type": "float", "metavar": "HZ", "help": "low-pass edge (erp 30, mi 30)"}),
    ("--resample", {"type": "float", "metavar": "HZ", "help": "new sampling rate"}),
    ("--runs", {"type": "ints", "metavar": "4,8,12", "help": "eegmmidb runs (default 4,8,12: "
        "imagined left/right fist)"}),
    ("--bids-root", {"metavar": "DIR", "help": "a BIDS dataset, read with mne-bids"}),
    ("--task", {"help": "BIDS task (needed when the dataset has several)"}),
    ("--subjects", {"type": "list", "metavar": "S,T", "help": "subjects to read (BIDS, "
        "MOABB, eegmmidb)"}),
    ("--sessions", {"type": "list", "metavar": "S,T", "help": "sessions to read (BIDS)"}),
    ("--moabb", {"metavar": "NAME", "help": "a MOABB dataset already in the local MNE data "
        "folder, e.g. BNCI2014_001"}),
    ("--ssvep-freqs", {"type": "list", "metavar": "30,20", "help": "SSVEP stimulation "
        "frequency of each class in Hz, in --event-id order (default: read from the event "
        "names, e.g. --event-id 1=30Hz,2=20Hz)"}),
    ("--subject-pattern", {"metavar": "REGEX", "help": "regular expression with groups "
        "(?P<subject>...) and (?P<session>...) matched in each file path"}),
]  # fmt: skip


# -------------------------------------------------------------------- detection
def _files_of(data):
    p = Path(data).expanduser()
    if p.is_dir():
        return p, sorted(f for f in p.rglob("*") if f.is_file())
    if p.exists():
        return p, [p]
    return p, sorted(Path(f) for f in glob.glob(str(data), recursive=True) if Path(f).is_file())


def detect_reader(data, event_id=None):
    """Guess the reader of a path from the files it holds.

    Parameters
    ----------
    data : str | Path
        A file, folder or glob.
    event_id : str | None
        ``--event-id``: when given, EEGMMIDB files are read as plain EDF recordings.

    Returns
    -------
    reader : str
        A key of :data:`READERS`.
    files : list of Path
        The files that reader will read (empty for BIDS).
    """
    root, files = _files_of(data)
    options = DataOptions(data=str(data), event_id=event_id)
    for reader in READERS.values():
        claimed = None if reader.detect is None else reader.detect(root, files, options)
        if claimed is not None:
            return reader.name, claimed
    kinds = sorted({"".join(f.suffixes[-2:]) or f.name for f in files})[:10]
    raise FileNotFoundError(
        f"--data {data}: found no recordings ({len(files)} files"
        + (f"; endings {kinds}" if kinds else "")
        + "). Readable: saved epochs ("
        + ", ".join(EPOCHS_SUFFIXES[:1])
        + "), recordings ("
        + ", ".join(RAW_EXTENSIONS[:6])
        + ", ...), Muse CSVs, or a BIDS root (--bids-root)."
    )


def _files_for(reader, data):
    files = [f for f in _files_of(data)[1] if reader.files(f)]
    if not files:
        try:
            other, _ = detect_reader(data)
            hint = f" It holds files for --reader {other}."
        except FileNotFoundError:
            hint = ""
        raise FileNotFoundError(f"--data {data}: no files for --reader {reader.name}.{hint}")
    return files


# ------------------------------------------------------------------- paradigms
def infer_paradigm(labels):
    """Guess the paradigm from label names (``target`` -> erp, ``left_fist`` -> mi).

    Parameters
    ----------
    labels : array-like of str
        Label names.

    Returns
    -------
    paradigm : str | None
        The paradigm whose keywords most label names contain; None on no hit or a tie.
    """
    names = [str(v).lower() for v in np.unique(np.asarray(labels).astype(str))]
    hits = {
        name: sum(any(k in n for k in p.keywords) for n in names) for name, p in PARADIGMS.items()
    }
    best = max(hits.values())
    winners = [k for k, v in hits.items() if v == best]
    return winners[0] if best and len(winners) == 1 else None


def check_paradigm(paradigm, y, known):
    """Refuse a paradigm that does not fit the labels.

    Parameters
    ----------
    paradigm : str | None
        What the user asked for.
    y : array-like
        Labels.
    known : str | None
        What the reader knows or the label names say.

    Returns
    -------
    paradigm : str | None
        The paradigm to use.
    """
    classes = np.unique(np.asarray(y).astype(str))
    if len(classes) < 2:
        raise ValueError(
            f"Only one class ({classes.tolist()}) in the data: nothing to classify. Choose "
            "events of two classes or more with --event-id (e.g. --event-id T1=left,T2=right)."
        )
    if paradigm is not None and known is not None and paradigm != known:
        raise ValueError(
            f"--paradigm {paradigm} does not fit the labels {classes.tolist()[:6]}, which "
            f"look like {_TASK_NAMES[known]} task. Use --paradigm {known}, or choose the "
            "baselines yourself with --pipelines."
        )
    return paradigm or known


# ------------------------------------------------------------------------- load
def _choose_reader(o, notes):
    """Pick the reader: one an option names, then ``--reader``, then detection."""
    for reader in READERS.values():
        if reader.option is not None and getattr(o, reader.option) is not None:
            return reader
    if o.data is None:
        return READERS[DEFAULT_READER]
    if o.reader is not None:
        return READERS[o.reader]
    name, o.files = detect_reader(o.data, o.event_id)
    notes.append(f"--data read with --reader {name} (detected from the files)")
    return READERS[name]


def load_data(options):
    """Read labelled epochs as the command line asks.

    Parameters
    ----------
    options : DataOptions
        Paths, reader and epoching settings.

    Returns
    -------
    loaded : LoadedData
        Epochs, labels, dataset name, paradigm and notes for the console.
    """
    o = options
    notes = []
    reader = _choose_reader(o, notes)
    if reader.files is not None and not o.files:
        o.files = _files_for(reader, o.data)
    given = o.paradigm
    if o.paradigm is None and o.event_id is not None:  # the labels asked for tell
        from ._raw import parse_event_id

        o.paradigm = infer_paradigm(list(parse_event_id(o.event_id).values()))
    o.paradigm = o.paradigm or reader.paradigm
    if o.preprocess is not None and not reader.continuous:
        raise ValueError(
            f"--recipe prepares continuous recordings before epoching, but --reader "
            f"{reader.name} reads epochs already cut. Read the recordings instead (--reader "
            "raw, eegmmidb, muse or bids), or prepare them in MNE "
            "(sklearn_eegfm.apply_recipe(raw, model)) before cutting and saving the epochs."
        )
    read = _read_with_notes(reader, o, notes)
    notes.extend(n for n in read.notes if n not in notes)
    known = read.paradigm or reader.paradigm or infer_paradigm(read.y)
    paradigm = check_paradigm(given, read.y, known)
    if o.paradigm is None and paradigm is not None and reader.windowed:
        notes.append(
            f"the labels look like {_TASK_NAMES[paradigm]} task, but the window and band "
            f"were chosen before reading them; pass --paradigm {paradigm} for its defaults"
        )
    dataset = (
        o.dataset_name or read.dataset or reader.dataset or dataset_name_of(o.bids_root or o.data)
    )
    return LoadedData(read.epochs, np.asarray(read.y), dataset, paradigm, reader.name, notes)


def _read_with_notes(reader, options, notes):
    """Run a reader; what it notes (skipped files, matched names) joins ``notes`` once each."""
    import warnings

    from ._raw import ReaderNote

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ReaderNote)
        result = reader.read(options)
    for w in caught:
        if issubclass(w.category, ReaderNote):
            if str(w.message) not in notes:
                notes.append(str(w.message))
        else:  # not ours: as if never caught
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
    return result


def dataset_name_of(data):
    """Name data after their folder, or file: ``recordings/`` -> ``recordings``.

    Parameters
    ----------
    data : str | Path | None
        What ``--data`` (or ``--bids-root``) named: a folder, a file or a glob.

    Returns
    -------
    name : str
        The folder's name, the file's name without its endings (``study-epo.fif`` ->
        ``study``), or ``"custom"``.

    Examples
    --------
    >>> from sklearn_eegfm.datasets import dataset_name_of
    >>> dataset_name_of("studies/n170_faces/")
    'n170_faces'
    >>> dataset_name_of("my_study-epo.fif")
    'my_study'
    """
    if data is None:
        return "custom"
    path = Path(str(data)).expanduser()
    while any(ch in path.name for ch in "*?[") and path.name:
        path = path.parent  # a glob: name it after the folder it searches
    name = path.name if path.name not in ("", ".", "..") else path.resolve().name
    if path.suffix and not path.is_dir():
        name = re.sub(r"([-_](epo|raw|eeg))?(\.[A-Za-z0-9]+)+$", "", name) or name
    return name or "custom"


def subsample_per_subject(subjects, y, n_max):
    """Pick at most ``n_max`` epochs per subject, stratified and deterministic.

    Each class keeps its share of the subject's epochs (at least one epoch), taken
    evenly spaced in recording order, so that the slice spans the whole session.

    Parameters
    ----------
    subjects : array-like
        Subject of each epoch.
    y : array-like
        Label of each epoch.
    n_max : int
        Most epochs kept per subject.

    Returns
    -------
    idx : ndarray of int
        Sorted indices of the kept epochs.

    Examples
    --------
    >>> from sklearn_eegfm.datasets import subsample_per_subject
    >>> subsample_per_subject([1] * 6 + [2] * 2, [0, 0, 0, 0, 1, 1, 0, 1], 3)
    array([0, 3, 4, 6, 7])
    """
    subjects, y = np.asarray(subjects), np.asarray(y)
    keep = []
    for subject in np.unique(subjects):
        rows = np.flatnonzero(subjects == subject)
        if len(rows) <= n_max:
            keep.append(rows)
            continue
        classes, counts = np.unique(y[rows], return_counts=True)
        quota = np.maximum(1, np.floor(n_max * counts / counts.sum())).astype(int)
        # Hand the rounding remainder to the classes that lost most to the floor.
        short = n_max - quota.sum()
        for c in np.argsort(-(n_max * counts / counts.sum() - quota))[: max(short, 0)]:
            quota[c] += 1
        for cls, n in zip(classes, np.minimum(quota, counts)):
            members = rows[y[rows] == cls]
            keep.append(members[np.linspace(0, len(members) - 1, n).round().astype(int)])
    return np.sort(np.concatenate(keep))
