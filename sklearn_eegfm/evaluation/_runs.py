"""Resumable runs that cannot mix: a run record, row validation and an output lock.

``compare(results_path=...)`` writes its rows after every fold. Resuming is only sound
when the partial rows were computed by the *same* run, so a record of the run (data
fingerprint, pipelines and their parameters, protocol, seeds, metrics, package version)
is stored beside them and compared on resume; a difference is an error that says what
differs. Every row read back is validated, each (fold, metric) is kept once, folds with
missing metrics are recomputed and errored folds are retried unless asked to keep them.
A lock on the results file (``flock``, released by the kernel when its process dies)
keeps two runs from writing into one place.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import time
from pathlib import Path

import numpy as np

from .._version import __version__
from ._lock import RunLock, RunLockedError, lock_folder  # noqa: F401  (re-exported)

RECORD_SUFFIX = ".run.json"
# Parameters that do not change a fold's result (where embeddings are cached, how
# much is printed, how many workers run).
_NEUTRAL_PARAMS = ("cache", "verbose", "n_jobs")


# ----------------------------------------------------------------------------- record
# Columns read back as numbers (empty: missing) and as booleans, so that resumed rows
# have the types of freshly computed ones.
NUMERIC_COLUMNS = (
    "score",
    "time",
    "predict_time",
    "k_shot",
    "adaptation_time",
    "n_trainable_params",
)
FLAG_COLUMNS = ("pretraining_overlap", "adaptation_skipped", "adaptation_collapsed")


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


def _first_difference(a, b, where=""):
    if isinstance(a, dict) and isinstance(b, dict):
        for k in sorted(set(a) | set(b), key=str):
            if a.get(k, "<absent>") != b.get(k, "<absent>"):
                return _first_difference(
                    a.get(k, "<absent>"), b.get(k, "<absent>"), f"{where}.{k}" if where else str(k)
                )
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        for i, (u, v) in enumerate(zip(a, b)):
            if u != v:
                return _first_difference(u, v, f"{where}[{i}]")
    return f"{where}: {_short(a)} before, {_short(b)} now"


def _short(value):
    text = json.dumps(value, default=str)
    return text if len(text) < 80 else text[:77] + "..."


def record_differences(old, new):
    """List what differs between two run records, in words.

    Parameters
    ----------
    old, new : dict
        Run records.

    Returns
    -------
    differences : list of str
        Empty when the runs may share rows.
    """
    out = []
    for key in sorted(set(old) | set(new)):
        a, b = old.get(key), new.get(key)
        if a == b:
            continue
        if key == "pipelines" and isinstance(a, dict) and isinstance(b, dict):
            added, removed = sorted(set(b) - set(a)), sorted(set(a) - set(b))
            if added:
                out.append(f"pipelines added: {added}")
            if removed:
                out.append(f"pipelines removed: {removed}")
            for name in sorted(set(a) & set(b)):
                if a[name] != b[name]:
                    out.append(
                        f"pipeline {name!r} changed ({_first_difference(a[name], b[name])})"
                    )
        elif key == "data" and isinstance(a, dict) and isinstance(b, dict):
            what = [k for k in sorted(set(a) | set(b)) if a.get(k) != b.get(k)]
            sizes = f"{a.get('n_epochs')} epochs before, {b.get('n_epochs')} now"
            out.append(f"data differ ({', '.join(what)}; {sizes})")
        else:
            out.append(_first_difference(a, b, key))
    return out


# ----------------------------------------------------------------------------- rows
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


def _is_number(text, *, empty_ok):
    if text == "":
        return empty_ok
    try:
        float(text)
    except ValueError:
        return False
    return True


def read_rows(path, columns, planned, metrics, *, keep_errors=False):
    """Read back the valid rows of a partial results file.

    Parameters
    ----------
    path : Path
        The CSV written by ``compare``.
    columns : list of str
        Expected header.
    planned : set of tuple
        Fold keys (see :func:`fold_key`) of the current run.
    metrics : list of str
        Every finished fold has exactly one row per metric.
    keep_errors : bool
        Keep folds that raised instead of retrying them.

    Returns
    -------
    rows : list of list of str
        Kept rows, one per (fold, metric), in file order.
    dropped : dict
        Counts of what was dropped and why.
    """
    text = Path(path).read_text(encoding="utf-8", errors="replace")
    reader = csv.reader(io.StringIO(text))
    header = next(reader, None)
    if header != list(columns):
        raise ValueError(
            f"{path} has the columns {header}, not those this version writes ({columns}); "
            "it cannot be resumed. Delete it or choose another output."
        )
    col = {c: i for i, c in enumerate(columns)}
    dropped = {"malformed": 0, "duplicate": 0, "incomplete fold": 0, "errored fold": 0}
    folds, seen = {}, set()
    for row in reader:
        if not row:
            continue
        ok = (
            len(row) == len(columns)
            and row[col["metric"]] in metrics
            and _is_number(row[col["score"]], empty_ok=True)
            and _is_number(row[col["time"]], empty_ok=True)
            and _is_number(row[col["n_samples"]], empty_ok=False)
        )
        key = None
        if ok:
            key = fold_key(
                *(
                    row[col[c]]
                    for c in ("pipeline", "seed", "subject", "session", "fold", "k_shot")
                )
            )
            ok = key in planned
        if not ok:  # cut mid-line, unknown pipeline or metric, not a number...
            dropped["malformed"] += 1
            continue
        if (key, row[col["metric"]]) in seen:
            dropped["duplicate"] += 1
            continue
        seen.add((key, row[col["metric"]]))
        folds.setdefault(key, []).append(row)
    kept = []
    for rows in folds.values():
        if sorted(r[col["metric"]] for r in rows) != sorted(metrics):
            dropped["incomplete fold"] += len(rows)
        elif not keep_errors and any(r[col["error"]] for r in rows):
            dropped["errored fold"] += len(rows)
        else:
            kept.extend(rows)
    return kept, dropped


def rows_frame(rows, columns):
    """Turn kept string rows into a DataFrame typed as ``compare`` writes them.

    Parameters
    ----------
    rows : list of list of str
        Rows from :func:`read_rows`.
    columns : list of str
        Header.

    Returns
    -------
    frame : pandas.DataFrame
        Numeric columns parsed, text kept as written.
    """
    import pandas as pd

    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(columns)
    writer.writerows(rows)
    buf.seek(0)
    frame = pd.read_csv(
        buf,
        keep_default_na=False,
        na_values={c: [""] for c in NUMERIC_COLUMNS if c in columns},
    )
    for flag in FLAG_COLUMNS:
        if flag in frame:
            frame[flag] = frame[flag].astype(str) == "True"
    return frame


class ResumableRun:
    """The results file of one ``compare`` call: lock, record check and rows read back.

    Parameters
    ----------
    results_path : str | Path | None
        The partial results CSV (None: nothing is written or resumed).
    record : dict
        This run's record (see :func:`run_record`).
    planned : set of tuple
        This run's fold keys.
    metrics : list of str
        Metric names.
    columns : list of str
        Header of the results file.
    keep_errors : bool
        Keep errored folds of the partial file instead of retrying them.
    """

    def __init__(self, results_path, record, planned, metrics, columns, keep_errors=False):
        self.path = None if results_path is None else Path(results_path)
        self.previous, self.done, self.dropped = None, set(), {}
        self.lock = None
        if self.path is None:
            return
        self.record_path = Path(f"{self.path}{RECORD_SUFFIX}")
        self.lock = RunLock(self.path).acquire()
        try:
            self._resume(record, planned, metrics, columns, keep_errors)
        except BaseException:
            self.lock.release()
            raise

    def _resume(self, record, planned, metrics, columns, keep_errors):
        if self.path.is_file():
            try:
                old = json.loads(self.record_path.read_text())
            except (OSError, ValueError):
                raise ValueError(
                    f"{self.path} has no readable run record ({self.record_path.name}): it "
                    "was written by an older version or by hand, so its rows cannot be "
                    "checked against this run. Delete it (or choose another output) to "
                    "start afresh."
                ) from None
            differences = record_differences(old, record)
            if differences:
                raise ValueError(
                    f"{self.path} holds results of another run configuration; resuming "
                    f"would mix them: {'; '.join(differences)}. Rerun with the same "
                    "configuration, or delete the file (drop --resume) or choose another "
                    "output to start afresh."
                )
            rows, self.dropped = read_rows(
                self.path, columns, planned, metrics, keep_errors=keep_errors
            )
            self.previous = rows_frame(rows, columns)
            self.done = {
                fold_key(r.pipeline, r.seed, r.subject, r.session, r.fold, r.k_shot)
                for r in self.previous.itertuples()
            }
        _write_json(self.record_path, record)

    def guard(self, iterable):
        """Yield from ``iterable`` and release the lock however it ends."""
        try:
            yield from iterable
        finally:
            self.close()

    def close(self):
        """Release the lock."""
        if self.lock is not None:
            self.lock.release()


def _write_json(path, data):
    tmp = Path(f"{path}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(data, indent=1, default=str))
    os.replace(tmp, path)


def discard(results_path):
    """Delete a partial results file and its run record.

    Parameters
    ----------
    results_path : str | Path
        The partial results CSV.
    """
    Path(results_path).unlink(missing_ok=True)
    Path(f"{results_path}{RECORD_SUFFIX}").unlink(missing_ok=True)


# ----------------------------------------------------------------------------- folds
class PinnedFold:
    """Run one fold with the global RNGs seeded from the fold's coordinates.

    Estimators that draw from NumPy's, Python's or torch's global generators (dropout,
    shuffling) then give the same result whatever ran before in the process, so a
    resumed run or a run with another ``n_jobs`` matches a fresh sequential one. The
    caller's generator states are restored afterwards.

    In a worker process started by this one (loky), a watchdog thread also ends the
    worker as soon as this process is gone (e.g. after ``kill -9``), instead of leaving
    it computing for minutes.

    Parameters
    ----------
    func : callable
        ``_run_fold``.
    """

    def __init__(self, func):
        self.func = func
        self.parent_pid = os.getpid()

    def __call__(self, name, estimator, X, y, split, seed, *args, **kwargs):
        import random

        import torch

        _watch_parent(self.parent_pid)
        key = fold_key(name, seed, split.subject, split.session, split.fold, split.k_shot)
        fold_seed = int.from_bytes(
            hashlib.blake2b(repr(key).encode(), digest_size=4).digest(), "little"
        )
        np_state, py_state = np.random.get_state(), random.getstate()  # noqa: NPY002
        try:
            # the legacy global generator is what third-party code draws from
            np.random.seed(fold_seed)  # noqa: NPY002
            random.seed(fold_seed)
            with torch.random.fork_rng(devices=[]):
                torch.manual_seed(fold_seed)
                return self.func(name, estimator, X, y, split, seed, *args, **kwargs)
        finally:
            np.random.set_state(np_state)  # noqa: NPY002
            random.setstate(py_state)


_WATCHED = set()
# Seconds an idle loky worker waits for work before it exits (joblib's default: 300).
IDLE_WORKER_TIMEOUT = 10.0


def _watch_parent(parent_pid):
    """End this worker process when the process that started it dies."""
    import threading

    # Only for direct children (loky); dask workers or the main process are left alone.
    if os.getpid() == parent_pid or os.getppid() != parent_pid or parent_pid in _WATCHED:
        return
    _WATCHED.add(parent_pid)

    def watch():
        while True:
            time.sleep(1.0)
            if os.getppid() != parent_pid:  # re-parented: the run was killed
                os._exit(1)

    threading.Thread(target=watch, name="sklearn-eegfm-parent-watch", daemon=True).start()


def parallel_options():
    """Extra ``joblib.Parallel`` arguments: a short idle timeout for loky workers.

    Returns
    -------
    options : dict
        Empty unless the active backend is loky.
    """
    try:
        from joblib._parallel_backends import LokyBackend
        from joblib.parallel import get_active_backend

        backend = get_active_backend()[0]
    except (ImportError, AttributeError):  # pragma: no cover - another joblib layout
        return {}
    if isinstance(backend, LokyBackend):
        return {"idle_worker_timeout": IDLE_WORKER_TIMEOUT}
    return {}
