"""
Foundation-model embeddings + logistic regression vs Xdawn + tangent space
==========================================================================

The simplest way to use a foundation model in a scikit-learn workflow is as a frozen
feature extractor: :class:`sklearn_eegfm.FMEmbedder` turns each epoch into one vector,
and any scikit-learn classifier takes it from there. Here we put such a pipeline
(CBraMod embeddings, standardised, into a logistic regression) side by side with the
reference a P300 study would use anyway, Xdawn covariances + tangent space + logistic
regression (:func:`sklearn_eegfm.make_riemannian_pipeline`), on subject 1 of the shipped
visual-oddball demo, with the same cross-validation folds for both.

The network is built with random weights (``weights=None``) so that the example runs
offline: read its scores as what the pipeline does without pretraining, not as
CBraMod's. With the pretrained checkpoint in ``$SKLEARN_EEGFM_HOME`` (see the
user guide on weights), use the default ``weights="auto"``.

Data: NeuroTechX eeg-notebooks, (c) 2017 Alexandre Barachant, BSD-3-Clause.
"""

# %%
# Load subject 1 with epochs up to 1 s after each flash: CBraMod reads 1-s patches at
# 200 Hz, so a shorter epoch would give it nothing to embed. Wrapping the epochs once
# in :class:`~sklearn_eegfm.EpochsData` validates them (units, NaN, channels) and lets
# cross-validation index an array instead of building one :class:`mne.Epochs` per
# fold.
import warnings

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sklearn_eegfm import EpochsData, FMEmbedder, RandomWeightsWarning, make_riemannian_pipeline
from sklearn_eegfm.datasets import load_p300_demo

epochs = load_p300_demo(tmax=1.0)
epochs = epochs[epochs.metadata["subject"].to_numpy() == 1]
y = epochs.metadata["target"].to_numpy()
X = EpochsData.from_epochs(epochs)
print(f"{len(y)} epochs, {y.sum()} targets, channels {epochs.ch_names}")

# %%
# The two pipelines. Targets are rare (about one in six), so the logistic regressions
# weight classes inversely to their frequency, and we score with the area under the
# ROC curve, which chance puts at 0.5 whatever the balance. We have read the
# random-weights warning; silence it for the rest of the example.
warnings.simplefilter("ignore", RandomWeightsWarning)
pipelines = {
    "CBraMod + LR": make_pipeline(
        FMEmbedder("cbramod", weights=None),
        StandardScaler(),
        LogisticRegression(C=0.1, class_weight="balanced", max_iter=1000),
    ),
    "Xdawn + TS + LR": make_riemannian_pipeline("erp"),
}
print(pipelines["CBraMod + LR"])

# %%
# One shuffled, stratified 5-fold split shared by both pipelines, so that fold scores
# are paired. The embedder caches embeddings per epoch: every epoch goes through the
# network once, although it is used by four training folds and one test fold.
cv = StratifiedKFold(5, shuffle=True, random_state=0)
scores = {
    name: cross_val_score(pipe, X, y, cv=cv, scoring="roc_auc") for name, pipe in pipelines.items()
}
for name, s in scores.items():
    print(f"{name:16s} AUROC {s.mean():.3f} +/- {s.std():.3f}  folds {np.round(s, 3)}")

# %%
# What the embedder did to the data: resampled 256 Hz to 200 Hz, cropped to whole
# patches and rescaled to the model's units. The same report is available before any
# fit with :func:`sklearn_eegfm.check_epochs`.
embedder = FMEmbedder("cbramod", weights=None).fit(X)
for step in embedder.preprocessing_:
    print("-", step)
embeddings = embedder.transform(X)
print("embeddings:", embeddings.shape, embedder.cache_info())

# %%
# Left: fold scores, one line per fold. A pipeline is better only if its line rises
# fold after fold, not because of one lucky fold. Right: the first two principal
# components of the (random-weight) embeddings, targets in colour. With pretrained
# weights, the question to ask of such a plot is whether targets separate more than
# here.

# sphinx_gallery_start_ignore
import os
from pathlib import Path

# sphinx_gallery_end_ignore
import matplotlib.pyplot as plt
from sklearn.decomposition import PCA

fig, (ax0, ax1) = plt.subplots(1, 2, figsize=(9, 3.8), layout="constrained")
names = list(scores)
for fold in range(cv.get_n_splits()):
    ax0.plot([0, 1], [scores[n][fold] for n in names], "o-", color="0.5", alpha=0.7)
ax0.plot([0, 1], [scores[n].mean() for n in names], "D", color="k", ms=8, label="mean")
ax0.axhline(0.5, color="r", ls="--", lw=1, label="chance")
ax0.set(xticks=[0, 1], xticklabels=names, xlim=(-0.4, 1.4), ylabel="AUROC (5-fold)")
ax0.set_title("Subject 1, within-subject CV")
ax0.legend(loc="lower right")

pcs = PCA(n_components=2).fit_transform(StandardScaler().fit_transform(embeddings))
for label, colour in [(0, "0.7"), (1, "tab:red")]:
    mask = y == label
    ax1.scatter(*pcs[mask].T, s=8, c=colour, label="target" if label else "non-target")
ax1.set(xlabel="PC 1", ylabel="PC 2", title="CBraMod embeddings (random init)")
ax1.legend(loc="upper right")

# sphinx_gallery_start_ignore
# Keep a copy of the figure (``$SKLEARN_EEGFM_EXAMPLES_OUT``, else ./sklearn_eegfm_examples).
out = Path(os.environ.get("SKLEARN_EEGFM_EXAMPLES_OUT", "sklearn_eegfm_examples"))
out.mkdir(exist_ok=True)
fig.savefig(out / "fm_embeddings_vs_xdawn.png", dpi=100)
# sphinx_gallery_end_ignore
