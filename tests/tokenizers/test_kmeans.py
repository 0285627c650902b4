import pickle

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.exceptions import NotFittedError

from sklearn_eegfm import EpochsData
from sklearn_eegfm.tokenizers import PatchKMeansTokenizer


def test_codes_shape_range_and_round_trip_units(make_epochs):
    epochs = make_epochs(n_epochs=20, n_times=256)
    tok = PatchKMeansTokenizer(n_codes=8, patch_duration=0.25, random_state=0).fit(epochs)
    codes = tok.transform(epochs)
    assert codes.shape == (20, 4 * 4) and codes.dtype == np.int64
    assert tok.n_patches_ == 4 and tok.n_tokens_ == 16
    assert codes.min() >= 0 and codes.max() < 8
    rec = tok.inverse_transform(codes)
    assert rec.shape == epochs.get_data().shape
    # Volts in, volts out (not microvolts): same order of magnitude as the input.
    ratio = rec.std() / epochs.get_data().std()
    assert 0.05 < ratio < 2


def test_more_codes_reconstruct_real_p300_better(p300_epochs):
    X = p300_epochs[:120]
    errors = [
        PatchKMeansTokenizer(n_codes=k, patch_duration=0.1, random_state=0)
        .fit(X)
        .reconstruction_error_
        for k in (2, 64)
    ]
    assert errors[1] < errors[0] < 1.2


@pytest.mark.parametrize("view", ["time", "fourier"])
def test_one_code_per_patch_reconstructs_exactly(make_epochs, view):
    epochs = make_epochs(n_epochs=2, ch_names=("Cz",), n_times=64)
    tok = PatchKMeansTokenizer(
        n_codes=8, patch_duration=0.0625, view=view, algorithm="full", random_state=0
    ).fit(epochs)
    rec = tok.inverse_transform(tok.transform(epochs))
    np.testing.assert_allclose(rec, epochs.get_data(), atol=1e-9)
    assert tok.reconstruction_error_ < 1e-8 and tok.codebook_usage_ == 1.0
    assert tok.perplexity_ == pytest.approx(8)


def test_same_codes_for_epochs_array_and_epochsdata(make_epochs):
    epochs = make_epochs(n_epochs=16)
    tok = PatchKMeansTokenizer(n_codes=6, patch_duration=0.25, random_state=1).fit(epochs)
    ref = tok.transform(epochs)
    data_uv = epochs.get_data() * 1e6
    tok_arr = clone(tok).set_params(sfreq=256.0, ch_names=epochs.ch_names, units="uV")
    np.testing.assert_array_equal(tok_arr.fit(data_uv).transform(data_uv), ref)
    # microvolts in, microvolts out
    rec = tok_arr.inverse_transform(ref)
    np.testing.assert_allclose(rec, tok.inverse_transform(ref) * 1e6, rtol=1e-6)
    np.testing.assert_array_equal(tok.transform(EpochsData.from_epochs(epochs)), ref)
    np.testing.assert_array_equal(tok.transform([epochs[i] for i in range(16)]), ref)


def test_batches_do_not_change_codes_and_overlap_is_averaged(make_epochs):
    epochs = make_epochs(n_epochs=10, n_times=256)
    tok = PatchKMeansTokenizer(
        n_codes=5, patch_duration=0.25, patch_step=0.125, batch_size=3, random_state=0
    ).fit(epochs)
    assert tok.n_patches_ == 7
    small = tok.transform(epochs)
    np.testing.assert_array_equal(tok.set_params(batch_size=1000).transform(epochs), small)
    rec = tok.inverse_transform(tok.transform(epochs))
    assert np.isfinite(rec).all() and np.abs(rec).max() > 0


def test_metrics_methods_match_fitted_attributes(make_epochs):
    epochs = make_epochs(n_epochs=12)
    tok = PatchKMeansTokenizer(n_codes=6, patch_duration=0.25, random_state=0).fit(epochs)
    assert tok.perplexity(epochs) == pytest.approx(tok.perplexity_)
    assert tok.codebook_usage(epochs) == pytest.approx(tok.codebook_usage_)
    assert tok.reconstruction_error(epochs) == pytest.approx(tok.reconstruction_error_)
    assert tok.code_counts(epochs).sum() == 12 * tok.n_tokens_
    assert 1 <= tok.perplexity_ <= 6


def test_pickle_round_trip_and_not_fitted(make_epochs):
    epochs = make_epochs(n_epochs=12)
    tok = PatchKMeansTokenizer(n_codes=4, patch_duration=0.25, random_state=0)
    with pytest.raises(NotFittedError):
        tok.transform(epochs)
    tok.fit(epochs)
    again = pickle.loads(pickle.dumps(tok))
    np.testing.assert_array_equal(again.transform(epochs), tok.transform(epochs))


def test_bad_input_errors(make_epochs):
    epochs = make_epochs(n_epochs=4, n_times=128)
    with pytest.raises(ValueError, match="larger than the number of training patches"):
        PatchKMeansTokenizer(n_codes=1000, patch_duration=0.25).fit(epochs)
    with pytest.raises(ValueError, match="shorter than one patch"):
        PatchKMeansTokenizer(n_codes=2, patch_duration=1.0).fit(epochs)
    tok = PatchKMeansTokenizer(n_codes=4, patch_duration=0.25, random_state=0).fit(epochs)
    codes = tok.transform(epochs)
    with pytest.raises(ValueError, match=r"must lie in \[0, 4\)"):
        tok.inverse_transform(codes + 4)
    with pytest.raises(ValueError, match="must have shape"):
        tok.inverse_transform(codes[:, :3])
    data = epochs.get_data()
    data[1, 0, 5] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        clone(tok).set_params(sfreq=256.0, ch_names=epochs.ch_names, units="V").fit(data)
    with pytest.raises(ValueError, match="Invalid view"):
        PatchKMeansTokenizer(n_codes=2, view="wavelet").fit(epochs)
    with pytest.raises(ValueError, match="channels differ"):
        tok.transform(epochs.copy().reorder_channels(["Cz", "Fz", "Pz", "Oz"]))


@pytest.mark.parametrize("bad", [0, 2.5, "64", True])
def test_n_codes_must_be_a_positive_integer(make_epochs, bad):
    with pytest.raises(ValueError, match="n_codes must be a positive integer"):
        PatchKMeansTokenizer(n_codes=bad).fit(make_epochs(n_epochs=4))
