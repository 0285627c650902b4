"""Weights: offline resolution order, safe loading, and clear errors for bad checkpoints."""

import sys
import warnings

import numpy as np
import pytest
import torch
from safetensors.torch import save_file

from sklearn_eegfm import FMEmbedder, RandomWeightsWarning
from sklearn_eegfm.models import CheckpointError, WeightsNotFoundError, download, get_contract

pytestmark = pytest.mark.filterwarnings("ignore::sklearn_eegfm.RandomWeightsWarning")
REPO = get_contract("cbramod").hub_repo


@pytest.fixture
def home(tmp_path, monkeypatch):
    monkeypatch.setenv("SKLEARN_EEGFM_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    return tmp_path / "home"


@pytest.fixture(scope="module")
def seeded(p300_long):
    """A seeded random CBraMod, its embeddings, and its state dict (the 'published' weights)."""
    emb = FMEmbedder("cbramod", weights=None, random_state=7, cache=None).fit(p300_long)
    state = {k: v.clone().contiguous() for k, v in emb.model_.state_dict().items()}
    return emb.transform(p300_long), state


def _hub_layout(home, state, filename="model.safetensors", rev="0123abcd"):
    snap = home / f"models--{REPO.replace('/', '--')}" / "snapshots" / rev
    snap.mkdir(parents=True)
    (home / f"models--{REPO.replace('/', '--')}" / "refs").mkdir()
    (home / f"models--{REPO.replace('/', '--')}" / "refs" / "main").write_text(rev)
    save_file(state, str(snap / filename))
    return snap / filename


def test_cache_in_hub_layout_reproduces_the_model(home, seeded, p300_long):
    expected, state = seeded
    path = _hub_layout(home, state)
    with warnings.catch_warnings():
        warnings.simplefilter("error", RandomWeightsWarning)  # pretrained: no warning
        emb = FMEmbedder("cbramod", cache=None).fit(p300_long)
    assert emb.pretrained_ and emb.contract_report_["weights_origin"] == "cache"
    assert emb.contract_report_["weights"] == str(path)
    assert len(emb.weights_sha256_) == 64 and emb.weights_licence_ == "MIT"
    np.testing.assert_allclose(emb.transform(p300_long), expected, atol=1e-5)


def test_plain_folder_layout_and_explicit_paths(home, seeded, p300_long, tmp_path):
    expected, state = seeded
    plain = home / REPO / "model.safetensors"
    plain.parent.mkdir(parents=True)
    save_file(state, str(plain))
    assert (
        FMEmbedder("cbramod", cache=None).fit(p300_long).contract_report_["weights_origin"]
        == "cache"
    )
    for weights in (plain, plain.parent, str(plain)):
        emb = FMEmbedder("cbramod", weights=weights, cache=None).fit(p300_long)
        assert emb.contract_report_["weights_origin"] == "explicit"
        np.testing.assert_allclose(emb.transform(p300_long), expected, atol=1e-5)


def test_torch_file_with_wrapper_and_prefix_loads_weights_only(home, seeded, p300_long, tmp_path):
    expected, state = seeded
    f = tmp_path / "ckpt.pth"
    torch.save({"state_dict": {f"module.{k}": v for k, v in state.items()}, "epoch": 3}, f)
    emb = FMEmbedder("cbramod", weights=f, cache=None).fit(p300_long)
    np.testing.assert_allclose(emb.transform(p300_long), expected, atol=1e-5)


def test_a_different_task_head_is_ignored(home, seeded, p300_long, tmp_path):
    expected, state = seeded
    other = dict(state)
    other["final_layer.1.weight"] = torch.zeros(5, 7)  # a checkpoint fine-tuned for 5 classes
    f = tmp_path / "head.safetensors"
    save_file(other, str(f))
    emb = FMEmbedder("cbramod", weights=f, cache=None).fit(p300_long)
    np.testing.assert_allclose(emb.transform(p300_long), expected, atol=1e-5)


def test_missing_weights_say_where_to_put_them(home, p300_long):
    with pytest.raises(WeightsNotFoundError) as err:
        FMEmbedder("cbramod").fit(p300_long)
    msg = str(err.value)
    assert REPO in msg and "model.safetensors" in msg and str(home / REPO) in msg
    assert "HF_HUB_OFFLINE" in msg and "weights=None" in msg


def test_missing_huggingface_hub_names_the_extra(home, p300_long, monkeypatch):
    monkeypatch.delenv("HF_HUB_OFFLINE")
    monkeypatch.setitem(sys.modules, "huggingface_hub", None)
    with pytest.raises(WeightsNotFoundError, match=r"sklearn-eegfm\[hub\]"):
        FMEmbedder("cbramod").fit(p300_long)


def test_download_uses_the_hub_layout(home, seeded, monkeypatch):
    hub = pytest.importorskip("huggingface_hub")
    _, state = seeded
    calls = []

    def fake_download(repo_id, filename, cache_dir):
        calls.append((repo_id, filename))
        return str(_hub_layout(cache_dir, state, filename))

    monkeypatch.setattr(hub, "hf_hub_download", fake_download)
    path = download("cbramod")
    assert calls == [(REPO, "model.safetensors")] and path.is_file()
    assert str(path).startswith(str(home))


def test_pickled_code_is_refused(home, tmp_path, p300_long):
    f = tmp_path / "evil.pt"
    torch.save({"state_dict": {}, "hook": _Payload()}, f)
    with pytest.raises(CheckpointError, match="pickled Python objects"):
        FMEmbedder("cbramod", weights=f).fit(p300_long)


def test_labram_save_model_checkpoint_loads(tmp_path, p300_long):
    """LaBraM's utils.save_model adds its argparse.Namespace (utils.py:587-593): allowed,
    while a pickled callable beside it stays refused."""
    import argparse
    import json
    from pathlib import Path

    import numpy as np

    shapes = json.loads((Path(__file__).parent / "manifests" / "labram.json").read_text())
    gen = torch.Generator().manual_seed(0)
    state = {k: torch.randn(v, generator=gen) * 0.02 for k, v in shapes["parameters"].items()}
    plain = tmp_path / "labram-base.pth"
    torch.save({"model": state}, plain)
    ref = FMEmbedder("labram", weights=plain, cache=None).fit(p300_long)
    args = argparse.Namespace(model="labram_base_patch200_1600_8k_vocab", lr=5e-4)
    f = tmp_path / "checkpoint-99.pth"
    torch.save({"model": state, "epoch": 99, "args": args, "scaler": {"scale": 1.0}}, f)
    emb = FMEmbedder("labram", weights=f, cache=None).fit(p300_long)
    np.testing.assert_allclose(emb.transform(p300_long), ref.transform(p300_long), atol=1e-5)
    torch.save({"model": state, "args": args, "hook": _Payload()}, f)
    with pytest.raises(CheckpointError, match="pickled Python objects"):
        FMEmbedder("labram", weights=f, cache=None).fit(p300_long)


class _Payload:
    def __reduce__(self):
        return (print, ("this must never run",))


@pytest.mark.parametrize("suffix", [".safetensors", ".pt"])
def test_truncated_checkpoint_is_refused(home, seeded, tmp_path, p300_long, suffix):
    _, state = seeded
    f = tmp_path / f"model{suffix}"
    if suffix == ".pt":
        torch.save(state, f)
    else:
        save_file(state, str(f))
    f.write_bytes(f.read_bytes()[: f.stat().st_size // 2])
    with pytest.raises(CheckpointError, match="corrupt or truncated|not a readable safetensors"):
        FMEmbedder("cbramod", weights=f).fit(p300_long)


def test_mismatched_checkpoint_lists_keys_and_shapes(home, seeded, tmp_path, p300_long):
    _, state = seeded
    bad = {k: v for k, v in state.items() if "layers.11" not in k}
    bad["extra.weight"] = torch.zeros(3)
    key = next(k for k in bad if k.endswith("proj_in.0.weight") or "patch_embedding" in k)
    bad[key] = torch.zeros(2, 2)
    f = tmp_path / "bad.safetensors"
    save_file(bad, str(f))
    with pytest.raises(CheckpointError) as err:
        FMEmbedder("cbramod", weights=f).fit(p300_long)
    msg = str(err.value)
    assert "missing keys" in msg and "layers.11" in msg
    assert "extra.weight" in msg and "shape mismatches" in msg and key in msg


def test_nonexistent_weights_path(home, p300_long):
    with pytest.raises(WeightsNotFoundError, match="neither 'auto', None"):
        FMEmbedder("cbramod", weights="/no/such/file.safetensors").fit(p300_long)


def test_random_weights_are_labelled(p300_long):
    with pytest.warns(RandomWeightsWarning, match="RANDOM weights"):
        emb = FMEmbedder("cbramod", weights=None).fit(p300_long)
    assert not emb.pretrained_ and emb.contract_report_["weights"] == "random (not pretrained)"


def test_labram_checkpoint_with_a_longer_temporal_embedding(home, p300_long, tmp_path):
    # LaBraM is published for 15-s windows; a 1-s window uses the first positions.
    from sklearn_eegfm.utils._imports import import_braindecode

    Labram = import_braindecode("models").Labram
    torch.manual_seed(0)
    published = Labram(n_chans=128, n_times=3000, n_outputs=4)
    f = tmp_path / "labram.safetensors"
    save_file({k: v.contiguous() for k, v in published.state_dict().items()}, str(f))
    emb = FMEmbedder("labram", weights=f, cache=None).fit(p300_long)
    short = Labram(n_chans=128, n_times=200, n_outputs=2).eval()
    state = published.state_dict()
    state["temporal_embedding"] = state["temporal_embedding"][:, :2]
    short.load_state_dict(
        {k: v for k, v in state.items() if not k.startswith("final_layer")}, strict=False
    )
    x = emb.backbone_.prepare((p300_long.get_data() * 1e6).astype(np.float32))
    short.norm = torch.nn.Identity()  # the authors' read-out: a fresh fc_norm on the mean
    with torch.no_grad():
        ref = short(x, return_features=True, ch_names=["TP9", "AF7", "AF8", "TP10"])
    ref = torch.nn.functional.layer_norm(ref["features"].mean(1), (200,), eps=1e-6)
    np.testing.assert_allclose(emb.transform(p300_long), ref.numpy(), rtol=1e-5, atol=1e-5)
