import pickle

import mne
import numpy as np
import pytest
from sklearn.base import clone

from sklearn_eegfm.tokenizers import VQTokenizer

FAST = dict(n_codes=8, patch_duration=0.125, max_epochs=2, code_dim=4, hidden=4, random_state=0)


def test_codes_reconstruction_and_metrics(make_epochs):
    epochs = make_epochs(n_epochs=12, n_times=128)
    tok = VQTokenizer(**FAST).fit(epochs)
    codes = tok.transform(epochs)
    assert codes.shape == (12, 4 * 4) and codes.dtype == np.int64
    assert codes.min() >= 0 and codes.max() < 8
    rec = tok.inverse_transform(codes)
    assert rec.shape == epochs.get_data().shape and np.isfinite(rec).all()
    assert 0.01 < rec.std() / epochs.get_data().std() < 3  # volts in, volts out
    assert tok.reconstruction_error(epochs) == pytest.approx(tok.reconstruction_error_)
    assert tok.perplexity(epochs) == pytest.approx(tok.perplexity_)
    assert 1 <= tok.perplexity_ <= 8 and 0 < tok.codebook_usage_ <= 1
    assert len(tok.history_) == 2 and all(np.isfinite(tok.history_))


def test_training_reduces_the_loss_on_real_p300(p300_epochs):
    X = p300_epochs[:60]
    tok = VQTokenizer(**{**FAST, "max_epochs": 8, "n_codes": 16, "patch_batch_size": 64}).fit(X)
    assert tok.history_[-1] < tok.history_[0]
    assert tok.reconstruction_error_ < 1.0


def test_seeded_fit_is_reproducible_and_pickles(make_epochs):
    epochs = make_epochs(n_epochs=8, n_times=128)
    a = VQTokenizer(**FAST).fit(epochs)
    b = clone(a).fit(epochs)
    np.testing.assert_array_equal(a.transform(epochs), b.transform(epochs))
    again = pickle.loads(pickle.dumps(a))
    np.testing.assert_array_equal(again.transform(epochs), a.transform(epochs))


@pytest.mark.parametrize(
    "options", [dict(ema_decay=None), dict(dead_code_threshold=0, kmeans_init=False)]
)
def test_codebook_options(make_epochs, options):
    epochs = make_epochs(n_epochs=8, n_times=128)
    tok = VQTokenizer(**{**FAST, **options}).fit(epochs)
    assert tok.transform(epochs).max() < 8


def test_bad_input_errors(make_epochs):
    epochs = make_epochs(n_epochs=2, n_times=64)
    with pytest.raises(ValueError, match="larger than the number of training patches"):
        VQTokenizer(**{**FAST, "n_codes": 64}).fit(epochs)
    with pytest.raises(ValueError, match="shorter than one patch"):
        VQTokenizer(**{**FAST, "patch_duration": 0.5}).fit(epochs)
    with pytest.raises(ValueError, match="ema_decay"):
        VQTokenizer(**{**FAST, "ema_decay": 1.5}).fit(epochs)
    tok = VQTokenizer(**FAST).fit(epochs)
    with pytest.raises(ValueError, match=r"must lie in \[0, 8\)"):
        tok.inverse_transform(np.full((1, tok.n_tokens_), -1))
    data = epochs.get_data()
    data[0, 0, 0] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        tok.transform(mne.EpochsArray(data, epochs.info, verbose=False))
