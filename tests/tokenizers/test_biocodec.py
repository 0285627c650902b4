"""BioCodecTokenizer against the authors' own code, and as an estimator."""

from pathlib import Path

import numpy as np
import pytest
import torch

from sklearn_eegfm._checkpoints import CheckpointError
from sklearn_eegfm.tokenizers import BagOfTokens, BioCodecTokenizer

REF = Path(__file__).parent / "reference"
CH3 = ["C3", "Cz", "C4"]
INITED = [f"quantizer.vq.layers.{i}._codebook.inited" for i in range(6)]


@pytest.fixture(scope="module")
def authors_state(seeded_state):
    from sklearn_eegfm._nets.biocodec import BioCodecNet

    return seeded_state(BioCodecNet(), keep=INITED)


@pytest.fixture(scope="module")
def biocodec_file(tmp_path_factory, authors_state):
    """The released layout: {'model_state_dict': {'_orig_mod.' + key: ...}, ...}."""
    path = tmp_path_factory.mktemp("biocodec") / "biocodec_ckpt.pt"
    state = {"_orig_mod." + k: v for k, v in authors_state.items()}
    torch.save({"model_state_dict": state, "epoch": torch.tensor(3)}, path)
    return path


def test_network_matches_authors_codes(biocodec_file):
    ref = np.load(REF / "biocodec.npz")
    x = ref["prepared"]  # 250 Hz, z-scored and clamped by the authors' recipe
    tok = BioCodecTokenizer(weights=biocodec_file, sfreq=250.0, ch_names=CH3, units="uV")
    codes = tok.fit(x).transform(x)
    expected = ref["codes"].transpose(0, 2, 1, 3).reshape(2, 6, -1)  # (epoch, level, ch*frame)
    np.testing.assert_array_equal(codes, expected)
    np.testing.assert_allclose(tok.inverse_transform(codes), ref["reconstruction"], atol=1e-5)


def test_weight_norm_layouts_load(authors_state, tmp_path):
    # torch.nn.utils.weight_norm (weight_g / weight_v) maps onto parametrizations.
    old = {}
    for k, v in authors_state.items():
        k = k.replace("parametrizations.weight.original0", "weight_g")
        old[k.replace("parametrizations.weight.original1", "weight_v")] = v
    torch.save(old, tmp_path / "old.pt")
    torch.save(authors_state, tmp_path / "new.pt")
    x = np.random.default_rng(1).standard_normal((2, 2, 250))
    kw = dict(sfreq=250.0, ch_names=["a", "b"], units="uV")
    a = BioCodecTokenizer(weights=tmp_path / "new.pt", **kw).fit(x).transform(x)
    np.testing.assert_array_equal(
        BioCodecTokenizer(weights=tmp_path / "old.pt", **kw).fit(x).transform(x), a
    )
    broken = dict(authors_state)
    broken["encoder.model.0.conv.conv.parametrizations.weight.original1"] = torch.zeros(32, 1, 5)
    torch.save(broken, tmp_path / "broken.pt")
    with pytest.raises(CheckpointError, match="shape"):
        BioCodecTokenizer(weights=tmp_path / "broken.pt", **kw).fit(x)


def test_estimator_contract(biocodec_file, make_epochs):
    epochs = make_epochs(n_epochs=3, sfreq=256.0, n_times=256)
    tok = BioCodecTokenizer(weights=biocodec_file)
    codes = tok.fit_transform(epochs)
    assert tok.n_frames_ == 21 and codes.shape == (3, 6, 4 * 21)
    assert tok.contract_report_["sfreq"] == 250.0 and "clamped" in tok.contract_report_["scaling"]
    assert tok.perplexity(epochs).shape == (6,)
    rec = tok.inverse_transform(codes)
    assert rec.shape == (3, 4, tok.n_model_times_)
    err = tok.reconstruction_error(epochs)
    coarse = tok.inverse_transform(codes[:, :1])
    assert np.isfinite(err) and not np.allclose(coarse, rec)
    assert BagOfTokens().fit_transform(codes).shape[0] == 3
    with pytest.raises(ValueError, match="codes must have shape"):
        tok.inverse_transform(codes[:, :, :-1])


@pytest.mark.real_data
def test_runs_on_real_p300(biocodec_file, p300_epochs):
    ep = p300_epochs[:6]
    tok = BioCodecTokenizer(weights=biocodec_file).fit(ep)
    codes = tok.transform(ep)
    assert codes.shape == (6, 6, 4 * tok.n_frames_)
    assert tok.codebook_usage(ep).min() > 1 / 256
