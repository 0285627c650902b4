"""A model input that is mostly zeros or constant after channel mapping (PITFALLS 18)."""

import numpy as np
import pytest

from sklearn_eegfm import FMEmbedder, check_epochs
from sklearn_eegfm.models import _coverage

pytestmark = pytest.mark.filterwarnings("ignore::sklearn_eegfm.RandomWeightsWarning")
ChannelCoverageWarning = _coverage.ChannelCoverageWarning


def test_biot_zero_policy_without_its_pairs_is_refused(p300_long):
    # Muse TP9/AF7/AF8/TP10: none of BIOT's 16 bipolar pairs can be formed.
    with pytest.raises(ValueError, match=r"16 of its 16 input channels.*lack.*'FP1'"):
        FMEmbedder("biot", weights=None, channel_policy="zero", cache=None).fit(p300_long)


def test_fixed_montage_mostly_zero_filled_warns_loudly(make_epochs):
    epochs = make_epochs(ch_names=("Fz", "Cz", "Pz", "Oz"))
    with pytest.warns(ChannelCoverageWarning, match="channel_policy='zero' was asked for"):
        report = check_epochs(epochs, "bendr", channel_policy="zero")
    assert report["model_input"].startswith("19 channels")


def test_mostly_flat_user_channels_are_refused(make_epochs):
    epochs = make_epochs(ch_names=("Fz", "Cz", "Pz", "Oz", "C3"))
    epochs._data[:, 2:] = 1e-6  # three of five channels constant (e.g. unplugged)
    with pytest.raises(ValueError, match=r"3 of its 5 input channels.*\['Pz', 'Oz', 'C3'\]"):
        check_epochs(epochs, "cbramod")


def test_full_montage_passes_silently(eegmmidb_epochs):
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error", ChannelCoverageWarning)
        check_epochs(eegmmidb_epochs[:4], "biot", channel_policy="zero")
        check_epochs(eegmmidb_epochs[:4], "bendr", channel_policy="zero")


def test_constant_channels_counts_zero_rows():
    from sklearn_eegfm.models._channels import map_channels

    m = map_channels(["Fp1", "Cz"], np.full((2, 3), np.nan), ["Fp1", "O1", "O2"], policy="zero")
    data = np.random.default_rng(0).standard_normal((3, 2, 50)) * 20
    assert _coverage.constant_channels(m, data) == ["O1", "O2"]
