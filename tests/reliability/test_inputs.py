"""The input layer refuses or repairs what would give a silent wrong result."""

import pickle
import warnings

import joblib
import mne
import numpy as np
import pytest

from sklearn_eegfm import EpochsData, FMEmbedder, _data
from sklearn_eegfm._data import as_epochs_data

AmplitudeWarning = _data.AmplitudeWarning
NAMES = ["Fz", "Cz", "Pz", "Oz"]


def _uv(std_uv, seed=0, shape=(8, 4, 256)):
    return np.random.default_rng(seed).standard_normal(shape) * std_uv


# ------------------------------------------------------------------ units (issue 11 #4)
def _complaint(data, units):
    """The error or AmplitudeWarning message the input layer gives, or None."""
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always", AmplitudeWarning)
        try:
            as_epochs_data(data, sfreq=256.0, ch_names=NAMES, units=units)
        except ValueError as err:
            return str(err)
    return next((str(w.message) for w in seen if w.category is AmplitudeWarning), None)


@pytest.mark.parametrize("std_uv", [2.0, 5.0, 20.0, 50.0, 200.0])
@pytest.mark.parametrize(
    ("scale", "declared", "truth"),
    [
        (1e-3, "V", "mV"),  # millivolt numbers stored as volts
        (1.0, "mV", "uV"),  # microvolt numbers declared as millivolts
        (1e-6, "mV", "V"),  # volt numbers declared as millivolts
        (1e-3, "uV", "mV"),  # millivolt numbers declared as microvolts
    ],
)
def test_every_1000x_slip_is_caught_and_named(std_uv, scale, declared, truth):
    message = _complaint(_uv(std_uv) * scale, declared)
    assert message is not None
    assert f"units='{truth}'" in message


def test_no_false_alarm_on_the_shared_recordings(p300_dir, eegmmidb_dir):
    from sklearn_eegfm.datasets import load_eegmmidb, read_muse_csv

    files = sorted(p300_dir.glob("subject*/session*/*.csv.gz"))[::6]
    with warnings.catch_warnings():
        warnings.simplefilter("error", AmplitudeWarning)
        for f in files:
            for band in ((1.0, 30.0), (None, None)):
                as_epochs_data(read_muse_csv([f], l_freq=band[0], h_freq=band[1]))
        for runs in ((3,), (4,), (6,), (13,)):
            as_epochs_data(load_eegmmidb(eegmmidb_dir, runs=runs))


# ------------------------------------------------------------------ projectors (#6)
def test_pending_average_reference_is_applied(make_epochs):
    epochs = make_epochs()
    epochs.set_eeg_reference("average", projection=True, verbose=False)
    assert not epochs.info["projs"][0]["active"]
    expected = epochs.copy().apply_proj(verbose=False).get_data() * 1e6
    ed = as_epochs_data(epochs)
    np.testing.assert_allclose(ed.data, expected, rtol=1e-5, atol=1e-3)
    assert any("applied" in n and "Average EEG reference" in n for n in ed.notes)
    # the same through the list of single epochs that cross-validation passes
    listed = as_epochs_data([epochs[i] for i in range(len(epochs))])
    np.testing.assert_allclose(listed.data, expected, rtol=1e-5, atol=1e-3)


def test_embeddings_of_projected_epochs_differ_from_unprojected(p300_long):
    import sklearn_eegfm.models._cache as cache

    cache.EmbeddingCache.clear_memory()
    epochs = p300_long[:3].copy()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        plain = FMEmbedder("cbramod", weights=None).fit_transform(epochs)
        epochs.set_eeg_reference("average", projection=True, verbose=False)
        projected = FMEmbedder("cbramod", weights=None).fit_transform(epochs)
        applied = FMEmbedder("cbramod", weights=None, cache=None).fit_transform(
            epochs.copy().apply_proj(verbose=False)
        )
    assert not np.allclose(plain, projected)
    np.testing.assert_allclose(projected, applied, atol=1e-4)


def test_projector_with_a_bad_channel(make_epochs):
    epochs = make_epochs(ch_names=("Fz", "Cz", "Pz", "Oz", "C3"))
    epochs.info["bads"] = ["C3"]
    epochs.set_eeg_reference("average", projection=True, verbose=False)
    expected = epochs.copy().apply_proj(verbose=False).get_data(picks="eeg", exclude="bads")
    np.testing.assert_allclose(as_epochs_data(epochs).data, expected * 1e6, rtol=1e-5, atol=1e-3)


# ------------------------------------------------------------------ degenerate input
def test_complex_input_is_refused():
    data = _uv(20.0).astype(complex) + 1j
    with pytest.raises(ValueError, match="complex"):
        as_epochs_data(data, sfreq=256.0, ch_names=NAMES, units="uV")


def test_complex_epochs_are_refused(make_epochs):
    epochs = make_epochs()
    complex_epochs = mne.EpochsArray(
        epochs.get_data().astype(complex) * (1 + 1j), epochs.info, verbose=False
    )
    with pytest.raises(ValueError, match="complex"):
        as_epochs_data(complex_epochs)


def test_one_sample_epochs_say_so():
    with pytest.raises(ValueError, match="1 sample"):
        as_epochs_data(_uv(20.0, shape=(4, 4, 1)), sfreq=256.0, ch_names=NAMES, units="uV")


def test_zero_channel_epochs_say_so():
    with pytest.raises(ValueError, match="0 channels"):
        as_epochs_data(np.zeros((4, 0, 100)), sfreq=256.0, ch_names=[], units="uV")


@pytest.mark.parametrize("sfreq", [0.001, 1e9, np.inf, np.nan])
def test_implausible_sampling_rates_are_refused(sfreq):
    with pytest.raises(ValueError, match="sfreq"):
        as_epochs_data(_uv(20.0), sfreq=sfreq, ch_names=NAMES, units="uV")


# ------------------------------------------------------------------ EpochsData by value
def test_epochs_data_pickles_and_joblib_dumps(make_epochs, tmp_path):
    ed = EpochsData.from_epochs(make_epochs())
    part = ed[[1, 3, 5]]
    for obj in (ed, part):
        back = pickle.loads(pickle.dumps(obj))
        np.testing.assert_array_equal(back.data, obj.data)
        assert back.ch_names == obj.ch_names and back.sfreq == obj.sfreq
        assert back.metadata.equals(obj.metadata)
        assert back.fingerprints == obj.fingerprints
    joblib.dump(part, tmp_path / "part.joblib")
    assert joblib.load(tmp_path / "part.joblib").metadata["subject"].tolist() == (
        part.metadata["subject"].tolist()
    )
