"""Run tasks through joblib, each with the global generators seeded from its key.

Estimators that draw from NumPy's, Python's or torch's global generators (dropout,
shuffling) then give the same result whatever ran before in the process, so a resumed
run or a run with another ``n_jobs`` matches a fresh sequential one. Any joblib backend
runs the tasks (``joblib.parallel_config("dask")`` sends them to a dask cluster; loky's
own settings, e.g. ``idle_worker_timeout``, are passed the same way).
"""

from __future__ import annotations

import hashlib
import os
import random
import signal
import sys

import numpy as np

# prctl(2) option: the signal a process receives when its parent dies.
_PR_SET_PDEATHSIG = 1


def task_seed(key):
    """Derive the seed of a task's global generators from its key.

    Parameters
    ----------
    key : tuple of str
        The task's key.

    Returns
    -------
    seed : int
        A 32-bit seed that depends only on the key.
    """
    return int.from_bytes(hashlib.blake2b(repr(key).encode(), digest_size=4).digest(), "little")


class SeededCall:
    """Call ``func(task, *args)`` with NumPy's, Python's and torch's generators seeded.

    The seed comes from ``task.key``; the caller's generator states are restored
    afterwards. In a worker process started by the executor's process, the worker is
    also told to end with it (see :func:`end_with_parent`).

    Parameters
    ----------
    func : callable
        ``func(task, *args) -> result``.
    parent_pid : int
        The process that runs the executor.
    """

    def __init__(self, func, parent_pid):
        self.func = func
        self.parent_pid = parent_pid

    def __call__(self, task, *args):
        import torch

        end_with_parent(self.parent_pid)
        seed = task_seed(task.key)
        np_state, py_state = np.random.get_state(), random.getstate()  # noqa: NPY002
        try:
            # the legacy global generator is what third-party code draws from
            np.random.seed(seed)  # noqa: NPY002
            random.seed(seed)
            with torch.random.fork_rng(devices=[]):
                torch.manual_seed(seed)
                return self.func(task, *args)
        finally:
            np.random.set_state(np_state)  # noqa: NPY002
            random.setstate(py_state)


def end_with_parent(parent_pid):
    """Have the kernel end this worker process when the process that started it dies.

    Why: a loky worker only notices its parent's death between tasks, so after the
    run is killed (``kill -9``, an out-of-memory kill) each worker would go on
    computing its fold, holding cores and memory, for as long as a fold takes
    (minutes with foundation models). On Linux, ``prctl(PR_SET_PDEATHSIG)`` asks the
    kernel to send the worker SIGTERM when its parent dies. Elsewhere, and in the
    executor's own process or a process it did not start (dask, threads), nothing is
    done.

    Parameters
    ----------
    parent_pid : int
        The process that runs the executor.

    Returns
    -------
    armed : bool
        Whether the kernel will end this process with its parent.
    """
    if not sys.platform.startswith("linux") or os.getpid() == parent_pid:
        return False
    if os.getppid() != parent_pid:  # not our worker (or the parent is already gone)
        return False
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(_PR_SET_PDEATHSIG, int(signal.SIGTERM), 0, 0, 0) != 0:
        return False  # pragma: no cover - prctl refused
    if os.getppid() != parent_pid:  # the parent died before the kernel was told
        raise RuntimeError("The run that started this worker has ended.")
    return True


class Executor:
    """Run tasks in parallel through joblib and yield their results in order.

    Parameters
    ----------
    n_jobs : int
        Tasks run at once (joblib's ``n_jobs``), on the active joblib backend.
    """

    def __init__(self, n_jobs=1):
        self.n_jobs = n_jobs

    def map(self, func, tasks, *args):
        """Run ``func(task, *args)`` for every task.

        Parameters
        ----------
        func : callable
            Picklable; it receives the task first, then ``args``.
        tasks : list
            Tasks with a ``key`` (their generators' seed is derived from it).
        *args : object
            Passed to every call.

        Yields
        ------
        task : object
            The task, in the order given.
        result : object
            What ``func`` returned for it.
        """
        from joblib import Parallel, delayed

        call = SeededCall(func, os.getpid())
        results = Parallel(n_jobs=self.n_jobs, return_as="generator")(
            delayed(call)(task, *args) for task in tasks
        )
        try:
            yield from zip(tasks, results)
        finally:
            results.close()  # an interrupted run stops dispatching at once
