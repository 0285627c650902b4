"""
Motor imagery on EEGMMIDB: CSP and tangent space vs foundation-model probes
===========================================================================

Motor imagery is where Riemannian and CSP pipelines are hardest to beat: the signal is a
change of band power over the sensorimotor cortex, which a spatial filter or a
covariance matrix captures with few parameters. Here we decode imagined left vs right
fist movements of subject 1 of the PhysioNet EEG Motor Movement/Imagery database
(EEGMMIDB; runs 4, 8 and 12, 45 trials, 64 channels at 160 Hz) with

- common spatial patterns + linear discriminant analysis (CSP + LDA);
- covariances + tangent space + logistic regression (TS + LR);
- linear probes (:class:`sklearn_eegfm.LinearProbe`) on two foundation models with
  different input contracts: CBraMod (any channels) and LaBraM (a vocabulary of named
  channels).

The probes use random weights so that the example runs offline, and one subject with
45 trials is far too few to rank methods: read this as how to set the comparison up,
not as its answer. Note also that LaBraM was *pretrained on EEGMMIDB*: with its real
weights, a score here would be an upper bound, not a transfer result
(:func:`sklearn_eegfm.evaluation.compare` flags this in ``pretraining_overlap``).

Data: PhysioNet EEGMMIDB 1.0.0 (Schalk et al., 2004), ODC-By 1.0. The same files are
downloaded by ``mne.datasets.eegbci.load_data(1, [4, 8, 12])``.
"""

# %%
# Find the recordings. They ship with the repository's shared data folder
# (``../shared/data/eegmmidb``); set ``SKLEARN_EEGFM_SHARED_DATA`` to read them from
# elsewhere. :func:`sklearn_eegfm.datasets.load_eegmmidb` standardises the channel
# names, sets the template montage and epochs each run around its cues.
import os
import time
import warnings
from pathlib import Path

import mne
import numpy as np
from sklearn.model_selection import StratifiedKFold, cross_val_score

from sklearn_eegfm import LinearProbe, RandomWeightsWarning, check_epochs
from sklearn_eegfm.baselines import make_riemannian_pipeline
from sklearn_eegfm.datasets import load_eegmmidb

roots = [Path(os.environ.get("SKLEARN_EEGFM_SHARED_DATA", "/nonexistent"))]
roots += [folder / "shared" / "data" for folder in (Path.cwd(), *Path.cwd().parents)]
found = [root / "eegmmidb" for root in roots if (root / "eegmmidb" / "S001").is_dir()]
if not found:
    raise FileNotFoundError(
        "EEGMMIDB subject 1 not found in ../shared/data/eegmmidb/S001; set "
        "SKLEARN_EEGFM_SHARED_DATA, or download it with "
        "mne.datasets.eegbci.load_data(1, [4, 8, 12])."
    )
data_dir = found[0]
mne.set_log_level("WARNING")  # keep CSP's rank messages out of the output

# %%
# Two views of the same trials, 1 to 4 s after the cue: band-passed 8-30 Hz (mu and
# beta rhythms) for CSP and the tangent space, as usual, and broadband 0.5-45 Hz for
# the foundation models, closer to what they were pretrained on.
mu_beta = load_eegmmidb(data_dir, runs=(4, 8, 12), l_freq=8.0, h_freq=30.0, tmin=1.0, tmax=4.0)
broad = load_eegmmidb(data_dir, runs=(4, 8, 12), l_freq=0.5, h_freq=45.0, tmin=1.0, tmax=4.0)
y = broad.metadata["label"].to_numpy()
labels, counts = np.unique(y, return_counts=True)
print(f"{len(y)} trials:", ", ".join(f"{n} {label}" for label, n in zip(labels, counts)))
print(f"{len(broad.ch_names)} channels at {broad.info['sfreq']:g} Hz")

# %%
# Before fitting anything, ask each model what its contract will do to these epochs.
# CBraMod takes the 64 channels as they are; LaBraM keeps those of its vocabulary.
for model in ("cbramod", "labram"):
    report = check_epochs(broad, model)
    print(f"{model}: {report['model_input']}")
    for step in report["steps"]:
        print("   -", step)

# %%
# The pipelines, each scored on the same shuffled, stratified 5-fold split. Random
# weights: we have read the warning.
warnings.simplefilter("ignore", RandomWeightsWarning)
pipelines = {
    "CSP + LDA": (make_riemannian_pipeline("csp"), mu_beta),
    "TS + LR": (make_riemannian_pipeline("mi"), mu_beta),
    "CBraMod probe": (LinearProbe("cbramod", weights=None, C=0.1), broad),
    "LaBraM probe": (LinearProbe("labram", weights=None, C=0.1), broad),
}
cv = StratifiedKFold(5, shuffle=True, random_state=0)
scores = {}
for name, (pipeline, epochs) in pipelines.items():
    start = time.perf_counter()
    scores[name] = cross_val_score(pipeline, epochs, y, cv=cv, scoring="roc_auc")
    print(
        f"{name:14s} AUROC {scores[name].mean():.3f} +/- {scores[name].std():.3f} "
        f"({time.perf_counter() - start:.1f} s)"
    )

# %%
# Fold scores, paired across pipelines (one grey line per fold). Nine test trials per
# fold make each score coarse: differences of 0.1 between pipelines are within the
# noise of one subject. A real comparison runs
# :func:`~sklearn_eegfm.evaluation.compare` over many subjects, with paired statistics
# across them.
import matplotlib.pyplot as plt

names = list(scores)
table = np.array([scores[name] for name in names])
fig, ax = plt.subplots(figsize=(7, 3.5), layout="constrained")
ax.plot(np.arange(len(names)), table, "-", color="0.75", lw=1)
ax.plot(np.arange(len(names)), table, "o", color="0.4", ms=4)
ax.plot(np.arange(len(names)), table.mean(axis=1), "D", color="k", ms=8, label="mean")
ax.axhline(0.5, color="r", ls="--", lw=1, label="chance")
ax.set(
    xticks=np.arange(len(names)),
    xticklabels=names,
    xlim=(-0.5, len(names) - 0.5),
    ylim=(0, 1.05),
    ylabel="AUROC (5-fold)",
    title="EEGMMIDB S001, imagined left vs right fist (probes: random init)",
)
ax.legend(loc="lower left")

# sphinx_gallery_start_ignore
# Keep a copy of the figure (``$SKLEARN_EEGFM_EXAMPLES_OUT``, else ./sklearn_eegfm_examples).
out = Path(os.environ.get("SKLEARN_EEGFM_EXAMPLES_OUT", "sklearn_eegfm_examples"))
out.mkdir(exist_ok=True)
fig.savefig(out / "motor_imagery_csp_vs_fm.png", dpi=100)
# sphinx_gallery_end_ignore
