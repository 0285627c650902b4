"""BIDS datasets (through mne-bids) and MOABB datasets from the local MNE data folder."""

from __future__ import annotations

from pathlib import Path

from ._raw import read_raw_epochs

# MOABB paradigm of a dataset -> (our paradigm, moabb.paradigms class).
_MOABB_PARADIGMS = {
    "imagery": ("mi", "MotorImagery"),
    "p300": ("erp", "P300"),
    "ssvep": ("ssvep", "SSVEP"),
    "rstate": ("resting", "RestingStateToP300Adapter"),
}


def read_bids(root, task, *, subjects=None, sessions=None, datatype="eeg", **epoch_kwargs):
    """Read the recordings of one task of a BIDS dataset as labelled epochs.

    Subject and session come from the BIDS entities; events from ``*_events.tsv``
    (through :func:`mne_bids.read_raw_bids`, which turns them into annotations).

    Parameters
    ----------
    root : str | Path
        The BIDS root (holding ``dataset_description.json``).
    task : str | None
        The task; may be None when the dataset has only one.
    subjects, sessions : list of str | None
        Subset to read (all when None).
    datatype : str
        BIDS datatype folder.
    **epoch_kwargs
        ``event_id``, ``tmin``, ``tmax``, ``l_freq``, ``h_freq``, ``resample``,
        ``baseline``, ``verbose``: as for :func:`read_raw_epochs`.

    Returns
    -------
    epochs : mne.EpochsArray
        Labelled epochs with metadata ``subject``, ``session``, ``run``, ``recording``,
        ``label``.

    Examples
    --------
    >>> from sklearn_eegfm.datasets import read_bids
    >>> epochs = read_bids("ds003", "oddball", event_id="target,standard")  # doctest: +SKIP
    """
    from ..utils._imports import import_optional_dependency

    mne_bids = import_optional_dependency("mne_bids", extra="bids")
    root = Path(root).expanduser()
    if not (root / "dataset_description.json").is_file():
        raise ValueError(
            f"--bids-root {root}: no dataset_description.json there, so it is not a BIDS "
            "root. Give the folder that holds dataset_description.json, or convert the "
            "data with mne_bids.write_raw_bids."
        )
    tasks = sorted(mne_bids.get_entity_vals(root, "task"))
    if task is None and len(tasks) == 1:
        task = tasks[0]
    if task not in tasks:
        what = "choose a task" if task is None else f"it has no task {task!r}; choose one"
        raise ValueError(
            f"--bids-root {root}: {what} with --task ({', '.join(tasks) or 'no tasks found'})."
        )
    paths = mne_bids.find_matching_paths(
        root,
        tasks=task,
        subjects=None if subjects is None else [str(s) for s in subjects],
        sessions=None if sessions is None else [str(s) for s in sessions],
        datatypes=datatype,
        suffixes=datatype,
        extensions=[".edf", ".bdf", ".vhdr", ".set", ".fif", ".eeg"],
    )
    paths = [p for p in paths if p.extension != ".eeg" or p.datatype != "eeg"]
    if not paths:
        raise ValueError(
            f"--bids-root {root}: no {datatype} recordings of task {task!r} for subjects "
            f"{subjects or 'all'} and sessions {sessions or 'all'}."
        )
    verbose = epoch_kwargs.pop("verbose", None)
    verbose = False if verbose is None else verbose
    raws, entities = [], []
    for bp in sorted(paths, key=str):
        raws.append(mne_bids.read_raw_bids(bp, verbose=verbose))
        subject = int(bp.subject) if bp.subject and bp.subject.isdigit() else bp.subject
        session = bp.session or 1
        entities.append((subject, int(session) if str(session).isdigit() else session))
    epochs = read_raw_epochs(raws, entities=entities, verbose=verbose, **epoch_kwargs)
    if epoch_kwargs.get("event_id") is None:
        _check_same_labels(epochs.metadata)
    return epochs


def _check_same_labels(metadata):
    """Refuse automatic labels that differ between subjects (they would be subjects).

    Without ``events.tsv``, mne-bids falls back on a recording's own markers (a
    BrainVision ``.vmrk``), whose names differ from the other subjects' events: the
    classes would then be confounded with the subjects.
    """
    per_subject = {
        subject: sorted(map(str, set(rows["label"])))
        for subject, rows in metadata.groupby("subject", sort=True)
    }
    if len({tuple(v) for v in per_subject.values()}) > 1:
        listed = "; ".join(f"sub-{s}: {v}" for s, v in per_subject.items())
        raise ValueError(
            f"The subjects' events have different names ({listed}), so the labels would "
            "tell the subjects apart, not the conditions (a subject without events.tsv "
            "falls back on its recording's own markers). Map them to shared labels with "
            "event_id= (--event-id on the command line), e.g. --event-id "
            "'Stimulus/S  1=left,Stimulus/S  2=right,left=left,right=right'."
        )


def moabb_data_folder():
    """Where MOABB keeps downloaded data: ``$MNE_DATA`` (MNE config), else ``~/mne_data``."""
    import mne

    return Path(mne.get_config("MNE_DATA") or Path.home() / "mne_data").expanduser()


def read_moabb(name, *, subjects=None):
    """Read a MOABB dataset by name from the local MNE data folder.

    Parameters
    ----------
    name : str | moabb.datasets.base.BaseDataset
        A class of :mod:`moabb.datasets`, e.g. ``"BNCI2014_001"``, or a dataset object
        (e.g. ``FakeDataset(paradigm="ssvep")``).
    subjects : list of int | None
        Subjects to read (all when None).

    Returns
    -------
    epochs : mne.Epochs
        Epochs with metadata ``subject``, ``session``, ``run``, ``label``.
    paradigm : str
        ``"mi"``, ``"erp"``, ``"resting"`` or ``"ssvep"``, from the dataset's MOABB
        paradigm. SSVEP epochs start 1 s after onset where the dataset's interval
        allows, and end with its interval.
    code : str
        The dataset's MOABB code (its name in results).
    """
    from ..utils._imports import import_optional_dependency

    moabb_datasets = import_optional_dependency("moabb.datasets", extra="moabb")
    import moabb.paradigms

    if isinstance(name, str):
        cls = getattr(moabb_datasets, name, None)
        if cls is None:
            names = sorted(
                n for n in dir(moabb_datasets) if not n.startswith("_") and n[0].isupper()
            )
            close = [n for n in names if name.lower()[:4] in n.lower()][:8]
            raise ValueError(
                f"--moabb {name}: no such MOABB dataset; e.g. {', '.join(close or names[:8])}."
            )
        dataset = cls()
    else:
        dataset, name = name, type(name).__name__
    ours, paradigm_name = _MOABB_PARADIGMS.get(dataset.paradigm, ("mi", "MotorImagery"))
    paradigm = getattr(moabb.paradigms, paradigm_name)(**_moabb_window(ours, dataset))
    folder = moabb_data_folder()
    # Datasets that generate their data (FakeDataset) need no download.
    needs_files = not name.lower().startswith("fake")
    if needs_files and not any(folder.glob("MNE-*")):
        raise ValueError(_not_downloaded(name, folder))
    try:
        subjects = (
            None if subjects is None else [int(s) if str(s).isdigit() else s for s in subjects]
        )
        epochs, labels, meta = paradigm.get_data(dataset, subjects=subjects, return_epochs=True)
    except Exception as err:  # noqa: BLE001  (a download attempt without network, mostly)
        raise ValueError(f"{_not_downloaded(name, folder)} ({type(err).__name__}: {err})") from err
    meta = meta.reset_index(drop=True).copy()
    meta["label"] = labels
    epochs.metadata = meta
    return epochs, ours, dataset.code


def _moabb_window(paradigm, dataset):
    """SSVEP: start 1 s after onset (past its ERP) if the dataset's interval allows."""
    if paradigm != "ssvep":
        return {}
    from ._ssvep import SSVEP_TMIN

    start, end = dataset.interval
    # MOABB's tmin counts from the interval's start; keep at least half the interval.
    return {"tmin": min(max(SSVEP_TMIN - start, 0.0), (end - start) / 2)}


def _not_downloaded(name, folder):
    return (
        f"--moabb {name}: the data are not in the local MNE data folder {folder} and this "
        f"command does not download. On a machine with network run "
        f'python -c "from moabb.datasets import {name}; {name}().download()" and copy '
        f"{folder} here (or point MNE_DATA at a copy: mne.set_config('MNE_DATA', path))."
    )
