"""
Input contracts: what each foundation model does to your epochs
===============================================================

Every model in :func:`sklearn_eegfm.list_models` has an input contract: the rate it was
pretrained at, the window multiple, the channels it understands and the amplitude scale.
:class:`sklearn_eegfm.FMEmbedder` brings real epochs to that contract and records each
step. Here we embed the shipped P300 demo (4 Muse channels at 256 Hz) with two models
of different contracts and compare their reports.
"""

# %%
from sklearn_eegfm import FMEmbedder, RandomWeightsWarning, list_models
from sklearn_eegfm.datasets import load_p300_demo

print(list_models()[["name", "sfreq", "window_multiple_s", "channels", "units"]])

# %%
# CBraMod takes any channels at 200 Hz in 1-s patches (microvolts / 100); BIOT needs 16
# bipolar derivations of the 10-20 montage, which 4 Muse electrodes do not have, so we
# ask for spherical-spline interpolation. Random weights keep this example offline.
import warnings

warnings.simplefilter("ignore", RandomWeightsWarning)
epochs = load_p300_demo(tmax=1.0)[:64]
for name, policy in [("cbramod", "error"), ("biot", "interpolate")]:
    fm = FMEmbedder(name, weights=None, channel_policy=policy).fit(epochs)
    print(f"\n{name}: {fm.contract_report_['model_input']}")
    for step in fm.preprocessing_:
        print("  -", step)
    print("  embedding:", fm.transform(epochs).shape)
