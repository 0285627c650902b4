"""After kill -9 of a parallel run, its loky workers exit within seconds."""

import os
import signal
import subprocess
import sys
import tempfile
import textwrap
import time

import pytest

SCRIPT = textwrap.dedent(
    """
    import os, sys, time, warnings
    import numpy as np
    from sklearn.base import BaseEstimator, ClassifierMixin
    from sklearn_eegfm import EpochsData
    from sklearn_eegfm.evaluation import compare

    class Slow(ClassifierMixin, BaseEstimator):
        def fit(self, X, y):
            print("worker", os.getpid(), flush=True)
            time.sleep(120)
            return self

        def predict(self, X):
            return np.zeros(len(X))

    rng = np.random.default_rng(0)
    X = EpochsData.from_epochs(
        rng.standard_normal((12, 2, 64)) * 20, sfreq=64.0, ch_names=["Cz", "Pz"], units="uV"
    )
    y = np.arange(12) % 2
    compare({"slow": Slow()}, X, y, subjects=np.arange(12) % 3, n_jobs=2)
    """
)


@pytest.mark.slow
@pytest.mark.skipif(sys.platform != "linux", reason="re-parenting as on Linux")
def test_loky_workers_exit_after_the_run_is_killed():
    # A run that ended before both workers printed cannot show what is tested here; it was
    # seen about once in 60 runs (silently: nothing on stderr), so it is started again once
    # and reported with its exit status if it happens twice.
    workers, failure = _kill_a_run_with_two_workers()
    if workers is None:
        workers, failure = _kill_a_run_with_two_workers()
    assert workers is not None, failure
    deadline = time.monotonic() + 15
    alive = set(workers)
    while alive and time.monotonic() < deadline:
        time.sleep(0.5)
        alive = {pid for pid in alive if _alive(pid)}
    for pid in alive:  # clean up before failing
        os.kill(pid, signal.SIGKILL)
    assert not alive, f"workers {alive} outlived the killed run"


def _kill_a_run_with_two_workers():
    """Start the run, read its two workers' pids, kill -9 it: ``(pids, None)`` or
    ``(None, what went wrong)``."""
    with tempfile.TemporaryFile("w+") as stderr:
        run = subprocess.Popen(
            [sys.executable, "-c", SCRIPT], stdout=subprocess.PIPE, stderr=stderr, text=True
        )
        try:
            lines = [run.stdout.readline() for _ in range(2)]
            ended = run.poll()
        finally:
            run.send_signal(signal.SIGKILL)
            run.wait()
            run.stdout.close()
        if all(line.startswith("worker ") for line in lines):
            return {int(line.split()[1]) for line in lines}, None
        stderr.seek(0)
        return None, (
            f"the run ended before two workers started (exit status {ended}, printed "
            f"{lines!r}): {stderr.read()[-3000:]}"
        )


def _alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # a zombie (exited, not yet reaped by init) is gone for our purpose
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split()[2] != "Z"
    except OSError:
        return False
