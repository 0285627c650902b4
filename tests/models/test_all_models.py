"""Every foundation model runs the issue's pipeline on real data (random weights, offline).

`cross_val_score(Pipeline([FMEmbedder(name, weights=None, channel_policy="interpolate"),
LogisticRegression()]), epochs, y, cv=3)` on the shared P300 data (4 Muse channels,
256 Hz) and on EEGMMIDB (64 channels, 160 Hz). Small slices keep this within CI's budget.
"""

import os

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold, cross_val_score
from sklearn.pipeline import Pipeline

from sklearn_eegfm import FMEmbedder
from sklearn_eegfm.models._registry import CONTRACTS

pytestmark = [
    pytest.mark.filterwarnings("ignore::sklearn_eegfm.RandomWeightsWarning"),
    pytest.mark.real_data,
    pytest.mark.slow,
]


@pytest.fixture(scope="module")
def p300_12(p300_dir):
    """12 real P300 epochs, -0.1..1.1 s (long enough for every model's minimum window)."""
    from sklearn_eegfm.datasets import read_muse_csv

    f = sorted((p300_dir / "subject1" / "session1").glob("*.csv.gz"))[0]
    epochs = read_muse_csv(f, tmax=1.1)
    meta = epochs.metadata.reset_index(drop=True)
    keep = list(meta.index[meta.target == 1][:6]) + list(meta.index[meta.target == 0][:6])
    return epochs[sorted(keep)]


@pytest.fixture(scope="module")
def mmi_12(eegmmidb_epochs):
    y = eegmmidb_epochs.metadata["label"].to_numpy()
    keep = list(np.flatnonzero(y == "left_fist")[:6]) + list(np.flatnonzero(y == "right_fist")[:6])
    return eegmmidb_epochs[sorted(keep)]


# FEMBA base and large are femba_tiny's network at 46.6M and 77.2M parameters (their keys
# and shapes are checked in test_femba.py): ~20 s each here on 2 cores, so opt-in.
_HEAVY = {"femba_base", "femba_large"}
NAMES = [
    pytest.param(
        n,
        marks=pytest.mark.skipif(
            not os.environ.get("SKLEARN_EEGFM_HEAVY"),
            reason="large network (run with SKLEARN_EEGFM_HEAVY=1); femba_tiny covers its code",
        ),
    )
    if n in _HEAVY
    else n
    for n in sorted(CONTRACTS)
]


def _run(name, epochs, y):
    pipe = Pipeline(
        [
            ("fm", FMEmbedder(name, weights=None, channel_policy="interpolate")),
            ("clf", LogisticRegression(max_iter=500)),
        ]
    )
    scores = cross_val_score(pipe, epochs, y, cv=StratifiedKFold(3))
    assert scores.shape == (3,) and np.isfinite(scores).all()
    fm = pipe.fit(epochs, y).named_steps["fm"]
    assert not fm.pretrained_ and fm.n_features_out_ > 0
    # What a broken forward would not give: one embedding per epoch, each its own
    # (a model that ignored its input, or mixed the batch into one, would repeat rows).
    Z = fm.transform(epochs)
    assert Z.shape == (len(epochs), fm.n_features_out_) and np.isfinite(Z).all()
    gaps = np.linalg.norm(Z[:, None] - Z[None], axis=-1)[np.triu_indices(len(Z), 1)]
    assert gaps.min() > 1e-6 * np.abs(Z).mean(), "two epochs got the same embedding"
    # and the head reads them: its decisions differ between epochs
    assert np.ptp(pipe.decision_function(epochs)) > 0
    return fm


@pytest.mark.parametrize("name", NAMES)
def test_p300_muse(name, p300_12):
    fm = _run(name, p300_12, p300_12.metadata["target"].to_numpy())
    assert fm.contract_report_["input"].startswith("12 epochs x 4 channels")


@pytest.mark.parametrize("name", NAMES)
def test_eegmmidb_64_channels(name, mmi_12):
    fm = _run(name, mmi_12, mmi_12.metadata["label"].to_numpy())
    assert "64 channels" in fm.contract_report_["input"]
