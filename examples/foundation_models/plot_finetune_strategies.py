"""
Fine-tuning strategies: how many parameters each one trains
===========================================================

:class:`sklearn_eegfm.FMClassifier` fine-tunes a foundation model on labelled epochs
with one of nine strategies. This example trains CBraMod with five of them on a small
slice of the shipped P300 demo and compares what each trains with the frozen probes
(:class:`~sklearn_eegfm.LinearProbe` and :class:`~sklearn_eegfm.RidgeProbe`).

The weights are random (``weights=None``) so that the example runs offline, and
training is cut to a few passes: the scores below say nothing about CBraMod itself.
With the pretrained weights in your cache, drop ``weights=None``.
"""

# %%

# sphinx_gallery_start_ignore
import os

# sphinx_gallery_end_ignore
import warnings

# sphinx_gallery_start_ignore
from pathlib import Path

# sphinx_gallery_end_ignore
import matplotlib.pyplot as plt
import numpy as np
from sklearn.metrics import balanced_accuracy_score

from sklearn_eegfm import FMClassifier, LinearProbe, RandomWeightsWarning, RidgeProbe
from sklearn_eegfm.datasets import load_p300_demo

warnings.simplefilter("ignore", RandomWeightsWarning)
epochs = load_p300_demo(tmax=1.0)
y_all = epochs.metadata["label"].to_numpy()
rng = np.random.default_rng(0)
keep = np.sort(
    np.r_[
        rng.choice(np.flatnonzero(y_all == "target"), 32, replace=False),
        rng.choice(np.flatnonzero(y_all == "nontarget"), 32, replace=False),
    ]
)
epochs, y = epochs[keep], y_all[keep]
train = np.arange(len(y)) % 4 != 0  # three quarters to train, one to test
test = ~train

# %%
# Every strategy trains a copy of the network: the frozen one the probes use is left
# as it is. ``history_`` records each pass; ``n_trainable_params_`` what trained.
results = {}
for strategy in ("head", "last_k", "lora", "ia3", "full"):
    clf = FMClassifier(
        "cbramod",
        finetune=strategy,
        weights=None,
        max_epochs=3,
        batch_size=16,
        class_weight="balanced",
        random_state=0,
    ).fit(epochs[train], y[train])
    score = balanced_accuracy_score(y[test], clf.predict(epochs[test]))
    results[strategy] = (clf.n_trainable_params_, score, clf.history_)
    print(f"{strategy:7s} {clf.n_trainable_params_:>10,d} trainable, balanced acc. {score:.2f}")

for probe in (LinearProbe("cbramod", weights=None), RidgeProbe("cbramod", weights=None)):
    probe.fit(epochs[train], y[train])
    score = balanced_accuracy_score(y[test], probe.predict(epochs[test]))
    n_head = probe.head_.coef_.size + np.size(probe.head_.intercept_)
    results[type(probe).__name__] = (n_head, score, None)
    print(f"{type(probe).__name__:12s} {n_head:>5,d} trainable, balanced acc. {score:.2f}")

ratio = results["lora"][0] / results["full"][0]
print(f"LoRA trains {ratio:.1%} of the parameters full fine-tuning trains.")

# %%
# Trainable parameters span four orders of magnitude, from the probes' heads to full
# fine-tuning; the training loss of each strategy per pass is on the right.
fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 4), layout="constrained")
names = list(results)
ax1.barh(names, [results[n][0] for n in names], color="tab:blue")
ax1.set_xscale("log")
ax1.set_xlabel("trainable parameters")
ax1.invert_yaxis()
for name, (_, _, history) in results.items():
    if history:
        ax2.plot(
            [r["epoch"] for r in history], [r["train_loss"] for r in history], "o-", label=name
        )
ax2.set_xlabel("pass")
ax2.set_ylabel("training loss")
ax2.legend()
fig.suptitle("CBraMod (random weights) on 48 P300 epochs")

# sphinx_gallery_start_ignore
# Keep a copy of the figure (``$SKLEARN_EEGFM_EXAMPLES_OUT``, else ./sklearn_eegfm_examples).
out = Path(os.environ.get("SKLEARN_EEGFM_EXAMPLES_OUT", "sklearn_eegfm_examples"))
out.mkdir(exist_ok=True)
fig.savefig(out / "finetune_strategies.png", dpi=100)
# sphinx_gallery_end_ignore
