"""GridSearchCV over 10 values of the head's C with 5 folds vs one embedding pass.

The embedding cache makes every fold and grid point reuse the embeddings of the
first: goal <= 1.2x the time of a single FMEmbedder.fit_transform on the same Epochs.
Run: python benchmarks/bench_grid_cache.py
"""

import time

import numpy as np
from _common import p300_epochs, quiet
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, StratifiedKFold
from sklearn.pipeline import Pipeline

from sklearn_eegfm import FMEmbedder
from sklearn_eegfm.models._cache import EmbeddingCache

if __name__ == "__main__":
    quiet()
    epochs = p300_epochs(n=600)
    y = epochs.metadata["target"].to_numpy()
    FMEmbedder("cbramod", weights=None).fit_transform(epochs[:8])  # warm-up (threads, kernels)
    EmbeddingCache.clear_memory()

    t0 = time.perf_counter()
    FMEmbedder("cbramod", weights=None, cache=None).fit_transform(epochs)
    t_once = time.perf_counter() - t0

    pipe = Pipeline(
        [("fm", FMEmbedder("cbramod", weights=None)), ("clf", LogisticRegression(max_iter=1000))]
    )
    grid = GridSearchCV(
        pipe, {"clf__C": np.logspace(-3, 2, 10)}, cv=StratifiedKFold(5), scoring="roc_auc"
    )
    t0 = time.perf_counter()
    grid.fit(epochs, y)
    t_grid = time.perf_counter() - t0
    stats = list(EmbeddingCache._stats.values())[0]
    print(
        f"{len(epochs)} epochs, 10 C x 5 folds (+ refit): one embedding pass {t_once:.2f} s, "
        f"grid search {t_grid:.2f} s, ratio {t_grid / t_once:.2f}x; cache hits {stats.hits}, "
        f"misses {stats.misses}; best AUROC {grid.best_score_:.3f} (random weights)"
    )
