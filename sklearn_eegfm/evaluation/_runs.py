"""Resumable runs that cannot mix: the run record checked, rows validated, output locked.

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
import io
import json
import os
from pathlib import Path

from ._lock import RunLock, RunLockedError, lock_folder  # noqa: F401  (re-exported)
from ._plan import fold_key

RECORD_SUFFIX = ".run.json"
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


# ----------------------------------------------------------------------------- record
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
    """The results of one run: what is done, the rows so far and their file.

    With a results file, the run locks it, checks the record kept beside it against
    this run's, and reads back the valid rows of a previous partial run; every added
    fold is then written at once (write-then-rename: an interrupted run never leaves a
    half-written table). Use it as a context manager: the lock is released however
    the run ends.

    Parameters
    ----------
    results_path : str | Path | None
        The partial results CSV (None: nothing is written or resumed).
    record : dict
        This run's record (see :func:`~sklearn_eegfm.evaluation._plan.run_record`).
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
        self.columns = list(columns)
        self.previous, self.done, self.dropped = None, set(), {}
        self.rows = []
        self.lock = None
        if self.path is None:
            return
        self.record_path = Path(f"{self.path}{RECORD_SUFFIX}")
        self.lock = RunLock(self.path).acquire()
        try:
            self._resume(record, planned, metrics, keep_errors)
        except BaseException:
            self.lock.release()
            raise

    def _resume(self, record, planned, metrics, keep_errors):
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
                self.path, self.columns, planned, metrics, keep_errors=keep_errors
            )
            self.previous = rows_frame(rows, self.columns)
            self.done = {
                fold_key(r.pipeline, r.seed, r.subject, r.session, r.fold, r.k_shot)
                for r in self.previous.itertuples()
            }
            self.rows = self.previous.to_dict("records")
        _write_json(self.record_path, record)

    def remaining(self, tasks):
        """Return the tasks whose fold is not done yet.

        Parameters
        ----------
        tasks : iterable of Task
            Planned tasks (each with a ``key``).

        Returns
        -------
        tasks : list of Task
            Those still to run, in order.
        """
        return [task for task in tasks if task.key not in self.done]

    def add(self, rows):
        """Add the rows of one finished fold and write the results file.

        Parameters
        ----------
        rows : list of dict
            One row per metric.
        """
        self.rows.extend(rows)
        self.done.update(
            fold_key(r["pipeline"], r["seed"], r["subject"], r["session"], r["fold"], r["k_shot"])
            for r in rows
        )
        if self.path is not None:
            _write_csv(self.frame(), self.path)

    def frame(self):
        """Return every row so far as a table.

        Returns
        -------
        frame : pandas.DataFrame
            Resumed rows first, then the added ones, in the results' columns.
        """
        import pandas as pd

        return pd.DataFrame(self.rows, columns=self.columns)

    def close(self):
        """Release the lock."""
        if self.lock is not None:
            self.lock.release()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def _write_csv(frame, path):
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(f".{os.getpid()}.tmp")
    frame.to_csv(tmp, index=False)
    os.replace(tmp, path)


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
