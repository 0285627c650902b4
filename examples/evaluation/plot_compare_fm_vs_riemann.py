"""
Does a foundation model beat Xdawn + tangent space across subjects?
===================================================================

A foundation model earns its place only if it beats what a P300 study would use
anyway, on subjects it has never seen. :func:`sklearn_eegfm.evaluation.compare` runs
named pipelines through one evaluation protocol, every pipeline on exactly the same
folds, and returns a tidy table (one row per pipeline, fold and metric).
:func:`~sklearn_eegfm.evaluation.summarize` and
:func:`~sklearn_eegfm.evaluation.paired_stats` turn it into means and paired tests,
and :func:`sklearn_eegfm.viz.plot_subject_scores` shows it subject by subject.

Here we compare Xdawn covariances + tangent space + logistic regression with a
linear probe on CBraMod embeddings under leave-one-subject-out (LOSO) on the shipped
visual-oddball demo (3 subjects, 868 epochs with the window up to 1 s used here). The
same comparison runs from a shell with ``sklearn-eegfm compare``, whose default window
(-0.1 to 1.1 s, long enough for every model) leaves 867: one recording ends less than
1.1 s after its last flash.

Data: NeuroTechX eeg-notebooks, (c) 2017 Alexandre Barachant, BSD-3-Clause.
"""

# %%
# Load the demo with epochs up to 1 s after each flash: CBraMod cuts its input into
# 1-s patches, so shorter epochs would leave it nothing to embed. Targets are rare
# (about one in seven), so we read the area under the ROC curve, which chance puts at
# 0.5 whatever the class balance.
import warnings

import numpy as np

from sklearn_eegfm import RandomWeightsWarning
from sklearn_eegfm.datasets import load_p300_demo
from sklearn_eegfm.evaluation import compare, default_pipelines, paired_stats, summarize

epochs = load_p300_demo(tmax=1.0)
y = epochs.metadata["target"].to_numpy()
subjects = epochs.metadata["subject"].to_numpy()
for subject in np.unique(subjects):
    mask = subjects == subject
    print(f"subject {subject}: {mask.sum()} epochs, {y[mask].sum()} targets")

# %%
# :func:`~sklearn_eegfm.evaluation.default_pipelines` builds the reference line-up;
# we keep the Riemannian baseline and the foundation-model probe. ``weights=None``
# gives CBraMod *random* weights so that this example runs offline: the results
# table says so in its ``weights`` column and the plot labels the pipeline
# "(random init)". With the pretrained checkpoint in ``$SKLEARN_EEGFM_HOME``, pass
# ``weights="auto"`` instead. The embedder warns about random weights once per fold;
# having read the warning, we silence it.
warnings.simplefilter("ignore", RandomWeightsWarning)
pipelines = default_pipelines(models=("cbramod",), weights=None, fast=True)
pipelines = {name: pipelines[name] for name in ("xdawn+ts", "fm-cbramod")}
print(pipelines["fm-cbramod"])

# %%
# Leave-one-subject-out: each fold trains on two subjects and tests on the third,
# which is the setting a calibration-free BCI faces. The probe caches embeddings in
# memory, so an epoch used by several folds goes through the network once.
results = compare(pipelines, epochs, y, protocol="loso", dataset="p300-demo")
print(results[results["metric"] == "roc_auc"][["pipeline", "subject", "score", "weights"]])

# %%
# The summary averages over folds; with LOSO there is one fold per subject, so ``n``
# counts subjects. Folds that raised would be left out of the means and counted in
# ``n_errors`` rather than stop the comparison.
summary = summarize(results)
print(summary[summary["metric"].isin(["roc_auc", "balanced_accuracy"])].to_string(index=False))

# %%
# The paired statistics test each pipeline against the best baseline subject by
# subject. With three subjects the exact sign-flip test cannot go below p = 0.25:
# the demo is too small to conclude anything, which is itself worth knowing before
# trusting a ranking of means.
stats = paired_stats(results, metric="roc_auc")
columns = ["pipeline", "baseline", "mean_diff", "ci_low", "ci_high", "p_value", "n_pairs"]
print(stats[columns].to_string(index=False, float_format="{:.3f}".format))

# %%
# Plot each subject's AUROC under both pipelines. A line per subject shows whether
# a difference in means holds subject by subject; the diamonds are the means and the
# dashed line is chance.

# sphinx_gallery_start_ignore
import os
import sys
from pathlib import Path

import matplotlib

if sys.platform.startswith("linux") and not os.environ.get("DISPLAY"):
    matplotlib.use("Agg")  # headless (CI, tests): draw without a display
# sphinx_gallery_end_ignore
import matplotlib.pyplot as plt

from sklearn_eegfm.viz import plot_subject_scores

fig = plot_subject_scores(results, metric="roc_auc")
# sphinx_gallery_start_ignore
out = Path(os.environ.get("SKLEARN_EEGFM_EXAMPLES_OUT", "sklearn_eegfm_examples"))
out.mkdir(exist_ok=True)
fig.savefig(out / "subject_scores.png", dpi=100)
if matplotlib.is_interactive():
    plt.show()
# sphinx_gallery_end_ignore
