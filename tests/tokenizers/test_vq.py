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
    # the figures, computed here from the codes and the reconstruction themselves
    data = epochs.get_data()
    err = ((rec - data) ** 2).sum() / ((data - data.mean(-1, keepdims=True)) ** 2).sum()
    assert tok.reconstruction_error(epochs) == pytest.approx(err, rel=1e-4)
    assert tok.reconstruction_error_ == pytest.approx(err, rel=1e-4)  # fitted on the same
    p = np.bincount(codes.ravel(), minlength=8) / codes.size
    perplexity = np.exp(-(p[p > 0] * np.log(p[p > 0])).sum())
    assert tok.perplexity(epochs) == pytest.approx(perplexity, rel=1e-6)
    assert tok.codebook_usage_ == pytest.approx((p > 0).mean())
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


def _codebook(tok):
    return next(m for m in tok.module_.modules() if type(m).__name__.endswith("Codebook"))


def test_codebook_options(make_epochs):
    """Each option reaches the quantizer: EMA or a trained codebook, dead-code threshold."""
    epochs = make_epochs(n_epochs=8, n_times=128)
    ema = VQTokenizer(**FAST).fit(epochs)
    trained = VQTokenizer(**{**FAST, "ema_decay": None}).fit(epochs)
    params = {n for n, p in trained.module_.named_parameters() if p.requires_grad}
    assert "quantizer._codebook.embed" in params  # trained by gradient
    assert "quantizer._codebook.embed" in dict(ema.module_.named_buffers())  # EMA-updated
    assert _codebook(ema).decay == 0.99 and _codebook(ema).threshold_ema_dead_code == 1.0
    never = VQTokenizer(**{**FAST, "dead_code_threshold": 0, "kmeans_init": False}).fit(epochs)
    assert _codebook(never).threshold_ema_dead_code == 0
    codes = never.transform(epochs)
    assert codes.min() >= 0 and codes.max() < 8


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
