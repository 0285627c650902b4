"""TFM-Tokenizer's downstream encoder on the authors' real TUEV checkpoint."""

from pathlib import Path

import numpy as np
import pytest
import torch

from sklearn_eegfm._checkpoints import CheckpointError, load_checked, read_state_dict, sha256_file
from sklearn_eegfm._nets.tfm import ENCODER_RELEASES, TFMEncoderNet

REF = Path(__file__).parent / "reference" / "tfm_encoder_tuev.npz"


@pytest.mark.real_data
def test_tuev_checkpoint_loads_strictly_and_matches_authors(tfm_tuev_checkpoint):
    release = ENCODER_RELEASES["tuev"]
    assert sha256_file(tfm_tuev_checkpoint) == release["sha256"]
    licence = (tfm_tuev_checkpoint.parent / "LICENSE").read_text()
    assert "MIT License" in licence and "Jathurshan Pradeepkumar" in licence
    assert "Jathurshan Pradeepkumar" in release["licence"]
    net = TFMEncoderNet(n_classes=release["n_classes"])
    assert load_checked(net, read_state_dict(tfm_tuev_checkpoint)) == 59
    ref = np.load(REF)
    with torch.no_grad():
        z = net.eval().forward_features(torch.as_tensor(ref["codes"], dtype=torch.long))
        logits = net.classification_head(z[:, 0])
    # The authors' TFM_TOKEN_Classifier.forward on the same codes (16 channels x 9 frames).
    np.testing.assert_allclose(logits.numpy(), ref["logits"], atol=1e-5)
    np.testing.assert_allclose(z[:, 0].numpy(), ref["cls"], atol=1e-5)
    np.testing.assert_allclose(z[:, 1:].mean(1).numpy(), ref["token_mean"], atol=1e-5)


def test_authors_layout_strict(tmp_path, seeded_state):
    net = TFMEncoderNet(n_classes=6)
    state = seeded_state(net, keep=("temporal_pos_embed.pe",))
    torch.save(state, tmp_path / "ok.pth")
    assert load_checked(TFMEncoderNet(n_classes=6), read_state_dict(tmp_path / "ok.pth")) == 59
    state["LAT.layers.layers.4.0.norm.weight"] = torch.ones(64)
    torch.save(state, tmp_path / "deeper.pth")
    with pytest.raises(CheckpointError, match="unexpected keys"):
        load_checked(TFMEncoderNet(n_classes=6), read_state_dict(tmp_path / "deeper.pth"))


def test_too_many_channels_refused():
    net = TFMEncoderNet().eval()
    codes = torch.zeros(1, 17, 3, dtype=torch.long)
    with pytest.raises(ValueError, match="16 channel embeddings"):
        net.forward_features(codes)
