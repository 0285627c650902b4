"""A comparison's status line: what runs, how far it is inside its fit, and the time left.

One line, redrawn in place on a terminal (a log file gets a full line at most every 30
seconds), names the task that runs (pipeline, subject or session, fold, seed, from
:meth:`Task.describe`), the step inside its fit that estimators report through
:func:`sklearn_eegfm._progress.report` (training epochs, embedding batches) and an
estimate of the time left. Each task writes its progress to its own small file
(:class:`~sklearn_eegfm._progress.TaskProgressFile`), in the main process or a joblib
worker alike, and only this process writes to the console: workers never garble it.

The estimate of the time left adds, for every task not finished, the mean duration of
the finished folds of its pipeline, or for a running fold its elapsed time scaled by
how far its fit says it is; pipelines with no finished fold and no running fold that
reports progress are "estimating". The sum is divided by the folds that run at once.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import sys
import tempfile
import threading
import time
import warnings
from dataclasses import dataclass
from pathlib import Path

from .._progress import TaskProgressFile, reporting_to
from ..utils._display import duration

# A running fold's own estimate is trusted once its fit reports this fraction done.
_MIN_FRACTION = 0.02


def task_file_name(task):
    """Name a task's progress file from its key, the same in every process.

    Parameters
    ----------
    task : Task
        A task of the plan.

    Returns
    -------
    name : str
        ``<hash>.json``.
    """
    return hashlib.blake2b(repr(task.key).encode(), digest_size=8).hexdigest() + ".json"


class ReportingCall:
    """Run ``func(task, *args)`` with the task's progress written to its file.

    Picklable, so that joblib workers run it too.

    Parameters
    ----------
    func : callable
        ``func(task, *args) -> result``.
    folder : str
        Where the progress files are.
    """

    def __init__(self, func, folder):
        self.func = func
        self.folder = folder
        self.parent_pid = os.getpid()

    def __call__(self, task, *args):
        progress = TaskProgressFile(Path(self.folder) / task_file_name(task))
        progress.start()
        in_worker = os.getpid() != self.parent_pid
        try:
            # A worker's warnings would print over the status line: they go to the
            # progress file instead, and the run's process warns with them at the end.
            with warnings.catch_warnings(record=in_worker) as caught, reporting_to(progress):
                if in_worker:
                    warnings.simplefilter("always")
                return self.func(task, *args)
        finally:
            if in_worker:
                progress.record_warnings(caught)
            progress.finish()


@dataclass
class TaskState:
    """How far one task is, as its progress file says.

    Attributes
    ----------
    task : Task
        The task.
    started, finished : float | None
        Wall-clock times (None: not yet).
    stage : str
        What runs in its fit.
    done, total : int | None
        Steps of that stage.
    unit : str
        What a step is.
    """

    task: object
    started: float | None = None
    finished: float | None = None
    stage: str = ""
    done: int | None = None
    total: int | None = None
    unit: str = ""

    @classmethod
    def read(cls, task, folder):
        """Read a task's state from its file in ``folder``.

        Parameters
        ----------
        task : Task
            The task.
        folder : str | Path
            The progress folder.

        Returns
        -------
        state : TaskState
            Empty (not started) when the file is absent.
        """
        raw = TaskProgressFile.read(Path(folder) / task_file_name(task))
        return cls(
            task,
            raw.get("started"),
            raw.get("finished"),
            raw.get("stage") or "",
            raw.get("done"),
            raw.get("total"),
            raw.get("unit") or "",
        )

    @property
    def fraction(self):
        """Share of the current stage done, or None when the fit does not say."""
        if self.total and self.done is not None:
            return min(1.0, self.done / self.total)
        return None

    def step(self):
        """Say the stage in words: ``training, epoch 3/8``."""
        if self.total:
            return f"{self.stage}, {self.unit or 'step'} {self.done}/{self.total}"
        return self.stage or "starting"


def estimate_left(states, now, n_jobs):
    """Estimate the seconds left, or None while some pipeline has no estimate yet.

    Parameters
    ----------
    states : list of TaskState
        Every task of the run that is not skipped.
    now : float
        The current wall-clock time.
    n_jobs : int
        Folds that run at once.

    Returns
    -------
    seconds : float | None
        The work left divided by the folds that run at once.
    """
    spent = {}
    for s in states:
        if s.finished is not None and s.started is not None:
            spent.setdefault(s.task.pipeline, []).append(s.finished - s.started)
    typical = {p: sum(v) / len(v) for p, v in spent.items()}
    for s in states:  # a running fold that reports progress tells its pipeline's length
        if s.finished is None and s.started is not None and s.task.pipeline not in typical:
            if s.fraction is not None and s.fraction >= _MIN_FRACTION:
                typical[s.task.pipeline] = (now - s.started) / s.fraction
    work, left = 0.0, 0
    for s in states:
        if s.finished is not None:
            continue
        left += 1
        if s.task.pipeline not in typical:
            return None
        expected = typical[s.task.pipeline]
        if s.started is not None:
            elapsed = now - s.started
            if s.fraction is not None and s.fraction >= _MIN_FRACTION:
                expected = elapsed / s.fraction
            expected = max(expected - elapsed, 0.0)
        work += expected
    workers = max(1, min(n_jobs if n_jobs > 0 else left, left))
    return work / workers


def status_line(states, now, started, n_jobs):
    """Write the status line of a run.

    Parameters
    ----------
    states : list of TaskState
        Every task of the run that is not skipped.
    now, started : float
        The current time and the run's start.
    n_jobs : int
        Folds that run at once.

    Returns
    -------
    line : str
        E.g. ``[3/20 folds · 4 min 10 s · about 12 min left] eegnet, subject 2,
        session 1, fold 0, seed 0: training, epoch 3/8 (1 min 40 s)``.
    """
    n_done = sum(s.finished is not None for s in states)
    left = estimate_left(states, now, n_jobs)
    if n_done == len(states):
        when = "done"
    else:
        when = "time left: estimating" if left is None else f"about {duration(left)} left"
    head = f"[{n_done}/{len(states)} folds · {duration(now - started)} · {when}]"
    running = [s for s in states if s.started is not None and s.finished is None]
    if not running:
        return head if n_done == len(states) else f"{head} starting the next fold"
    if len(running) == 1:
        (s,) = running
        return f"{head} {s.task.describe()}: {s.step()} ({duration(now - s.started)})"
    parts = [f"{_short(s.task)}: {s.step()}" for s in running]
    return f"{head} {len(parts)} running: " + " | ".join(parts)


def _short(task):
    """Name a task in few words, for several on one line: ``eegnet s2 f1``."""
    s = task.split
    session = "" if s.session is None else f"/{s.session}"
    return f"{task.pipeline} s{s.subject}{session} f{s.fold}"


class RunProgress:
    """Show a run's status line while its tasks run (a context manager).

    Parameters
    ----------
    tasks : list of Task
        The tasks that will run.
    n_jobs : int
        Folds that run at once.
    enabled : bool
        False shows nothing and wraps nothing.
    stream : file-like | None
        Where the line goes (default: stderr).
    refresh : float
        Seconds between two redraws on a terminal.
    log_every : float
        Seconds between two lines when the stream is not a terminal.
    """

    def __init__(self, tasks, *, n_jobs=1, enabled=True, stream=None, refresh=1.0,
                 log_every=30.0):  # fmt: skip
        self.tasks = list(tasks)
        self.n_jobs = n_jobs
        self.enabled = enabled and bool(self.tasks)
        self.stream = sys.stderr if stream is None else stream
        self.refresh = refresh
        self.log_every = log_every
        self.folder = None
        self._stop = threading.Event()
        self._thread = None
        self._lock = threading.Lock()
        self._width = 0
        self._logged = None
        self._done = {}  # task key -> when the run's loop received its result

    def __enter__(self):
        if self.enabled:
            self.started = time.time()
            self.folder = tempfile.mkdtemp(prefix="sklearn-eegfm-progress-")
            self._tty = bool(getattr(self.stream, "isatty", lambda: False)())
            self._thread = threading.Thread(
                target=self._loop, name="sklearn-eegfm-status", daemon=True
            )
            self._thread.start()
        return self

    def wrap(self, func):
        """Have ``func(task, *args)`` report its task's progress to this run.

        Parameters
        ----------
        func : callable
            The task function.

        Returns
        -------
        func : callable
            Picklable; ``func`` itself when disabled.
        """
        return ReportingCall(func, self.folder) if self.enabled else func

    def finished(self, task):
        """Redraw at once: ``task`` has finished.

        Parameters
        ----------
        task : Task
            The finished task.
        """
        if self.enabled:
            # Known here even when the task's file is not (a dask worker on another host).
            self._done.setdefault(task.key, time.time())
            self._draw(force=False)

    def states(self):
        """Read every task's state.

        Returns
        -------
        states : list of TaskState
            In task order.
        """
        states = [TaskState.read(t, self.folder) for t in self.tasks]
        for state in states:
            if state.finished is None and state.task.key in self._done:
                state.finished = self._done[state.task.key]
        return states

    def _loop(self):
        while not self._stop.wait(self.refresh):
            self._draw(force=False)

    def _draw(self, *, force, final=False):
        now = time.time()
        line = status_line(self.states(), now, self.started, self.n_jobs)
        with self._lock:
            if self._tty:
                width = shutil.get_terminal_size((100, 20)).columns - 1
                line = line if len(line) <= width else line[: width - 3] + "..."
                pad = max(0, self._width - len(line))
                self.stream.write("\r" + line + " " * pad + ("\n" if final else ""))
                self._width = len(line)
            elif force or self._logged is None or now - self._logged >= self.log_every:
                self.stream.write(line + "\n")
                self._logged = now
            self.stream.flush()

    def __exit__(self, *exc):
        if not self.enabled:
            return False
        self._stop.set()
        self._thread.join()
        try:
            self._draw(force=True, final=True)
            pending = [TaskProgressFile.read_warnings(Path(self.folder) / task_file_name(t))
                       for t in self.tasks]  # fmt: skip
        finally:
            shutil.rmtree(self.folder, ignore_errors=True)
        seen = set()
        for message, category, filename, lineno in (w for ws in pending for w in ws):
            if (message, category) not in seen:  # once each, after the line
                seen.add((message, category))
                warnings.warn_explicit(message, category, filename, lineno)
        return False
