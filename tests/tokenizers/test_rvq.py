import numpy as np
import pytest

from sklearn_eegfm.tokenizers import BagOfTokens, RVQTokenizer

FAST = dict(n_codes=8, patch_duration=0.125, max_epochs=3, code_dim=4, hidden=4, random_state=0)


def test_codes_have_a_level_axis_and_round_trip(make_epochs):
    epochs = make_epochs(n_epochs=12, n_times=128)
    tok = RVQTokenizer(n_levels=3, **FAST).fit(epochs)
    codes = tok.transform(epochs)
    assert codes.shape == (12, 3, 16) and codes.dtype == np.int64
    assert codes.min() >= 0 and codes.max() < 8
    rec = tok.inverse_transform(codes)
    assert rec.shape == epochs.get_data().shape and np.isfinite(rec).all()
    assert tok.code_counts_.shape == (3, 8) and (tok.code_counts_.sum(axis=1) == 12 * 16).all()
    assert tok.perplexity_.shape == (3,) and tok.codebook_usage_.shape == (3,)
    np.testing.assert_allclose(tok.perplexity(epochs), tok.perplexity_)
    # codes feed the bag of tokens, one vocabulary per level
    bag = BagOfTokens().fit(codes)
    assert bag.transform(codes).sum() == 12 * 3 * 16


def test_more_levels_reconstruct_better(make_epochs):
    epochs = make_epochs(n_epochs=24, n_times=128, seed=3)
    errors = [RVQTokenizer(n_levels=n, **FAST).fit(epochs).reconstruction_error_ for n in (1, 4)]
    assert errors[1] < errors[0]


def test_bad_input_errors(make_epochs):
    epochs = make_epochs(n_epochs=4, n_times=128)
    with pytest.raises(ValueError, match="n_levels"):
        RVQTokenizer(n_levels=0, **FAST).fit(epochs)
    tok = RVQTokenizer(n_levels=2, **FAST).fit(epochs)
    codes = tok.transform(epochs)
    with pytest.raises(ValueError, match="must have shape"):
        tok.inverse_transform(codes[:, 0])  # the level axis is required
    codes[0, 1, 0] = 8
    with pytest.raises(ValueError, match=r"must lie in \[0, 8\)"):
        tok.inverse_transform(codes)
