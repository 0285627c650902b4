"""
Grid search over pooling and C, with each epoch embedded once
=============================================================

A linear probe has two settings worth tuning: how the foundation model's tokens are
pooled into one vector per epoch, and the regularisation ``C`` of the logistic head.
:class:`sklearn.model_selection.GridSearchCV` tunes them like any other
hyperparameters, but a naive implementation would push every epoch through the network
once per grid point and fold. Two things make it cheap here:

- :class:`sklearn_eegfm.EpochsData` validates the epochs once and lets the search index
  an array instead of building one :class:`mne.Epochs` per epoch and fold;
- the embedding cache of :class:`sklearn_eegfm.LinearProbe` (and
  :class:`~sklearn_eegfm.FMEmbedder`) stores each epoch's embedding per *setting*
  (model, weights, pooling, channel mapping...), so a change of ``C`` costs no network
  pass at all, and a change of pooling costs one pass per epoch.

Data: NeuroTechX eeg-notebooks, (c) 2017 Alexandre Barachant, BSD-3-Clause.
"""

# %%
# Take the first 300 epochs of subject 1 (to keep the example under a minute) with
# 1-s epochs for CBraMod's 1-s patches.
import time
import warnings

import numpy as np
import pandas as pd
from sklearn.model_selection import GridSearchCV, StratifiedKFold

from sklearn_eegfm import EpochsData, LinearProbe, RandomWeightsWarning
from sklearn_eegfm.datasets import load_p300_demo

epochs = load_p300_demo(tmax=1.0)
epochs = epochs[epochs.metadata["subject"].to_numpy() == 1][:300]
y = epochs.metadata["target"].to_numpy()
X = EpochsData.from_epochs(epochs)
print(f"{X.n_epochs} epochs, {y.sum()} targets; X.shape = {X.shape}")

# %%
# The search: two poolings (the mean over all tokens, and the mean over time kept per
# channel) times four values of ``C``, with 3-fold stratified cross-validation: 24 fits
# in total. Random weights keep the example offline (the probe warns about them; we
# have read the warning).
warnings.simplefilter("ignore", RandomWeightsWarning)
probe = LinearProbe("cbramod", weights=None, class_weight="balanced")
grid = {"pooling": ["mean", "channel"], "C": [0.001, 0.01, 0.1, 1.0]}
cv = StratifiedKFold(3, shuffle=True, random_state=0)
search = GridSearchCV(probe, grid, cv=cv, scoring="roc_auc")
start = time.perf_counter()
search.fit(X, y)
print(f"grid search: {time.perf_counter() - start:.1f} s, best {search.best_params_}")

# %%
# The cache counts, per setting, how many embeddings were computed (misses) and read
# back (hits), over every clone that shares the setting. For the best pooling: four
# values of ``C`` times three folds, each embedding 200 training and 100 test epochs,
# plus the final refit on all 300: 3,900 look-ups, of which only the first 300 ran
# the network.
print("best setting:", search.best_estimator_.embedder_.cache_info())

# %%
# A second, finer search over ``C`` at the chosen pooling runs no network pass at
# all: it only refits logistic regressions. The in-memory cache lives as long as the
# Python process; pass ``cache="/some/folder"`` to keep embeddings on disk, shared by
# parallel workers and later runs.
fine = GridSearchCV(
    probe.set_params(pooling=search.best_params_["pooling"]),
    {"C": np.logspace(-4, 1, 6)},
    cv=cv,
    scoring="roc_auc",
)
start = time.perf_counter()
fine.fit(X, y)
elapsed = time.perf_counter() - start
print(f"finer search over C: {elapsed:.1f} s, best C {fine.best_params_['C']:g}")
print("best setting:", fine.best_estimator_.embedder_.cache_info())

# %%
# Mean cross-validated AUROC over the grid. With random weights the differences are
# small and mostly noise; with pretrained weights, the pooling often matters more than
# ``C``. Either way, score the tuned probe on data the search never saw (nested
# cross-validation, or a held-out subject) before reporting it.

# sphinx_gallery_start_ignore
import os
from pathlib import Path

# sphinx_gallery_end_ignore
import matplotlib.pyplot as plt

table = pd.DataFrame(search.cv_results_)
scores = table.pivot(index="param_pooling", columns="param_C", values="mean_test_score")
fig, ax = plt.subplots(figsize=(6, 2.8), layout="constrained")
image = ax.imshow(scores.to_numpy(dtype=float), cmap="viridis", aspect="auto")
ax.set(
    xticks=range(scores.shape[1]),
    xticklabels=[f"{c:g}" for c in scores.columns],
    yticks=range(scores.shape[0]),
    yticklabels=scores.index,
    xlabel="C",
    ylabel="pooling",
    title="GridSearchCV: mean AUROC (3-fold), CBraMod random init",
)
for (i, j), value in np.ndenumerate(scores.to_numpy(dtype=float)):
    ax.text(j, i, f"{value:.3f}", ha="center", va="center", color="w")
fig.colorbar(image, ax=ax, label="AUROC")

# sphinx_gallery_start_ignore
# Keep a copy of the figure (``$SKLEARN_EEGFM_EXAMPLES_OUT``, else ./sklearn_eegfm_examples).
out = Path(os.environ.get("SKLEARN_EEGFM_EXAMPLES_OUT", "sklearn_eegfm_examples"))
out.mkdir(exist_ok=True)
fig.savefig(out / "grid_search_cache.png", dpi=100)
# sphinx_gallery_end_ignore
