"""Checkpoints that would load silently wrong, and weights parameters that fail badly."""

import os

import numpy as np
import pytest
import torch

from sklearn_eegfm import FMEmbedder
from sklearn_eegfm._checkpoints import load_checked, read_state_dict, sha256_file
from sklearn_eegfm.models import CheckpointError

pytestmark = pytest.mark.filterwarnings("ignore::sklearn_eegfm.RandomWeightsWarning")


@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_non_finite_weights_are_refused_naming_the_tensor(bad):
    model = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.Linear(4, 2))
    state = {k: v.clone() for k, v in model.state_dict().items()}
    state["1.weight"][0, 1] = bad
    with pytest.raises(CheckpointError, match=r"'1\.weight'.*1 of 8 values"):
        load_checked(model, state, source="ckpt.pt")


def test_embedder_refuses_a_nan_checkpoint(p300_long, tmp_path):
    from safetensors.torch import save_file

    emb = FMEmbedder("cbramod", weights=None, cache=None).fit(p300_long[:2])
    state = {k: v.clone().contiguous() for k, v in emb.model_.state_dict().items()}
    name = next(k for k, v in state.items() if v.is_floating_point() and v.numel() > 1)
    state[name].view(-1)[0] = float("nan")
    save_file(state, str(tmp_path / "model.safetensors"))
    with pytest.raises(CheckpointError, match=name.replace(".", r"\.")):
        FMEmbedder("cbramod", weights=tmp_path / "model.safetensors").fit(p300_long[:2])


def test_random_bytes_are_not_a_checkpoint(tmp_path):
    path = tmp_path / "model.pt"
    rng = np.random.default_rng(0)
    for first in (b"\x13", b"\x80\x1c", b"\x80\x02"):  # also bytes that start like a pickle
        path.write_bytes(first + rng.bytes(4096))
        with pytest.raises(CheckpointError, match="not a checkpoint") as info:
            read_state_dict(path)
        assert "pickled Python objects" not in str(info.value)


def test_sha256_memo_sees_a_same_size_same_mtime_rewrite(tmp_path):
    path = tmp_path / "model.safetensors"
    path.write_bytes(b"a" * 1000)
    stat = path.stat()
    first = sha256_file(path)
    path.write_bytes(b"b" * 1000)
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))  # e.g. cp -p, rsync -t
    assert path.stat().st_size == stat.st_size
    assert path.stat().st_mtime_ns == stat.st_mtime_ns
    assert sha256_file(path) != first


@pytest.mark.parametrize("weights", [123, 1.5, ["a"], object()])
def test_weights_of_another_type_get_a_clear_error(p300_long, weights):
    with pytest.raises(TypeError, match=r"weights must be 'auto', None or a path"):
        FMEmbedder("cbramod", weights=weights).fit(p300_long[:2])


def test_random_state_accepts_what_scikit_learn_accepts(p300_long):
    rs = np.random.RandomState(3)
    a = FMEmbedder("cbramod", weights=None, random_state=rs, cache=None).fit(p300_long[:2])
    b = FMEmbedder("cbramod", weights=None, random_state=np.random.RandomState(3), cache=None).fit(
        p300_long[:2]
    )
    assert a.backbone_.seed == b.backbone_.seed
    np.testing.assert_array_equal(a.transform(p300_long[:2]), b.transform(p300_long[:2]))
    # and the generator's state matters: another seed, another random network
    c = FMEmbedder("cbramod", weights=None, random_state=np.random.RandomState(4), cache=None)
    c.fit(p300_long[:2])
    assert c.backbone_.seed != a.backbone_.seed
    assert not np.allclose(c.transform(p300_long[:2]), a.transform(p300_long[:2]))
