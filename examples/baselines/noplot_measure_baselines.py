"""
Measure the reference baselines on the shared real data
=======================================================

Reference scores that foundation models are compared with, on the full public data in
``../shared/data`` (not shipped; set ``SKLEARN_EEGFM_SHARED_DATA`` to point elsewhere):

- visual P300 (eeg-notebooks, Muse, 5 subjects, 1-30 Hz, -0.1..0.8 s): Xdawn covariances
  + tangent space + logistic regression, within-subject 5-fold AUROC for every subject
  and leave-one-subject-out AUROC;
- EEGMMIDB subject 1, imagined left vs right fist (runs 4, 8, 12; 8-30 Hz, 1..4 s after
  the cue): CSP + LDA and covariances + tangent space + logistic regression, 5-fold
  accuracy.

This script reads about 45 recordings and takes a few minutes on a laptop CPU, so it
is not part of the gallery run (``noplot_``).
"""

# %%
import os
import time
from pathlib import Path

import mne
import numpy as np
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import (
    LeaveOneGroupOut,
    StratifiedKFold,
    cross_val_predict,
    cross_val_score,
)

from sklearn_eegfm.baselines import make_riemannian_pipeline
from sklearn_eegfm.datasets import load_eegmmidb, read_muse_csv

mne.set_log_level("warning")  # CSP logs every fit at the info level
ROOT = Path(__file__).resolve().parents[2]
DATA = Path(os.environ.get("SKLEARN_EEGFM_SHARED_DATA", ROOT.parent / "shared" / "data"))
P300_DIR = DATA / "eeg-notebooks" / "visual_p300"
MMI_DIR = DATA / "eegmmidb" / "S001"
CV = StratifiedKFold(5, shuffle=True, random_state=0)


def describe(epochs):
    """Describe ``epochs`` for array input (CV slices arrays faster than Epochs)."""
    X = epochs.get_data() * 1e6
    return X, dict(sfreq=epochs.info["sfreq"], ch_names=epochs.ch_names, units="uV")


# %%
# Visual P300, within subject. ``xdawn_estimator="oas"`` is the package default (it
# keeps rank-deficient data usable); ``"scm"`` is pyRiemann's default, as in the data
# README's reference numbers.
start = time.perf_counter()
subjects = sorted(int(p.name.removeprefix("subject")) for p in P300_DIR.glob("subject*"))
per_subject = {s: read_muse_csv(P300_DIR / f"subject{s}") for s in subjects}
print(f"read {len(subjects)} P300 subjects in {time.perf_counter() - start:.0f} s")
print("\nP300, XdawnCov(2)+TS+LR, within-subject 5-fold AUROC")
print(f"{'subject':>7} {'epochs':>6} {'targets':>7} {'runs':>4}  {'oas':>12}  {'scm':>12}")
for s, epochs in per_subject.items():
    X, desc = describe(epochs)
    y = epochs.metadata["target"].to_numpy()
    n_runs = epochs.metadata.groupby(["session", "run"]).ngroups
    cells = []
    for xdawn_estimator in ("oas", "scm"):
        pipe = make_riemannian_pipeline("erp", xdawn_estimator=xdawn_estimator, **desc)
        auc = cross_val_score(pipe, X, y, cv=CV, scoring="roc_auc")
        cells.append(f"{auc.mean():.3f}+/-{auc.std():.3f}")
    print(f"{s:>7} {len(y):>6} {y.sum():>7} {n_runs:>4}  {cells[0]:>12}  {cells[1]:>12}")

# %%
# Leave one subject out: train on four subjects, test on the fifth, no alignment.
epochs = mne.concatenate_epochs(list(per_subject.values()), verbose=False)
X, desc = describe(epochs)
y = epochs.metadata["target"].to_numpy()
groups = epochs.metadata["subject"].to_numpy()
proba = cross_val_predict(
    make_riemannian_pipeline("erp", **desc),
    X,
    y,
    groups=groups,
    cv=LeaveOneGroupOut(),
    method="predict_proba",
)[:, 1]
loso = {s: roc_auc_score(y[groups == s], proba[groups == s]) for s in subjects}
print("\nP300, XdawnCov(2)+TS+LR, leave-one-subject-out AUROC (held-out subject)")
print("  " + "  ".join(f"S{s}: {a:.3f}" for s, a in loso.items()))
print(f"  mean {np.mean(list(loso.values())):.3f}")

# %%
# EEGMMIDB S001, imagined left vs right fist.
mmi = load_eegmmidb(MMI_DIR, runs=(4, 8, 12), l_freq=8.0, h_freq=30.0, tmin=1.0, tmax=4.0)
X, desc = describe(mmi)
y = mmi.metadata["label"].to_numpy()
print(f"\nEEGMMIDB S001 imagery L/R: {len(y)} epochs, {X.shape[1]} channels, 5-fold accuracy")
for kind, label in (("csp", "CSP(4)+LDA"), ("mi", "Cov(oas)+TS+LR")):
    acc = cross_val_score(make_riemannian_pipeline(kind, **desc), X, y, cv=CV)
    print(f"  {label:15s} {acc.mean():.3f}+/-{acc.std():.3f}  folds {np.round(acc, 3).tolist()}")
print(f"\ntotal {time.perf_counter() - start:.0f} s")
