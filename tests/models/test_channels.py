"""Channel mapping: names, aliases, interpolation, zero-fill, bipolar derivations."""

import numpy as np
import pytest

from sklearn_eegfm._data import as_epochs_data
from sklearn_eegfm.models._channels import map_channels, normalize_name, standard_positions

NAN4 = np.full((4, 3), np.nan)


@pytest.mark.parametrize(
    ("raw", "key"),
    [
        ("Fc5.", "FC5"),
        ("FP1", "FP1"),
        ("Fp1", "FP1"),
        ("T3", "T7"),
        ("t4", "T8"),
        ("T5", "P7"),
        ("T6", "P8"),
        ("EEG T3-REF", "T7"),
        ("EEG Fz-LE", "FZ"),
        ("Cz..", "CZ"),
    ],
)
def test_normalize_name(raw, key):
    assert normalize_name(raw) == key


def test_permuted_upper_case_and_legacy_names_map_by_permutation():
    src = ["T4", "FP1", "CZ", "T3"]
    m = map_channels(src, NAN4, ["Fp1", "T7", "Cz", "T8"])
    x = np.arange(4.0)[:, None] * np.ones((4, 5))
    np.testing.assert_array_equal(m.matrix @ x, x[[1, 3, 2, 0]])
    assert m.counts() == {"matched": 4, "interpolated": 0, "zero": 0, "bipolar": 0}
    assert m.report[1] == "T7: matched T3"


def test_missing_channels_error_names_the_policies():
    with pytest.raises(ValueError, match=r"needs channels \['O1'\].*channel_policy='interpolate'"):
        map_channels(["Fp1", "Cz", "Pz"], np.full((3, 3), np.nan), ["Fp1", "O1"], model="x")


def test_zero_policy_fills_zero_rows():
    m = map_channels(["Fp1", "Cz", "Pz"], np.full((3, 3), np.nan), ["Fp1", "O1"], policy="zero")
    np.testing.assert_array_equal(m.matrix, [[1, 0, 0], [0, 0, 0]])
    assert m.report == ["Fp1: matched Fp1", "O1: zero"]


def test_interpolation_recovers_a_real_channel(eegmmidb_epochs):
    # Leave C3 out of real 64-channel EEG and interpolate it back from the other 63.
    ed = as_epochs_data(eegmmidb_epochs[:5], dtype=np.float64)
    i = ed.ch_names.index("C3")
    others = [n for n in ed.ch_names if n != "C3"]
    keep = [j for j in range(len(ed.ch_names)) if j != i]
    m = map_channels(others, ed.positions[keep], ["C3"], policy="interpolate")
    estimate = np.einsum("ij,njt->nit", m.matrix, ed.data[:, keep])[:, 0]
    r = np.corrcoef(estimate.ravel(), ed.data[:, i].ravel())[0, 1]
    assert r > 0.8
    assert m.report == ["C3: interpolated from 63 channels"]


def test_sparse_consumer_montage_can_be_interpolated():
    # Muse: 4 electrodes, too few above the ears for MNE's sphere fit.
    m = map_channels(
        ["TP9", "AF7", "AF8", "TP10"], NAN4, ["Fp1", "AF7", "Cz"], policy="interpolate"
    )
    assert m.matrix.shape == (3, 4) and np.isfinite(m.matrix).all()
    np.testing.assert_array_equal(m.matrix[1], [0, 1, 0, 0])


def test_unknown_positions_refuse_interpolation():
    with pytest.raises(
        ValueError, match=r"positions of \['X1', 'X2', 'X3'\] are unknown.*set_montage"
    ):
        map_channels(["X1", "X2", "X3"], np.full((3, 3), np.nan), ["Cz"], policy="interpolate")


def test_bipolar_derivations():
    src = ["Fp1", "F7", "T3", "C3"]
    m = map_channels(src, NAN4, ["Fp1", "F7", "T7"], bipolar=[("Fp1", "F7"), ("F7", "T7")])
    np.testing.assert_array_equal(m.matrix, [[1, -1, 0, 0], [0, 1, -1, 0]])
    assert m.target_names == ["Fp1-F7", "F7-T7"]
    assert m.counts()["bipolar"] == 2


def test_duplicate_spellings_are_refused():
    with pytest.raises(ValueError, match="appear twice"):
        map_channels(["T3", "T7", "Cz", "Pz"], NAN4, ["Cz"])


def test_template_positions_by_name():
    pos = standard_positions(["Cz", "FP1", "Fc5.", "nonsense"])
    assert np.isfinite(pos[:3]).all() and np.isnan(pos[3]).all()
    assert abs(pos[0, 0]) < 0.01  # Cz on the midline
