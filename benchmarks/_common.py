"""Shared helpers for the benchmark scripts (not part of the package)."""

import time
import warnings
from pathlib import Path

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"


def quiet():
    from sklearn_eegfm import RandomWeightsWarning

    warnings.simplefilter("ignore", RandomWeightsWarning)


def best_of(fn, repeat=3):
    """Best wall time of ``repeat`` calls (the least disturbed by other processes)."""
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def p300_epochs(n=None, tmax=1.0):
    from sklearn_eegfm.datasets import read_muse_csv

    epochs = read_muse_csv(SHARED / "eeg-notebooks" / "visual_p300" / "subject1", tmax=tmax)
    return epochs if n is None else epochs[:n]


def mmi_epochs():
    from sklearn_eegfm.datasets import load_eegmmidb

    return load_eegmmidb(SHARED / "eegmmidb" / "S001", runs=(4, 8, 12))
