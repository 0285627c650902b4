"""
Compare pipelines and write the HTML report
===========================================

``sklearn-eegfm compare`` ends by writing ``report.html`` with :class:`mne.Report`: what
the data are, what each foundation model's input contract does to them, the summary
table, the paired statistics (with their pairing unit and the smallest p-value they can
reach) and the figures. This example builds the same report from Python on a slice of
the shipped P300 demo, so that each piece can be reused in your own scripts.

The command line equivalent is::

    sklearn-eegfm compare --pipelines xdawn+ts,erp-features,fm-cbramod --weights random
"""

# %%
import os
import warnings
from pathlib import Path

import numpy as np

from sklearn_eegfm import RandomWeightsWarning
from sklearn_eegfm.datasets import load_p300_demo, subsample_per_subject
from sklearn_eegfm.evaluation import compare, make_named_pipeline, paired_stats, report, summarize

epochs = load_p300_demo()  # -0.1..1.1 s: long enough for every model
y = epochs.metadata["target"].to_numpy()
keep = subsample_per_subject(epochs.metadata["subject"], y, 60)  # keep the example fast
epochs, y = epochs[keep], y[keep]
print(f"{len(epochs)} epochs, subjects {sorted(epochs.metadata['subject'].unique())}")

# %%
# Three pipelines by name, leave-one-subject-out. The foundation model runs with
# random weights here (no download); results say so in their ``weights`` column.
warnings.simplefilter("ignore", RandomWeightsWarning)
names = ["xdawn+ts", "erp-features", "fm-cbramod"]
pipes = {n: make_named_pipeline(n, weights=None, fast=True) for n in names}
results = compare(pipes, epochs, y, protocol="loso", dataset="p300-demo")
summary, stats = summarize(results), paired_stats(results, metric="roc_auc")
print(report.format_summary(summary))

# %%
# The statistics state what they pair (subjects) and that with three subjects no
# p-value can fall below 0.25: the table flags it with ``(!)``.
print(report.format_stats(stats, names))

# %%
# Figures, each model's contract report, and the HTML file.
out = Path(os.environ.get("SKLEARN_EEGFM_EXAMPLES_OUT", "sklearn_eegfm_examples"))
out.mkdir(exist_ok=True)
figures = [out / name for name in report.save_plots(results, out, "roc_auc", "loso")]
data = report.data_summary(epochs, y, dataset="p300-demo", paradigm="erp", reader="demo")
contracts = report.contract_reports(epochs, ["cbramod"])
print("cbramod receives", contracts["cbramod"]["model_input"])
path = report.write_report(
    out / "report.html",
    results=results,
    summary=summary,
    stats=stats,
    data=data,
    contracts=contracts,
    figures=figures,
)
print(f"report: {path} ({path.stat().st_size // 1024} kB)")

# %%
# The per-subject figure the report embeds: one labelled line per subject.
import matplotlib.image as mpimg
import matplotlib.pyplot as plt

fig, ax = plt.subplots(figsize=(6, 4.5), layout="constrained")
ax.imshow(mpimg.imread(figures[0]))
ax.set_axis_off()
assert np.isfinite(results["score"]).any()
