"""Progress of long fits, told to whoever runs them (a comparison's status line).

Estimators say how far they are with :func:`report` (``report("training", 3, 8,
"epoch")``); nothing happens unless a caller has asked to listen with
:func:`reporting_to`. The listener is held in a :class:`contextvars.ContextVar`, set
and reset by that ``with`` block: it belongs to the one call that runs a task (in this
process, a thread or a joblib worker), so estimators need no extra parameter and
clones, pickles and run records are unchanged.

:class:`TaskProgressFile` is the listener a comparison hands to each task: a small
JSON file that the task rewrites (atomically, at most five times a second) and that the
comparison's process reads. Files work the same from the main process, threads and
loky workers, and only the comparison's process writes to the console, so workers
cannot garble its line.
"""

from __future__ import annotations

import contextlib
import contextvars
import json
import os
import time
from pathlib import Path

# Why a ContextVar: it is the one listener of the task running in this context, bound
# and unbound by reporting_to(); no other state lives at module level.
_LISTENER = contextvars.ContextVar("sklearn_eegfm_progress_listener", default=None)


def report(stage, done=None, total=None, unit=""):
    """Say how far a long step is; a no-op unless someone listens.

    Parameters
    ----------
    stage : str
        What runs, e.g. ``"training eegnet"`` or ``"embedding cbramod"``.
    done, total : int | None
        Steps finished and planned (None: unknown).
    unit : str
        What a step is (``"epoch"``, ``"batch"``).
    """
    listener = _LISTENER.get()
    if listener is not None:
        listener.update(stage=stage, done=done, total=total, unit=unit)


@contextlib.contextmanager
def reporting_to(listener):
    """Send the :func:`report` calls made inside the block to ``listener``.

    Parameters
    ----------
    listener : object | None
        Has ``update(stage=, done=, total=, unit=)``; None listens to nothing.

    Yields
    ------
    listener : object | None
        The listener.
    """
    token = _LISTENER.set(listener)
    try:
        yield listener
    finally:
        _LISTENER.reset(token)


class TaskProgressFile:
    """One task's progress, kept in a small JSON file that another process reads.

    Parameters
    ----------
    path : str | Path
        The file (its folder must exist).
    min_interval : float
        Seconds between two writes of ``update`` (start and end are always written).
    """

    def __init__(self, path, min_interval=0.2):
        self.path = str(path)
        self.min_interval = min_interval
        self._state = {}
        self._written = 0.0

    def start(self):
        """Mark the task as started now."""
        self._state = {"started": time.time(), "stage": "fitting"}
        self._write()

    def update(self, *, stage, done=None, total=None, unit=""):
        """Record the current step (see :func:`report`).

        Parameters
        ----------
        stage : str
            What runs.
        done, total : int | None
            Steps finished and planned.
        unit : str
            What a step is.
        """
        self._state.update(stage=stage, done=done, total=total, unit=unit)
        now = time.monotonic()
        if now - self._written >= self.min_interval or (total is not None and done == total):
            self._write()

    def record_warnings(self, caught):
        """Keep warnings raised in a worker, for the run's process to show later.

        Parameters
        ----------
        caught : list of warnings.WarningMessage
            From ``warnings.catch_warnings(record=True)``.
        """
        kept = {}
        for w in caught or ():
            category = f"{w.category.__module__}:{w.category.__qualname__}"
            kept.setdefault((str(w.message), category), [w.filename, w.lineno])
        self._state["warnings"] = [[m, c, *where] for (m, c), where in kept.items()]

    @staticmethod
    def read_warnings(path):
        """Read back the warnings a worker kept (see :meth:`record_warnings`).

        Parameters
        ----------
        path : str | Path
            The file.

        Returns
        -------
        warnings : list of tuple
            ``(message, category, filename, lineno)``; unknown categories become
            :class:`UserWarning`.
        """
        import importlib

        out = []
        for message, category, filename, lineno in TaskProgressFile.read(path).get("warnings", []):
            module, _, name = category.partition(":")
            try:
                cls = importlib.import_module(module)
                for part in name.split("."):
                    cls = getattr(cls, part)
                if not (isinstance(cls, type) and issubclass(cls, Warning)):
                    cls = UserWarning
            except (ImportError, AttributeError):
                cls = UserWarning
            out.append((message, cls, filename, int(lineno)))
        return out

    def finish(self):
        """Mark the task as finished now."""
        self._state["finished"] = time.time()
        self._write()

    def _write(self):
        self._written = time.monotonic()
        tmp = f"{self.path}.{os.getpid()}.tmp"
        try:
            Path(tmp).write_text(json.dumps(self._state))
            os.replace(tmp, self.path)
        except OSError:  # the run ended and removed its folder: nobody is listening
            pass

    @staticmethod
    def read(path):
        """Read a task's progress; an empty dict when absent or being replaced.

        Parameters
        ----------
        path : str | Path
            The file.

        Returns
        -------
        state : dict
            ``started``, ``stage``, ``done``, ``total``, ``unit``, ``finished``.
        """
        try:
            return json.loads(Path(path).read_text())
        except (OSError, ValueError):
            return {}


def skorch_epoch_reporter(stage):
    """Make a skorch callback that reports each finished training epoch.

    Parameters
    ----------
    stage : str
        What trains, e.g. ``"training eegnet"``.

    Returns
    -------
    callback : skorch.callbacks.Callback
        Reports ``(epochs done, max_epochs)`` after every epoch.
    """
    from skorch.callbacks import Callback

    class EpochReporter(Callback):
        def on_train_begin(self, net, **kwargs):
            report(stage, 0, net.max_epochs, "epoch")

        def on_epoch_end(self, net, **kwargs):
            report(stage, len(net.history), net.max_epochs, "epoch")

    return EpochReporter()
