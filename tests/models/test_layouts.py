"""Checkpoints in the authors' original layouts load strictly, through the public API.

Each manifest in ``manifests/`` lists the parameter names and shapes of an authors'
checkpoint, produced by instantiating their class (see its ``source`` field). A random
checkpoint is built from it, saved the way the authors publish it, and loaded with
``FMEmbedder(name, weights=path)``.
"""

import fnmatch
import json
from pathlib import Path

import numpy as np
import pytest
import torch
from safetensors.torch import save_file

from sklearn_eegfm import FMEmbedder
from sklearn_eegfm._checkpoint_layouts import match_layout
from sklearn_eegfm.models import CheckpointError, get_contract

MANIFESTS = Path(__file__).parent / "manifests"
TEN_TWENTY = "Fp1 Fp2 F7 F3 Fz F4 F8 T7 C3 Cz C4 T8 P7 P3 Pz P4 P8 O1 O2".split()


def _manifest(name):
    return json.loads((MANIFESTS / f"{name}.json").read_text())


def _random_state(name, small=()):
    """Random tensors with the manifest's shapes (1-element ones for ``small`` patterns)."""
    gen = torch.Generator().manual_seed(0)
    state = {}
    for key, shape in _manifest(name)["parameters"].items():
        if any(fnmatch.fnmatchcase(key, p) for p in small):
            shape = [1]
        state[key] = torch.randn(shape, generator=gen) * 0.02
    return state


@pytest.fixture(scope="module")
def epochs_1020():
    import mne

    rng = np.random.default_rng(0)
    info = mne.create_info(TEN_TWENTY, 256.0, "eeg")
    epochs = mne.EpochsArray(rng.standard_normal((2, 19, 1024)) * 20e-6, info, verbose=False)
    return epochs.set_montage("standard_1005")


def _reve_bank_beside(path, names):
    """REVE's pretrained positions need its bank beside the weights; other models ignore it.

    The published bank (brain-bzh/reve-positions positions.json) holds MNE's standard_1005
    coordinates, in metres, for these names.
    """
    from sklearn_eegfm.models._channels import standard_positions

    bank = dict(zip(names, standard_positions(list(names)).tolist()))
    (path.parent / "positions.json").write_text(json.dumps(bank))


# name, file name, how the authors wrap the state dict, pretraining-only keys kept tiny
PUBLISHED = [
    ("cbramod", "pretrained_weights.pth", None, ()),
    ("labram", "labram-base.pth", "model", ()),
    ("biot", "EEG-PREST-16-channels.ckpt", None, ()),
    ("luna", "LUNA_base.safetensors", None, ()),
    ("lumamba", "LuMamba_LeJEPA_reconstruction_300slices.safetensors", None, ()),
    (
        "eegpt",
        "eegpt_mcae_58chs_4s_large4E.ckpt",
        "state_dict",
        ("encoder.*", "predictor.*", "reconstructor.*"),
    ),
    (
        "reve",
        "reve_base.pth",
        "model",
        ("decoder.*", "mask_token", "to_pixels.*", "cls_to_pixels.*"),
    ),
    ("signaljepa", "model.safetensors", None, ()),
    ("codebrain", "CodeBrain.pth", None, ()),
    ("steegformer", "checkpoint-200.pth", "model", ("decoder_*", "dec_*", "mask_token")),
]
# Files a model needs beside its weights (ST-EEGFormer's channel vocabulary).
SIDE_FILES = {"steegformer": {"steegformer_channels.json": TEN_TWENTY}}


@pytest.mark.slow
@pytest.mark.parametrize(
    ("name", "filename", "wrapper", "small"), PUBLISHED, ids=[p[0] for p in PUBLISHED]
)
def test_authors_checkpoint_loads_strictly(name, filename, wrapper, small, tmp_path, epochs_1020):
    state = _random_state(name, small)
    path = tmp_path / filename
    _reve_bank_beside(path, epochs_1020.ch_names)
    if path.suffix == ".safetensors":
        save_file(state, str(path))
    else:
        torch.save(state if wrapper is None else {wrapper: state, "epoch": torch.tensor(3)}, path)
    for side, content in SIDE_FILES.get(name, {}).items():
        (tmp_path / side).write_text(json.dumps(content))
    emb = FMEmbedder(name, weights=path, channel_policy="interpolate", cache=None).fit(epochs_1020)
    steps = emb.contract_report_["steps"]
    assert any(s.startswith("weights: authors'") for s in steps), steps
    # A parameter the mapping renames arrives with the checkpoint's values.
    own = emb.model_.state_dict()
    layout = emb.contract_.checkpoint_layouts[0]
    mapped = layout.convert(state, own)
    key = next(
        k
        for k in sorted(mapped)
        if k in own
        and own[k].shape == mapped[k].shape
        and own[k].dtype.is_floating_point
        and mapped[k].numel() > 1
    )
    torch.testing.assert_close(own[key], mapped[key])
    assert np.isfinite(emb.transform(epochs_1020)).all()


@pytest.mark.slow
def test_bendr_encoder_and_contextualizer_map_onto_braindecode(epochs_1020):
    """BENDR's files are 600 MB: the mapping is checked key by key and shape by shape."""
    emb = FMEmbedder("bendr", weights=None, channel_policy="interpolate", cache=None)
    with pytest.warns(match="RANDOM"):
        emb.fit(epochs_1020)
    model = emb.model_
    state = {k: torch.empty(s, device="meta") for k, s in _manifest("bendr")["parameters"].items()}
    mapped, layout, hint = match_layout(
        model,
        state,
        lambda s: s,
        lambda k: k.startswith("final_layer."),
        emb.contract_.checkpoint_layouts,
    )
    assert layout.startswith("authors' (BENDR") and hint == ""
    own = model.state_dict()
    assert all(tuple(mapped[k].shape) == tuple(own[k].shape) for k in mapped)


def test_checkpoint_in_no_known_layout_names_the_closest(tmp_path, epochs_1020):
    state = _random_state("cbramod")
    state["encoder.layers.0.renamed.weight"] = state.pop("encoder.layers.0.linear1.weight")
    path = tmp_path / "odd.pth"
    torch.save(state, path)
    with pytest.raises(CheckpointError) as err:
        FMEmbedder("cbramod", weights=path, cache=None).fit(epochs_1020)
    msg = str(err.value)
    assert "none of the known layouts" in msg
    assert "closest is \"authors' = braindecode's (CBraMod" in msg
    assert "encoder.layers.0.linear1.weight" in msg and "encoder.layers.0.renamed.weight" in msg


def test_manifests_say_where_they_come_from():
    for path in MANIFESTS.glob("*.json"):
        content = json.loads(path.read_text())
        assert content["source"] and content["parameters"], path.name
        assert all(isinstance(s, list) for s in content["parameters"].values())


def test_bendr_split_files_are_joined_under_module_prefixes(tmp_path):
    from sklearn_eegfm._checkpoints import read_state_dict
    from sklearn_eegfm.models._weights import resolve_weights

    enc = {"encoder.0.0.weight": torch.ones(2, 3, 4)}
    ctx = {"input_conditioning.4.weight": torch.ones(6, 2, 1)}
    torch.save(enc, tmp_path / "encoder.pt")
    torch.save(ctx, tmp_path / "contextualizer.pt")
    source = resolve_weights(get_contract("bendr"), tmp_path)
    assert source.path.name == "encoder.pt"
    parts = get_contract("bendr").checkpoint_parts
    state = read_state_dict(source.path, parts)
    assert set(state) == {
        "encoder.encoder.0.0.weight",
        "contextualizer.input_conditioning.4.weight",
    }
    # Alone, encoder.pt stays as it is.
    (tmp_path / "contextualizer.pt").unlink()
    assert set(read_state_dict(tmp_path / "encoder.pt", parts)) == set(enc)


@pytest.mark.filterwarnings("ignore::sklearn_eegfm.RandomWeightsWarning")
@pytest.mark.slow
def test_eegpt_channel_ids_come_from_the_model_not_the_file(tmp_path, epochs_1020):
    emb = FMEmbedder("eegpt", weights=None, cache=None).fit(epochs_1020)
    state = dict(emb.model_.state_dict())
    state["chans_id"] = torch.arange(58)  # a file saved for EEGPT's 58 pretraining channels
    save_file({k: v.contiguous() for k, v in state.items()}, str(tmp_path / "model.safetensors"))
    loaded = FMEmbedder("eegpt", weights=tmp_path / "model.safetensors", cache=None).fit(
        epochs_1020
    )
    torch.testing.assert_close(loaded.model_.chans_id, emb.model_.chans_id)
    np.testing.assert_allclose(
        loaded.transform(epochs_1020), emb.transform(epochs_1020), atol=1e-5
    )


@pytest.mark.filterwarnings("ignore::sklearn_eegfm.RandomWeightsWarning")
@pytest.mark.slow
def test_eegdino_training_graph_loads_its_teacher(tmp_path, epochs_1020):
    """EEG-DINO's .pt holds student, teacher and heads under ``state_dict``.

    The authors' code could not be read (no manifest): the file is laid out as braindecode's
    converter reads it (hf_assets/model_cards/convert_eegdino_checkpoints.py:36-49).
    """
    encoder = {
        k: v
        for k, v in FMEmbedder("eegdino", weights=None, cache=None)
        .fit(epochs_1020)
        .model_.state_dict()
        .items()
        if not k.startswith("final_layer.")
    }
    gen = torch.Generator().manual_seed(0)
    graph = {}
    for role in ("student", "teacher"):
        for k, v in encoder.items():
            graph[f"module.{role}.{k}"] = torch.randn(v.shape, generator=gen) * 0.02
        graph[f"module.{role}.encoder_layers.0.attn.relative_position_index"] = torch.zeros(
            4, dtype=torch.long
        )
    graph["module.teacher_head.last_layer.weight"] = torch.ones(8, 200)
    graph["module.mask_projector.weight"] = torch.ones(3, 3)
    path = tmp_path / "model_EEG_DINO_S.pt"
    torch.save({"state_dict": graph, "epoch": torch.tensor(99)}, path)
    emb = FMEmbedder("eegdino", weights=path, cache=None).fit(epochs_1020)
    assert any("authors' (EEG-DINO" in s for s in emb.contract_report_["steps"])
    own = emb.model_.state_dict()
    key = "encoder_layers.3.mlp.fc1.weight"
    torch.testing.assert_close(own[key], graph[f"module.teacher.{key}"])
    assert not torch.equal(own[key], graph[f"module.student.{key}"])
    assert np.isfinite(emb.transform(epochs_1020)).all()


def test_steegformer_fused_qkv_splits_into_query_key_value():
    """timm's fused qkv rows are (q, k, v): the split computes the same attention."""
    from braindecode.modules import MultiHeadAttention

    layout = get_contract("steegformer").checkpoint_layouts[0]
    dim, heads = 16, 4
    gen = torch.Generator().manual_seed(0)
    fused = {
        "blocks.0.attn.qkv.weight": torch.randn(3 * dim, dim, generator=gen),
        "blocks.0.attn.qkv.bias": torch.randn(3 * dim, generator=gen),
        "blocks.0.attn.proj.weight": torch.randn(dim, dim, generator=gen),
        "blocks.0.attn.proj.bias": torch.randn(dim, generator=gen),
    }
    mapped = layout.convert(fused, {})
    prefix = "encoder.0.0.fn.1."
    attn = MultiHeadAttention(dim, heads).eval()
    attn.load_state_dict({k[len(prefix) :]: v for k, v in mapped.items()}, strict=True)
    x = torch.randn(2, 5, dim, generator=gen)
    # timm Attention.forward: one Linear, reshaped (B, N, 3, heads, head_dim).
    qkv = torch.nn.functional.linear(x, fused["blocks.0.attn.qkv.weight"])
    qkv = (qkv + fused["blocks.0.attn.qkv.bias"]).reshape(2, 5, 3, heads, dim // heads)
    q, k, v = qkv.permute(2, 0, 3, 1, 4).unbind(0)
    ref = torch.nn.functional.scaled_dot_product_attention(q, k, v)
    ref = torch.nn.functional.linear(
        ref.transpose(1, 2).reshape(2, 5, dim),
        fused["blocks.0.attn.proj.weight"],
        fused["blocks.0.attn.proj.bias"],
    )
    with torch.no_grad():
        torch.testing.assert_close(attn(x), ref, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("name", ["biot", "luna", "codebrain"])
def test_a_file_in_braindecode_keys_is_recorded_as_braindecode(name, tmp_path, epochs_1020):
    """Authors' mappings that change none of its keys must not claim braindecode's files."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # random-weights warning of the first fit
        first = FMEmbedder(name, weights=None, channel_policy="interpolate", cache=None)
        first.fit(epochs_1020)
    path = tmp_path / "model.safetensors"
    save_file({k: v.contiguous() for k, v in first.model_.state_dict().items()}, str(path))
    emb = FMEmbedder(name, weights=path, channel_policy="interpolate", cache=None)
    emb.fit(epochs_1020)
    assert "weights: braindecode checkpoint layout" in emb.contract_report_["steps"]
    np.testing.assert_allclose(emb.transform(epochs_1020), first.transform(epochs_1020))


def test_no_known_layout_names_the_authors_layout_when_it_is_closest(tmp_path, epochs_1020):
    state = _random_state("labram")
    key = next(k for k in state if k.startswith("student.blocks.0.attn.qkv.weight"))
    state[key.replace("qkv", "qkv_renamed")] = state.pop(key)
    path = tmp_path / "labram-base.pth"
    torch.save({"model": state}, path)
    with pytest.raises(CheckpointError) as err:
        FMEmbedder("labram", weights=path, channel_policy="interpolate", cache=None).fit(
            epochs_1020
        )
    msg = str(err.value)
    assert 'closest is "authors\' (LaBraM labram-base.pth)"' in msg
    assert "blocks.0.attn.qkv_renamed.weight" in msg
