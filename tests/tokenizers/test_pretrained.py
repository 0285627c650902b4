"""LaBraM's VQ-NSP loader, on checkpoints written here with the authors' parameter names.

Key names and shapes follow 935963004/LaBraM (modeling_vqnsp.py VQNSP, modeling_finetune.py
NeuralTransformer, norm_ema_quantizer.py NormEMAVectorQuantizer), with 1 encoder block
instead of 12 and 64 codes instead of 8192 to stay fast.
"""

import pickle

import mne
import numpy as np
import pytest
import torch

from sklearn_eegfm.models import CheckpointError, WeightsNotFoundError
from sklearn_eegfm.tokenizers import LaBraMTokenizer

CH_NAMES = ["Fp1", "Cz", "Pz", "O2"]


def _published_state(depth=1, n_codes=64, seed=0):
    g = torch.Generator().manual_seed(seed)
    shapes = {
        "encoder.cls_token": (1, 1, 200),
        "encoder.pos_embed": (1, 129, 200),
        "encoder.time_embed": (1, 16, 200),
        "encoder.fc_norm.weight": (200,),
        "encoder.fc_norm.bias": (200,),
        "quantize.cluster_size": (n_codes,),
        "quantize.embedding.weight": (n_codes, 32),
        "quantize.embedding.cluster_size": (n_codes,),
        "quantize.embedding.embed_avg": (n_codes, 32),
        "quantize.embedding.initted": (1,),
        "encode_task_layer.0.weight": (200, 200),
        "encode_task_layer.0.bias": (200,),
        "encode_task_layer.2.weight": (32, 200),
        "encode_task_layer.2.bias": (32,),
        "decode_task_layer.0.weight": (200, 200),
        "decode_task_layer_angle.2.bias": (200,),
        "decoder.pos_embed": (1, 129, 200),
        "decoder.patch_embed.proj.weight": (200, 32, 1, 1),
    }
    for i, (cin, k) in enumerate([(1, 15), (8, 3), (8, 3)], start=1):
        shapes[f"encoder.patch_embed.conv{i}.weight"] = (8, cin, 1, k)
        shapes[f"encoder.patch_embed.conv{i}.bias"] = (8,)
        shapes[f"encoder.patch_embed.norm{i}.weight"] = (8,)
        shapes[f"encoder.patch_embed.norm{i}.bias"] = (8,)
    for b in range(depth):
        p = f"encoder.blocks.{b}."
        shapes.update(
            {
                p + "norm1.weight": (200,),
                p + "norm1.bias": (200,),
                p + "attn.q_bias": (200,),
                p + "attn.v_bias": (200,),
                p + "attn.qkv.weight": (600, 200),
                p + "attn.proj.weight": (200, 200),
                p + "attn.proj.bias": (200,),
                p + "norm2.weight": (200,),
                p + "norm2.bias": (200,),
                p + "mlp.fc1.weight": (800, 200),
                p + "mlp.fc1.bias": (800,),
                p + "mlp.fc2.weight": (200, 800),
                p + "mlp.fc2.bias": (200,),
            }
        )
    state = {k: 0.05 * torch.randn(s, generator=g) for k, s in shapes.items()}
    w = state["quantize.embedding.weight"]
    state["quantize.embedding.weight"] = w / w.norm(dim=-1, keepdim=True)
    return state


@pytest.fixture
def checkpoint(tmp_path):
    path = tmp_path / "vqnsp.pth"
    torch.save({"model": _published_state()}, path)
    return path


def _epochs(sfreq=200.0, seconds=2, n_epochs=5, seed=0):
    rng = np.random.default_rng(seed)
    data = rng.standard_normal((n_epochs, len(CH_NAMES), int(sfreq * seconds))) * 20e-6
    return mne.EpochsArray(data, mne.create_info(CH_NAMES, sfreq, "eeg"), verbose=False)


def test_published_names_load_and_tokenize(checkpoint):
    epochs = _epochs()
    tok = LaBraMTokenizer(checkpoint, depth=1, batch_size=2).fit(epochs)
    codes = tok.transform(epochs)
    assert codes.shape == (5, 4 * 2) and codes.dtype == np.int64
    assert codes.min() >= 0 and codes.max() < 64 and tok.n_codes_ == 64
    assert len(np.unique(codes)) > 1  # not a constant output
    assert tok.licence_.startswith("MIT") and len(tok.weights_sha256_) == 64
    np.testing.assert_array_equal(tok.set_params(batch_size=64).transform(epochs), codes)
    assert tok.code_counts(epochs).sum() == codes.size and 1 <= tok.perplexity(epochs) <= 64
    again = pickle.loads(pickle.dumps(tok))
    np.testing.assert_array_equal(again.transform(epochs), codes)
    with pytest.raises(NotImplementedError, match="amplitude and phase"):
        tok.inverse_transform(codes)


def test_other_rates_are_resampled_and_epochs_cropped(checkpoint):
    epochs = _epochs(sfreq=256.0, seconds=2.5)
    tok = LaBraMTokenizer(checkpoint, depth=1).fit(epochs)
    assert tok.n_patches_ == 2 and "resampled 256 -> 200 Hz" in tok.preprocessing_
    assert tok.transform(epochs).shape == (5, 8)


def test_safetensors_and_sha256(checkpoint, tmp_path):
    from safetensors.torch import save_file

    path = tmp_path / "vqnsp.safetensors"
    save_file(_published_state(), str(path))
    epochs = _epochs()
    ref = LaBraMTokenizer(checkpoint, depth=1).fit(epochs)
    tok = LaBraMTokenizer(path, depth=1, sha256=None).fit(epochs)
    np.testing.assert_array_equal(tok.transform(epochs), ref.transform(epochs))
    with pytest.raises(CheckpointError, match="sha256"):
        LaBraMTokenizer(path, depth=1, sha256="0" * 64).fit(epochs)


def test_strict_keys(tmp_path):
    epochs = _epochs()
    state = _published_state()
    del state["encoder.blocks.0.mlp.fc1.weight"]
    torch.save(state, tmp_path / "missing.pth")
    with pytest.raises(CheckpointError, match=r"missing keys \['blocks.0.mlp.0.weight'\]"):
        LaBraMTokenizer(tmp_path / "missing.pth", depth=1).fit(epochs)
    state = _published_state()
    state["encoder.extra"] = torch.zeros(1)
    torch.save(state, tmp_path / "extra.pth")
    with pytest.raises(CheckpointError, match="unexpected keys"):
        LaBraMTokenizer(tmp_path / "extra.pth", depth=1).fit(epochs)
    with pytest.raises(CheckpointError, match="unexpected keys"):  # 12-block encoder
        LaBraMTokenizer(tmp_path / "extra.pth", depth=12).fit(epochs)
    torch.save({"model": _published_state(), "args": object()}, tmp_path / "pickled.pth")
    with pytest.raises(CheckpointError, match="weights_only"):
        LaBraMTokenizer(tmp_path / "pickled.pth", depth=1).fit(epochs)


def test_offline_error_says_where_to_put_the_file(tmp_path, monkeypatch):
    monkeypatch.setenv("SKLEARN_EEGFM_HOME", str(tmp_path))
    with pytest.raises(WeightsNotFoundError, match=r"935963004/LaBraM/vqnsp.pth.*github"):
        LaBraMTokenizer().fit(_epochs())


def test_bad_input(checkpoint):
    with pytest.raises(ValueError, match="shorter than one 1-s"):
        LaBraMTokenizer(checkpoint, depth=1).fit(_epochs(seconds=0.8))
    epochs = _epochs().rename_channels({"Cz": "EXG1"})
    with pytest.raises(ValueError, match=r"\['EXG1'\] are not in LaBraM"):
        LaBraMTokenizer(checkpoint, depth=1).fit(epochs)
