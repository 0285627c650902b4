"""The input layer: every accepted form, and every bad input it must refuse."""

import warnings

import mne
import numpy as np
import pytest
from sklearn.utils import _safe_indexing

from sklearn_eegfm._data import EpochsInputMixin, as_epochs_data


def test_epochs_are_converted_to_microvolts(make_epochs):
    epochs = make_epochs()
    ed = as_epochs_data(epochs)
    np.testing.assert_allclose(ed.data, epochs.get_data() * 1e6, rtol=1e-6)
    assert ed.data.dtype == np.float32 and ed.data.flags.c_contiguous
    assert ed.sfreq == 256.0 and ed.ch_names == ["Fz", "Cz", "Pz", "Oz"]
    assert ed.has_positions and np.isfinite(ed.positions).all()
    assert list(ed.metadata["subject"]) == list(epochs.metadata["subject"])
    assert "converted V to uV" in ed.notes


def test_cv_list_of_single_epochs_matches_the_whole(p300_epochs):
    # What cross_val_score hands an estimator: sklearn indexes Epochs into a list.
    idx = np.array([5, 1, 40, 3])
    as_list = _safe_indexing(p300_epochs, idx)
    assert isinstance(as_list, list) and isinstance(as_list[0], mne.BaseEpochs)
    ed = as_epochs_data(as_list)
    np.testing.assert_allclose(ed.data, p300_epochs.get_data()[idx] * 1e6, rtol=1e-6)
    assert list(ed.metadata["subject"]) == list(p300_epochs.metadata["subject"].iloc[idx])
    assert ed.ch_names == ["TP9", "AF7", "AF8", "TP10"]


def test_long_list_of_single_epochs_warns_once_with_the_fix(p300_epochs, monkeypatch):
    from sklearn_eegfm import _data

    monkeypatch.setattr(_data, "_WARNED_EPOCHS_LIST", [])
    as_list = _safe_indexing(p300_epochs, np.arange(120))
    with pytest.warns(UserWarning, match=r"list of 120 single-epoch.*EpochsData\.from_epochs"):
        as_epochs_data(as_list)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        as_epochs_data(as_list)  # once per process
        monkeypatch.setattr(_data, "_WARNED_EPOCHS_LIST", [])
        as_epochs_data(as_list[:20])  # short lists (tests, small folds) stay quiet


def test_array_with_names_and_units(make_epochs):
    epochs = make_epochs()
    uv = epochs.get_data() * 1e6
    ed = as_epochs_data(uv, sfreq=256.0, ch_names=epochs.ch_names, units="uV")
    np.testing.assert_allclose(ed.data, uv, rtol=1e-6)
    assert not ed.has_positions and ed.metadata is None
    ed_mv = as_epochs_data(uv / 1e3, sfreq=256.0, ch_names=epochs.ch_names, units="mV")
    np.testing.assert_allclose(ed_mv.data, uv, rtol=1e-5)


def test_array_described_by_info_uses_its_positions_types_and_bads(make_epochs):
    epochs = make_epochs(ch_names=("Fz", "Cz", "Pz", "EOG"))
    epochs.set_channel_types({"EOG": "eog"})
    epochs.info["bads"] = ["Pz"]
    ed = as_epochs_data(epochs.get_data(), ch_names=epochs.info, units="V")
    assert ed.ch_names == ["Fz", "Cz"]
    assert ed.has_positions and ed.sfreq == 256.0
    assert any("dropped" in n for n in ed.notes)


def test_float64_and_non_contiguous_input(make_epochs):
    uv = (make_epochs().get_data().astype(np.float64) * 1e6)[:, :, ::2]
    assert not uv.flags.c_contiguous
    ed = as_epochs_data(
        uv, sfreq=128.0, ch_names=["a", "b", "c", "d"], units="uV", dtype=np.float64
    )
    assert ed.data.flags.c_contiguous and ed.data.dtype == np.float64


def test_single_epoch(make_epochs):
    epochs = make_epochs()
    assert as_epochs_data(epochs[0]).n_epochs == 1
    assert as_epochs_data([epochs[0]]).n_epochs == 1


def test_non_eeg_and_bad_channels_are_dropped(make_epochs):
    epochs = make_epochs(ch_names=("Fz", "Cz", "Pz", "STI", "EOG"))
    epochs.set_channel_types({"STI": "stim", "EOG": "eog"})
    epochs.info["bads"] = ["Cz"]
    ed = as_epochs_data(epochs)
    assert ed.ch_names == ["Fz", "Pz"]
    assert any("['Cz', 'STI', 'EOG']" in n for n in ed.notes)


def test_pending_projector_is_noted(make_epochs):
    epochs = make_epochs()
    epochs.set_eeg_reference("average", projection=True, verbose=False)
    ed = as_epochs_data(epochs)
    assert any("applied pending projectors" in n for n in ed.notes)


@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_non_finite_values_are_refused(make_epochs, bad):
    data = make_epochs().get_data() * 1e6
    data[3, 1, 10] = bad
    with pytest.raises(ValueError, match=r"NaN or infinite.*first: \[3\].*epochs.drop"):
        as_epochs_data(data, sfreq=256.0, ch_names=["a", "b", "c", "d"], units="uV")


def test_microvolts_stored_as_volts_are_refused(make_epochs):
    # The classic double-scaling slip: RawArray/EpochsArray built from microvolt values.
    epochs = make_epochs()
    wrong = mne.EpochsArray(epochs.get_data() * 1e6, epochs.info, verbose=False)
    with pytest.raises(ValueError, match=r"microvolts declared as volts.*1e-6.*units='uV'"):
        as_epochs_data(wrong)
    # ... and the explicit escape hatch reads them right.
    ed = as_epochs_data(wrong, units="uV")
    np.testing.assert_allclose(ed.data, epochs.get_data() * 1e6, rtol=1e-5)


def test_volts_declared_as_microvolts_are_refused(make_epochs):
    volts = make_epochs().get_data()
    with pytest.raises(ValueError, match=r"volts declared as microvolts.*units='V'"):
        as_epochs_data(volts, sfreq=256.0, ch_names=["a", "b", "c", "d"], units="uV")


def test_real_data_passes_the_amplitude_check(p300_epochs, eegmmidb_epochs):
    for epochs in (p300_epochs, eegmmidb_epochs):
        ed = as_epochs_data(epochs)
        median_std = np.median(ed.data.std(axis=-1))
        assert 0.5 < median_std < 200  # microvolts


def test_two_d_array_is_refused():
    with pytest.raises(ValueError, match=r"3-D.*X\[np.newaxis\]"):
        as_epochs_data(np.zeros((4, 100)), sfreq=100.0, ch_names=list("abcd"), units="uV")


def test_raw_is_refused(make_epochs):
    epochs = make_epochs()
    raw = mne.io.RawArray(epochs.get_data()[0], epochs.info, verbose=False)
    with pytest.raises(TypeError, match="make_fixed_length_epochs"):
        as_epochs_data(raw)


def test_empty_inputs_are_refused(make_epochs):
    with pytest.raises(ValueError, match="empty"):
        as_epochs_data(np.zeros((0, 4, 100)), sfreq=100.0, ch_names=list("abcd"), units="uV")
    with pytest.raises(ValueError, match="empty"):
        as_epochs_data([], sfreq=100.0, ch_names=list("abcd"), units="uV")
    epochs = make_epochs()
    epochs.drop(np.arange(len(epochs)), verbose=False)
    with pytest.raises(ValueError, match="empty"):
        as_epochs_data(epochs)


def test_mixed_channels_in_a_list_are_refused(make_epochs):
    a = make_epochs()
    b = make_epochs(ch_names=("Fz", "Cz", "Oz", "Pz"))
    with pytest.raises(ValueError, match="different channels.*reorder_channels"):
        as_epochs_data([a[0], b[0]])


def test_mixed_rates_in_a_list_are_refused(make_epochs):
    a = make_epochs()
    b = make_epochs(sfreq=250.0)
    with pytest.raises(ValueError, match="different sampling rates.*resample"):
        as_epochs_data([a[0], b[0]])


def test_arrays_need_sfreq_names_and_units():
    x = np.random.default_rng(0).standard_normal((2, 3, 50)) * 10
    with pytest.raises(ValueError, match="needs sfreq and ch_names"):
        as_epochs_data(x, units="uV")
    with pytest.raises(ValueError, match="needs ch_names"):
        as_epochs_data(x, sfreq=100.0, units="uV")
    with pytest.raises(ValueError, match="needs units="):
        as_epochs_data(x, sfreq=100.0, ch_names=list("abc"))
    with pytest.raises(ValueError, match="3 channels but 2 channel names"):
        as_epochs_data(x, sfreq=100.0, ch_names=list("ab"), units="uV")
    with pytest.raises(ValueError, match="Invalid units='microvolt'"):
        as_epochs_data(x, sfreq=100.0, ch_names=list("abc"), units="microvolt")
    with pytest.raises(ValueError, match="Duplicate"):
        as_epochs_data(x, sfreq=100.0, ch_names=list("aab"), units="uV")


def test_epochs_with_a_conflicting_sfreq_are_refused(make_epochs):
    with pytest.raises(ValueError, match="sampled at 256.0 Hz"):
        as_epochs_data(make_epochs(), sfreq=250.0)


def test_no_eeg_channel_is_refused(make_epochs):
    epochs = make_epochs(ch_names=("EOG1", "EOG2"))
    epochs.set_channel_types({"EOG1": "eog", "EOG2": "eog"})
    with pytest.raises(ValueError, match="no good EEG channel.*set_channel_types"):
        as_epochs_data(epochs)


def test_flat_data_is_refused():
    with pytest.raises(ValueError, match="flat"):
        as_epochs_data(np.ones((2, 3, 50)), sfreq=100.0, ch_names=list("abc"), units="uV")


def test_object_arrays_are_refused():
    with pytest.raises(TypeError, match="numeric array"):
        as_epochs_data(
            np.array([["a"]], dtype=object)[None], sfreq=1.0, ch_names=["a"], units="uV"
        )


class _Recorder(EpochsInputMixin):
    def __init__(self, sfreq=None, ch_names=None, units=None):
        self.sfreq, self.ch_names, self.units = sfreq, ch_names, units


def test_mixin_remembers_fit_channels_and_rate(make_epochs):
    est = _Recorder()
    est._validate_epochs(make_epochs(), reset=True)
    assert list(est.ch_names_in_) == ["Fz", "Cz", "Pz", "Oz"] and est.sfreq_in_ == 256.0
    with pytest.raises(ValueError, match="channels differ from those seen in fit"):
        est._validate_epochs(make_epochs(ch_names=("Cz", "Fz", "Pz", "Oz")), reset=False)
    with pytest.raises(ValueError, match="sampling rate differs"):
        est._validate_epochs(make_epochs(sfreq=128.0), reset=False)


def test_epochs_data_is_a_cheap_array_like_for_cv(p300_epochs):
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold, cross_val_score
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    from sklearn_eegfm import EpochsData, ERPFeatures

    X = EpochsData.from_epochs(p300_epochs)
    assert X.shape == (len(p300_epochs), 4, p300_epochs.times.size) and len(X) == X.shape[0]
    assert X.tmin == pytest.approx(p300_epochs.tmin)
    sub = _safe_indexing(X, np.array([4, 0, 7]))
    assert isinstance(sub, EpochsData) and sub.shape[0] == 3
    np.testing.assert_array_equal(sub.data, X.data[[4, 0, 7]])
    assert list(sub.metadata["subject"]) == list(p300_epochs.metadata["subject"].iloc[[4, 0, 7]])
    assert X[2].shape == (1, 4, p300_epochs.times.size)
    # every estimator takes it, with the same result as the Epochs
    y = p300_epochs.metadata["target"].to_numpy()
    pipe = make_pipeline(ERPFeatures(), StandardScaler(), LogisticRegression(C=0.1))
    cv = StratifiedKFold(3)
    np.testing.assert_allclose(
        cross_val_score(pipe, X, y, cv=cv), cross_val_score(pipe, p300_epochs, y, cv=cv)
    )
    assert "EpochsData" in repr(X) and "uV" in repr(X)
    with pytest.raises(ValueError, match="hold microvolts"):
        as_epochs_data(X, units="V")


def test_epochs_read_lazily_are_loaded_like_get_data_would():
    """Epochs without preload (len() unknown until bad epochs are dropped) just work."""
    import mne

    from sklearn_eegfm import EpochsData

    rng = np.random.default_rng(0)
    info = mne.create_info(["Fz", "Cz", "Pz", "Oz"], 256.0, "eeg")
    raw = mne.io.RawArray(rng.standard_normal((4, 256 * 6)) * 20e-6, info, verbose=False)
    lazy = mne.make_fixed_length_epochs(raw, duration=1.0, preload=False, verbose=False)
    eager = mne.make_fixed_length_epochs(raw, duration=1.0, preload=True, verbose=False)
    np.testing.assert_array_equal(
        EpochsData.from_epochs(lazy).data, EpochsData.from_epochs(eager).data
    )


def test_slices_of_epochs_data_share_one_fingerprinting_pass(p300_epochs, monkeypatch):
    # What a grid search does: index the whole EpochsData once per fold and grid point,
    # and look every slice up in the embedding cache by its fingerprints.
    import pickle

    from sklearn_eegfm import EpochsData, _data

    X = EpochsData.from_epochs(p300_epochs)
    hashed = []
    real = _data.epoch_fingerprints
    monkeypatch.setattr(_data, "epoch_fingerprints", lambda d: hashed.append(len(d)) or real(d))
    folds = [X[np.arange(i, len(X), 3)] for i in range(3)]
    nested = folds[0][np.array([2, 0])]
    for part in (*folds, nested, as_epochs_data(folds[1])):
        # content fingerprints, as if hashed afresh: a slice still hits rows cached
        # from any other EpochsData holding the same samples
        assert part.fingerprints == real(part.data)
    assert hashed == [len(X)]  # the parent array, hashed once for every slice
    # a slice sent to a worker ships its own fingerprints, not its parent's samples
    back = pickle.loads(pickle.dumps(folds[2]))
    assert back._lineage is None and back.fingerprints == folds[2].fingerprints
    assert len(pickle.dumps(X[:2])) < len(pickle.dumps(X)) / 10
    # a different array is hashed by itself: other samples can never share a key
    other = EpochsData.from_epochs(p300_epochs.copy().crop(tmax=0.5))[:3]
    assert other.fingerprints != X[:3].fingerprints and hashed[-1] == len(p300_epochs)


def test_epochs_data_with_other_samples_never_inherits_fingerprints_or_checks(p300_epochs):
    # Alignments and compare() derive EpochsData with dataclasses.replace(X, data=...):
    # the new samples must be hashed and checked themselves, not take their source's.
    import dataclasses

    from sklearn_eegfm import EpochsData
    from sklearn_eegfm._data import epoch_fingerprints

    X = EpochsData.from_epochs(p300_epochs)
    part = X[:6]
    assert part.fingerprints == epoch_fingerprints(part.data)
    shifted = dataclasses.replace(part, data=part.data * 2, _fingerprints=None)
    assert shifted.fingerprints == epoch_fingerprints(part.data * 2) != part.fingerprints
    bad = part.data.copy()
    bad[1, 0, 3] = np.nan
    with pytest.raises(ValueError, match="NaN or infinite values in 1 epoch"):
        as_epochs_data(dataclasses.replace(part, data=bad, _fingerprints=None))
