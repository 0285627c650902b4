"""GridSearchCV over 10 values of the head's C with 5 folds vs one embedding pass.

The embedding cache makes every fold and grid point reuse the embeddings computed
once: goal <= 1.2x the time of a single FMEmbedder.fit_transform on the same epochs.
Two inputs are timed: plain mne.Epochs (scikit-learn then builds one Epochs object per
epoch per fold, ~2 ms each, inside MNE) and ``EpochsData.from_epochs(epochs)`` (an
array-like that CV splitters index like an array). The model/window is chosen so the
embedding has a realistic cost: LaBraM on EEGMMIDB, 64 channels, 4-s windows.
Run: python benchmarks/bench_grid_cache.py
"""

import time

import numpy as np
from _common import mmi_epochs, p300_epochs, quiet
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, StratifiedKFold
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from sklearn_eegfm import EpochsData, FMEmbedder
from sklearn_eegfm.models._cache import MEMORY_CACHE, EmbeddingCache


def run(label, epochs, y, model, **kw):
    EmbeddingCache.clear_memory()
    FMEmbedder(model, weights=None, **kw).fit_transform(epochs[:2])  # warm-up
    EmbeddingCache.clear_memory()
    t0 = time.perf_counter()
    FMEmbedder(model, weights=None, cache=None, **kw).fit_transform(epochs)
    t_once = time.perf_counter() - t0
    for name, X in (("mne.Epochs", epochs), ("EpochsData", EpochsData.from_epochs(epochs))):
        EmbeddingCache.clear_memory()
        pipe = Pipeline([("fm", FMEmbedder(model, weights=None, **kw)),
                         ("scale", StandardScaler()),
                         ("clf", LogisticRegression(max_iter=2000))])
        grid = GridSearchCV(pipe, {"clf__C": np.logspace(-3, 2, 10)}, cv=StratifiedKFold(5))
        t0 = time.perf_counter()
        grid.fit(X, y)
        t_grid = time.perf_counter() - t0
        stats = list(MEMORY_CACHE._stats.values())[0]
        print(f"{label}, {model}, X={name}: one embedding pass {t_once:.2f} s, grid search "
              f"(50 fits + refit) {t_grid:.2f} s, ratio {t_grid / t_once:.2f}x "
              f"(cache hits {stats.hits}, misses {stats.misses})")


if __name__ == "__main__":
    quiet()
    mmi = mmi_epochs()
    run("EEGMMIDB 45 epochs x 64 ch x 4 s", mmi, mmi.metadata["label"].to_numpy(), "labram",
        channel_policy="interpolate")
    p300 = p300_epochs(n=600)
    run("P300 600 epochs x 4 ch x 1.1 s", p300, p300.metadata["target"].to_numpy(), "cbramod")
