"""REVE and SignalJEPA read-outs follow their authors' linear probes.

REVE's authors pool the last layer's tokens with a pretrained attention query
(``cls_query_token``, REVE codebase src/models/classifier.py:107-130); S-JEPA's contextual
probe is linear in the flattened contextual tokens (braindecode signal_jepa.py:1498-1514).
"""

import json
from pathlib import Path

import numpy as np
import pytest
import torch
from safetensors.torch import save_file

from sklearn_eegfm import FMEmbedder
from sklearn_eegfm.models import CheckpointError, get_contract
from sklearn_eegfm.models._channels import standard_positions

MANIFESTS = Path(__file__).parent / "manifests"
NAMES = ("Fz", "Cz", "Pz", "Oz")


def _reve_hub_file(folder, with_query=True):
    """A random REVE checkpoint in brain-bzh/reve-base's layout, and its position bank."""
    shapes = json.loads((MANIFESTS / "reve.json").read_text())["parameters"]
    gen = torch.Generator().manual_seed(0)
    state = {
        k[len("encoder.") :]: torch.randn(s, generator=gen) * 0.02
        for k, s in shapes.items()
        if k.startswith("encoder.")
    }
    if with_query:
        state["cls_query_token"] = torch.randn(shapes["cls_query_token"], generator=gen)
    save_file(state, str(folder / "model.safetensors"))
    bank = dict(zip(NAMES, standard_positions(list(NAMES)).tolist()))
    (folder / "positions.json").write_text(json.dumps(bank))
    return folder / "model.safetensors", state


@pytest.mark.slow
def test_reve_pools_with_its_pretrained_query(tmp_path, make_epochs):
    path, state = _reve_hub_file(tmp_path)
    epochs = make_epochs(n_epochs=2, ch_names=NAMES, sfreq=200.0, n_times=400)
    emb = FMEmbedder("reve", weights=path, cache=None).fit(epochs)
    assert emb.backbone_.pooling == "cls"
    b = emb.backbone_
    x = b.prepare((epochs.get_data() * 1e6).astype(np.float32))
    pos = torch.tensor(b.positions, dtype=torch.float32)[None].expand(len(x), -1, -1)
    with torch.no_grad():
        tokens = emb.model_(x, pos=pos, return_features=True)["features"].flatten(1, 2)
    # The authors' pooling, written out with the file's query (classifier.py:122-126).
    q = state["cls_query_token"]
    weights = torch.softmax(q @ tokens.transpose(-1, -2) / 512**0.5, dim=-1)
    expected = (weights @ tokens).squeeze(1).numpy()
    np.testing.assert_allclose(emb.transform(epochs), expected, rtol=1e-5, atol=1e-5)
    assert not np.allclose(expected, tokens.mean(1).numpy(), atol=1e-4)


@pytest.mark.slow
def test_reve_query_pooling_needs_the_query_in_the_file(tmp_path, make_epochs):
    path, _ = _reve_hub_file(tmp_path, with_query=False)
    epochs = make_epochs(n_epochs=2, ch_names=NAMES, sfreq=200.0, n_times=400)
    with pytest.raises(CheckpointError, match="cls_query_token.*pooling='mean'"):
        FMEmbedder("reve", weights=path, cache=None).fit(epochs)
    # Mean pooling needs no query.
    emb = FMEmbedder("reve", weights=path, pooling="mean", cache=None).fit(epochs)
    assert emb.transform(epochs).shape == (2, 512)


def test_reve_file_query_is_dropped_when_not_pooled_with(tmp_path, make_epochs):
    from sklearn_eegfm.models.zoo.reve import _reve_query_state

    state = {"module.cls_query_token": torch.ones(1, 1, 4), "ln.weight": torch.ones(4)}
    assert set(_reve_query_state(state, {"ln.weight": None})) == {"ln.weight"}
    own = {"ln.weight": None, "cls_query_token": None}
    assert _reve_query_state(state, own) is state


@pytest.mark.filterwarnings("ignore::sklearn_eegfm.RandomWeightsWarning")
def test_signaljepa_flattens_contextual_tokens_by_default(make_epochs):
    assert get_contract("signaljepa").pooling == "flatten"
    epochs = make_epochs(n_epochs=2, ch_names=("Fz", "Cz", "Pz", "Oz"), sfreq=128.0, n_times=512)
    emb = FMEmbedder("signaljepa", weights=None, cache=None).fit(epochs)
    # 4 channels x (512 - 152) // 128 + 1 = 3 tokens (receptive field 152, stride 128)
    # x 64 dimensions.
    assert emb.transform(epochs).shape == (2, 4 * 3 * 64)
