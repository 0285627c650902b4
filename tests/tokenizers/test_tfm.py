"""TFMTokenizer against the authors' own code, and as an estimator."""

from pathlib import Path

import numpy as np
import pytest
import torch

from sklearn_eegfm._checkpoints import CheckpointError
from sklearn_eegfm.tokenizers import BagOfTokens, TFMTokenizer

REF = Path(__file__).parent / "reference"
CH3 = ["C3", "Cz", "C4"]


@pytest.fixture(scope="module")
def tfm_file(tmp_path_factory, seeded_state):
    """A checkpoint in the authors' layout (their state-dict keys), seeded weights."""
    from sklearn_eegfm._nets.tfm import TFMTokenizerNet

    path = tmp_path_factory.mktemp("tfm") / "tfm_tokenizer_last.pth"
    torch.save(seeded_state(TFMTokenizerNet()), path)
    return path


@pytest.fixture(scope="module")
def reference():
    return np.load(REF / "tfm_tokenizer.npz")


def test_network_matches_authors_codes(tfm_file, reference):
    # The authors' TFM_VQVAE2_deep.tokenize on their prepared input (recipe in reference/).
    tok = TFMTokenizer(weights=tfm_file, sfreq=200.0, ch_names=CH3, units="uV")
    x = reference["prepared"]  # already at 200 Hz and percentile-scaled (rescaling is a no-op)
    codes = tok.fit(x).transform(x)
    np.testing.assert_array_equal(codes, reference["codes"].reshape(2, -1))
    spectra = tok.decode_spectrum(codes)
    np.testing.assert_allclose(
        spectra[..., :3], reference["spectrum"].reshape(2, 3, 100, 3), atol=1e-5
    )


@pytest.mark.real_data
def test_whole_path_from_raw_epochs(tfm_file, reference):
    # From raw microvolts at 160 Hz: resampling and scaling are the estimator's.
    tok = TFMTokenizer(weights=tfm_file, sfreq=160.0, ch_names=CH3, units="uV")
    codes = tok.fit(reference["raw_uv"]).transform(reference["raw_uv"])
    assert tok.n_frames_ == 9
    np.testing.assert_array_equal(codes, reference["codes"].reshape(2, -1))
    report = tok.contract_report_
    assert report["sfreq"] == 200.0 and "95th percentile" in report["scaling"]
    assert report["weights_sha256"] == tok.weights_sha256_ and "MIT" in report["weights_licence"]


def test_authors_layout_loads_strictly(tfm_file, tmp_path, seeded_state):
    state = torch.load(tfm_file, weights_only=True)
    # A torch.compile'd save (every key under "_orig_mod.") loads too.
    torch.save({"_orig_mod." + k: v for k, v in state.items()}, tmp_path / "compiled.pth")
    x = np.random.default_rng(0).standard_normal((1, 2, 400))
    a = TFMTokenizer(weights=tfm_file, sfreq=200.0, ch_names=["a", "b"], units="uV").fit(x)
    b = TFMTokenizer(
        weights=tmp_path / "compiled.pth", sfreq=200.0, ch_names=["a", "b"], units="uV"
    )
    np.testing.assert_array_equal(a.transform(x), b.fit(x).transform(x))
    state.pop("decoder.2.bias")
    torch.save(state, tmp_path / "missing.pth")
    with pytest.raises(CheckpointError, match="decoder.2.bias"):
        TFMTokenizer(
            weights=tmp_path / "missing.pth", sfreq=200.0, ch_names=["a", "b"], units="uV"
        ).fit(x)
    with pytest.raises(CheckpointError, match="sha256"):
        TFMTokenizer(
            weights=tfm_file, sha256="0" * 64, sfreq=200.0, ch_names=["a", "b"], units="uV"
        ).fit(x)


def test_estimator_contract(tfm_file, make_epochs):
    epochs = make_epochs(n_epochs=4, sfreq=256.0, n_times=512)
    tok = TFMTokenizer(weights=tfm_file)
    with pytest.raises(Exception, match="not fitted"):
        tok.transform(epochs)
    codes = tok.fit_transform(epochs)
    assert codes.shape == (4, 4 * tok.n_frames_) and codes.dtype == np.int64
    assert tok.n_frames_ == 3 and 0 <= codes.min() and codes.max() < 8192
    names = tok.get_feature_names_out()
    assert names[0] == "Fz_t0" and names[tok.n_frames_] == "Cz_t0" and len(names) == codes.shape[1]
    assert 1 <= tok.perplexity(epochs) <= codes.size
    assert tok.codebook_usage(epochs) == pytest.approx(len(np.unique(codes)) / 8192)
    bag = BagOfTokens().fit_transform(codes)
    assert bag.sum(axis=1).tolist() == [codes.shape[1]] * 4
    with pytest.raises(NotImplementedError, match="decode_spectrum"):
        tok.inverse_transform(codes)
    short = make_epochs(n_epochs=2, sfreq=256.0, n_times=200)
    with pytest.raises(ValueError, match="shorter than"):
        TFMTokenizer(weights=tfm_file).fit(short)


def test_random_codebook_is_labelled(make_epochs):
    epochs = make_epochs(n_epochs=2, sfreq=200.0, n_times=200)
    with pytest.warns(UserWarning, match="RANDOM codebook"):
        tok = TFMTokenizer(weights=None).fit(epochs)
    assert tok.contract_report_["weights"] == "random (not pretrained)" and not tok.pretrained_
    with pytest.warns(UserWarning, match="RANDOM codebook"):
        again = TFMTokenizer(weights=None).fit(epochs)
    np.testing.assert_array_equal(tok.transform(epochs), again.transform(epochs))


def test_pickle_round_trip(tfm_file, make_epochs):
    import pickle

    epochs = make_epochs(n_epochs=2, sfreq=200.0, n_times=300)
    tok = TFMTokenizer(weights=tfm_file).fit(epochs)
    np.testing.assert_array_equal(
        pickle.loads(pickle.dumps(tok)).transform(epochs), tok.transform(epochs)
    )
