"""
Input contracts: what each foundation model does to your epochs
===============================================================

Every model in :func:`sklearn_eegfm.list_models` has an input contract: the rate it was
pretrained at, the window multiple, the channels it understands and the amplitude scale.
:func:`sklearn_eegfm.check_epochs` says, without building anything, what each contract
will do to given epochs; :class:`sklearn_eegfm.FMEmbedder` does it and records each step.
Here we take the shipped P300 demo (4 Muse channels at 256 Hz), once in its default
window (-0.1..1.1 s, long enough for every model) and once in the classic ERP window
(-0.1..0.8 s), and draw what each model receives.
"""

# %%
import warnings

from sklearn_eegfm import FMEmbedder, RandomWeightsWarning, check_epochs, list_models
from sklearn_eegfm.datasets import load_p300_demo

print(list_models()[["name", "sfreq", "window_multiple_s", "channels", "units"]].to_string())

# %%
# Plan every model on both windows. Models that lack channels interpolate them from the
# electrode positions; epochs shorter than a model's minimum are zero-padded (the
# default ``length_policy="auto"`` says so in a warning and in the report).
epochs = {
    "default -0.1..1.1 s": load_p300_demo()[:16],
    "ERP -0.1..0.8 s": load_p300_demo(tmax=0.8)[:16],
}
names = list(list_models()["name"])
plans = {}
for label, ep in epochs.items():
    for name in names:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            report = check_epochs(ep, name, channel_policy="interpolate")
        padded = [s for s in report["steps"] if s.startswith("padded")]
        plans[label, name] = (report["model_input"], padded, len(caught))
        if label.startswith("ERP") and padded:
            print(f"{name:12s} {padded[0]}")

# %%
# One embedding shows the full report of a fitted model (random weights keep this
# example offline).
warnings.simplefilter("ignore", RandomWeightsWarning)
fm = FMEmbedder("cbramod", weights=None).fit(epochs["default -0.1..1.1 s"])
for key in ("input", "model_input", "steps"):
    print(f"{key}: {fm.contract_report_[key]}")

# %%
# Seconds of signal each model sees, and how much of it is zero padding.

# sphinx_gallery_start_ignore
import os
import sys
from pathlib import Path

import matplotlib

if sys.platform.startswith("linux") and not os.environ.get("DISPLAY"):
    matplotlib.use("Agg")  # headless (CI, tests): draw without a display
# sphinx_gallery_end_ignore
import matplotlib.pyplot as plt
import numpy as np


def seconds(model_input):
    # "C channels x N samples at F Hz"
    parts = model_input.split()
    return int(parts[3]) / float(parts[6])


fig, axes = plt.subplots(1, 2, figsize=(9, 4.5), sharey=True, layout="constrained")
y = np.arange(len(names))
for ax, label in zip(axes, epochs):
    total = np.array([seconds(plans[label, n][0]) for n in names])
    pad = np.array(
        [
            int(plans[label, n][1][0].split("(")[1].split()[0])
            / float(plans[label, n][0].split()[6])
            if plans[label, n][1]
            else 0.0
            for n in names
        ]
    )
    ax.barh(y, total - pad, color="C0", label="signal")
    ax.barh(y, pad, left=total - pad, color="C3", label="zero padding")
    ax.axvline(epochs[label].times[-1] - epochs[label].times[0], color="k", ls="--", lw=1)
    ax.set(title=f"Epochs {label}", xlabel="model input (s)")
axes[0].set_yticks(y, names)
fig.legend(*axes[1].get_legend_handles_labels(), loc="outside lower center", ncols=2)
# sphinx_gallery_start_ignore
out = Path(os.environ.get("SKLEARN_EEGFM_EXAMPLES_OUT", "sklearn_eegfm_examples"))
out.mkdir(exist_ok=True)
fig.savefig(out / "input_contracts.png", dpi=100)
if matplotlib.is_interactive():
    plt.show()
# sphinx_gallery_end_ignore
