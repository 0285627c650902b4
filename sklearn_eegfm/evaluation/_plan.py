"""The plan of a comparison: the data it runs on and every task it will run.

A task is one pipeline on one fold of the protocol under one seed. The plan lists the
tasks in order, each with its key (one spelling per fold, whether it comes from a
split or back from a results file), and a record that describes the run completely
enough to tell whether two runs may share rows (see :mod:`._runs`).
"""

from __future__ import annotations

import dataclasses
import hashlib
from dataclasses import dataclass

import numpy as np

from .._version import __version__
from .protocols import Split, make_splits

# Parameters that do not change a fold's result (where embeddings are cached, how
# much is printed, how many workers run).
_NEUTRAL_PARAMS = ("cache", "verbose", "n_jobs")


# ------------------------------------------------------------------------ data
@dataclass(frozen=True)
class EvaluationData:
    """Epochs with one label, subject and session each, as the protocol reads them.

    Attributes
    ----------
    X : EpochsData
        The epochs; their metadata hold ``subject`` and ``session`` so that adapters
        and alignments find each epoch's domain.
    y, subjects, sessions : ndarray
        One value per epoch.
    """

    X: object
    y: np.ndarray
    subjects: np.ndarray
    sessions: np.ndarray


def _labels(epochs, y):
    if y is not None:
        y = np.asarray(y)
    else:
        meta = getattr(epochs, "metadata", None)
        if meta is not None and "label" in meta:
            y = meta["label"].to_numpy()
        elif hasattr(epochs, "events") and hasattr(epochs, "event_id"):
            names = {v: k for k, v in epochs.event_id.items()}
            y = np.array([names[c] for c in epochs.events[:, 2]])
        else:
            raise ValueError(
                "No labels: pass y=..., or Epochs with a metadata 'label' column or events."
            )
    if len(y) != len(epochs):
        raise ValueError(f"y has {len(y)} labels for {len(epochs)} epochs.")
    if any(v is None or (isinstance(v, float) and np.isnan(v)) for v in y.tolist()):
        raise ValueError("Some labels are missing (None/NaN); drop those epochs first.")
    return y


def _groups(epochs, values, column, required):
    if values is not None:
        values = np.asarray(values)
    else:
        meta = getattr(epochs, "metadata", None)
        if meta is not None and column in meta:
            values = meta[column].to_numpy()
        elif required:
            raise ValueError(
                f"The protocol needs each epoch's {column}: pass {column}s=... or Epochs "
                f"with a metadata '{column}' column."
            )
        else:
            values = np.zeros(len(epochs), int)
    if len(values) != len(epochs):
        raise ValueError(f"{column}s has {len(values)} entries for {len(epochs)} epochs.")
    return values


def _with_domains(X, subjects, sessions):
    """Return EpochsData whose metadata hold the subject and session of each epoch.

    Adapters and alignments read each epoch's domain from these columns, also when
    the domains were given as arrays rather than metadata.
    """
    import pandas as pd

    def load_metadata():
        meta = X.metadata
        meta = pd.DataFrame(index=range(len(X))) if meta is None else meta.copy()
        meta["subject"], meta["session"] = subjects, sessions
        return meta.reset_index(drop=True)

    return dataclasses.replace(
        X, ch_names=list(X.ch_names), notes=list(X.notes), _metadata_loader=load_metadata
    )


def prepare_data(epochs, y=None, subjects=None, sessions=None, *, protocol="loso"):
    """Read labels and domains and turn the epochs into the data every task sees.

    Parameters
    ----------
    epochs : mne.Epochs | EpochsData
        The data.
    y, subjects, sessions : array-like | None
        Labels, subject and session per epoch; None reads the metadata (labels: the
        ``label`` column, else the event names).
    protocol : str
        The protocol, which says whether subjects and sessions are required.

    Returns
    -------
    data : EvaluationData
        Epochs, labels and domains.
    """
    from .._data import EpochsData

    y = _labels(epochs, y)
    subjects = _groups(epochs, subjects, "subject", protocol != "within-subject")
    sessions = _groups(epochs, sessions, "session", protocol == "cross-session")
    X = epochs if isinstance(epochs, EpochsData) else EpochsData.from_epochs(epochs)
    return EvaluationData(_with_domains(X, subjects, sessions), y, subjects, sessions)


# ------------------------------------------------------------------------ tasks
def _norm(value):
    if value is None or value == "" or (isinstance(value, float) and np.isnan(value)):
        return ""
    try:
        number = float(value)
    except (TypeError, ValueError):
        return str(value)
    return str(int(number)) if number.is_integer() else str(number)


def fold_key(pipeline, seed, subject, session, fold, k_shot):
    """One spelling per fold, whether it comes from a split or back from a CSV.

    Parameters
    ----------
    pipeline, seed, subject, session, fold, k_shot : object
        The fold's coordinates.

    Returns
    -------
    key : tuple of str
        Hashable key.
    """
    return (str(pipeline), *(_norm(v) for v in (seed, subject, session, fold, k_shot)))


@dataclass(frozen=True)
class Task:
    """One pipeline on one fold under one seed.

    Attributes
    ----------
    pipeline : str
        The pipeline's name.
    estimator : estimator
        The unfitted pipeline (each task fits its own clone).
    seed : int
        The seed of the estimator's ``random_state`` parameters.
    split : Split
        The fold.
    """

    pipeline: str
    estimator: object
    seed: int
    split: Split

    @property
    def key(self):
        """The fold's key (see :func:`fold_key`), a tuple of str."""
        s = self.split
        return fold_key(self.pipeline, self.seed, s.subject, s.session, s.fold, s.k_shot)

    def describe(self):
        """Name the task in words, for progress and logs.

        Returns
        -------
        text : str
            E.g. ``"xdawn+ts, subject 2, session 0, fold 1, seed 0"``.
        """
        s = self.split
        parts = [self.pipeline, f"subject {s.subject}"]
        parts += [] if s.session is None else [f"session {s.session}"]
        parts += [f"fold {s.fold}"] + ([] if s.k_shot is None else [f"k={s.k_shot}"])
        return ", ".join([*parts, f"seed {self.seed}"])


@dataclass(frozen=True)
class Plan:
    """Every task of a run, in order, and the run's record.

    Attributes
    ----------
    tasks : tuple of Task
        Seeds outermost, then folds, then pipelines in the order given.
    record : dict
        What the run is (see :func:`run_record`).
    """

    tasks: tuple
    record: dict

    @property
    def keys(self):
        """The keys of every task, a set of tuples."""
        return {task.key for task in self.tasks}


def make_plan(pipelines, data, *, protocol, settings, seeds, dataset, metrics):
    """Plan a run: the folds of the protocol for every seed, times every pipeline.

    Parameters
    ----------
    pipelines : dict of str to estimator
        The pipelines.
    data : EvaluationData
        Labels and domains (see :func:`prepare_data`).
    protocol : str
        See :func:`~sklearn_eegfm.evaluation.protocols.make_splits`.
    settings : dict
        Protocol settings passed to ``make_splits`` (``n_splits``, ``shots``, ...).
    seeds : list of int
        One repeat of every fold per seed (splits and draws depend on it).
    dataset : str
        The data's name.
    metrics : list of str
        Metric names.

    Returns
    -------
    plan : Plan
        The tasks and the run's record.
    """
    splits = [
        (seed, split)
        for seed in seeds
        for split in make_splits(
            protocol, data.y, data.subjects, data.sessions, random_state=seed, **settings
        )
    ]
    tasks = tuple(
        Task(name, est, seed, split) for seed, split in splits for name, est in pipelines.items()
    )
    record = run_record(
        pipelines=pipelines,
        X=data.X,
        y=data.y,
        subjects=data.subjects,
        sessions=data.sessions,
        dataset=dataset,
        protocol=protocol,
        settings=settings,
        seeds=seeds,
        metrics=metrics,
    )
    return Plan(tasks, record)


# ----------------------------------------------------------------------- record
def describe_estimator(estimator):
    """Describe an estimator and its parameters, nested ones included, as plain data.

    Parameters
    ----------
    estimator : object
        A scikit-learn estimator (or any value found among its parameters).

    Returns
    -------
    description : str | dict | list
        JSON-serialisable; equal descriptions mean equal configurations.
    """
    if hasattr(estimator, "get_params") and not isinstance(estimator, type):
        params = estimator.get_params(deep=False)
        return {
            "class": f"{type(estimator).__module__}.{type(estimator).__qualname__}",
            "params": {
                k: describe_estimator(v)
                for k, v in sorted(params.items())
                if k not in _NEUTRAL_PARAMS
            },
        }
    if isinstance(estimator, list | tuple):
        return [describe_estimator(v) for v in estimator]
    if isinstance(estimator, dict):
        return {str(k): describe_estimator(v) for k, v in sorted(estimator.items(), key=str)}
    if isinstance(estimator, np.ndarray):
        return f"ndarray{estimator.shape}:{_hash(estimator)}"
    if callable(estimator):
        return f"{getattr(estimator, '__module__', '')}.{getattr(estimator, '__qualname__', '')}"
    if isinstance(estimator, float | np.floating) and np.isnan(estimator):
        return "nan"
    if isinstance(estimator, bool | int | float | str | type(None)):
        return estimator
    if isinstance(estimator, np.generic):
        return estimator.item()
    return repr(estimator)


def _hash(*arrays):
    h = hashlib.blake2b(digest_size=12)
    for a in arrays:
        a = np.ascontiguousarray(a)
        if a.dtype == object:
            a = np.array([str(v) for v in a.ravel()])
        h.update(f"{a.shape}{a.dtype}".encode())
        h.update(a.tobytes())
    return h.hexdigest()


def run_record(
    *, pipelines, X, y, subjects, sessions, dataset, protocol, settings, seeds, metrics
):
    """Describe a run completely enough to tell whether two runs may share rows.

    Parameters
    ----------
    pipelines : dict of str to estimator
        The pipelines.
    X : EpochsData
        The data.
    y, subjects, sessions : ndarray
        Labels and groups.
    dataset, protocol : str
        Names.
    settings : dict
        Protocol settings (``n_splits``, ``shots``, ...).
    seeds, metrics : list
        Seeds and metric names.

    Returns
    -------
    record : dict
        JSON-serialisable.
    """
    return {
        "package_version": __version__,
        "dataset": dataset,
        "protocol": protocol,
        "settings": {k: describe_estimator(v) for k, v in sorted(settings.items())},
        "seeds": [int(s) for s in seeds],
        "metrics": list(metrics),
        "data": {
            "fingerprint": _hash(
                np.asarray(X.fingerprints),
                np.asarray(y),
                np.asarray(subjects),
                np.asarray(sessions),
            ),
            "n_epochs": int(X.n_epochs),
            "channels": list(X.ch_names),
            "sfreq": float(X.sfreq),
            "n_times": int(X.n_times),
        },
        "pipelines": {name: describe_estimator(est) for name, est in pipelines.items()},
    }
