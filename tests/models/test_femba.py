"""FEMBA's plain-PyTorch encoder against the authors' class, keys, and their checkpoints.

``reference/femba_tiny.npz`` holds the output of the authors' own FEMBA class
(BioFoundation models/FEMBA.py @ 1923999, with mamba_ssm's selective_scan_ref in place of
the CUDA kernel) for seeded weights on real EEGMMIDB windows; ``reference/femba_tiny.md``
is the recipe.
"""

import functools
import re
from pathlib import Path

import numpy as np
import pytest
import torch
from _femba_reference import assert_matches_fixture, real_windows, seeded_state

from sklearn_eegfm.models._femba import FEMBA_SIZES, TCP_DERIVATIONS
from sklearn_eegfm.models._femba_net import FEMBA

HERE = Path(__file__).parent
KEYS = (
    Path(__file__).resolve().parents[2].parent / "shared" / "reference" / "keys" / "FEMBA_keys.txt"
)


@functools.lru_cache(maxsize=1)
def _parse_keys():
    return _read_sections()


def authors_keys():
    if not KEYS.is_file():
        pytest.skip(f"reference key list not found at {KEYS}")
    return _parse_keys()


def _read_sections():
    """``{(size, num_classes): {key: shape}}`` from the key list of the authors' classes."""
    sections, current = {}, None
    for line in KEYS.read_text().splitlines():
        head = re.match(r"## FEMBA_(\w+) .*num_classes=(\d+)", line)
        if head:
            current = sections.setdefault((head[1], int(head[2])), {})
        elif current is not None and "\t" in line:
            key, shape = line.split("\t")
            current[key] = tuple(int(s) for s in shape.strip("()").split(",") if s.strip())
    return sections


@pytest.mark.parametrize("size", ["tiny", "base", "large", "huge"])
def test_encoder_keys_and_shapes_are_the_authors(size):
    authors = authors_keys()[(size, 0)]
    encoder = {k: v for k, v in authors.items() if not k.startswith("decoder.")}
    blocks, embed = FEMBA_SIZES[size]
    with torch.device("meta"):
        net = FEMBA(embed_dim=embed, num_blocks=blocks)
    ours = {k: tuple(v.shape) for k, v in net.state_dict().items()}
    assert ours == encoder


@pytest.mark.slow
@pytest.mark.real_data
def test_encoder_matches_the_authors_class_on_real_windows():
    ref = np.load(HERE / "reference" / "femba_tiny.npz")
    shared = Path(__file__).resolve().parents[2].parent / "shared" / "data"
    if not (shared / "eegmmidb").is_dir():
        pytest.skip(f"real data not found at {shared}")
    net = FEMBA(embed_dim=35, num_blocks=2).eval()
    shapes = authors_keys()[("tiny", 0)]
    state = {k: torch.as_tensor(v) for k, v in seeded_state(shapes).items()}
    encoder = {k: v for k, v in state.items() if not k.startswith("decoder.")}
    net.load_state_dict(encoder, strict=True)
    with torch.no_grad():
        z = net(torch.as_tensor(real_windows(shared))).numpy()
    assert_matches_fixture(z, ref)


def test_derivation_order_is_tuh_tcp():
    assert len(TCP_DERIVATIONS) == 22
    assert TCP_DERIVATIONS[:4] == ("FP1-F7", "F7-T3", "T3-T5", "T5-O1")
    assert TCP_DERIVATIONS[-2:] == ("A1-T3", "T4-A2")


def _authors_file(tmp_path, head):
    """A FEMBA-tiny checkpoint in one of the authors' layouts, seeded weights, safetensors."""
    from safetensors.torch import save_file

    sections = authors_keys()
    shapes = dict(sections[("tiny", 2 if head == "mamba" else 0)])
    if head == "encoder":
        shapes = {k: v for k, v in shapes.items() if not k.startswith("decoder.")}
    elif head == "linear":
        shapes = {k: v for k, v in shapes.items() if not k.startswith("decoder.")}
        shapes.update({"classifier.weight": (2, 385), "classifier.bias": (2,)})
    state = {k: torch.as_tensor(v) for k, v in seeded_state(shapes).items()}
    path = tmp_path / "FEMBA_tiny.safetensors"
    save_file(state, str(path))
    return path, state


@pytest.fixture(scope="module")
def mmi_4(eegmmidb_epochs):
    return eegmmidb_epochs[:4]


@pytest.mark.slow
@pytest.mark.real_data
@pytest.mark.parametrize(
    ("head", "layout"),
    [
        ("encoder", "authors' encoder only"),
        ("decoder", "authors' pretraining (encoder + Decoder)"),
        ("mamba", "authors' fine-tuned (MambaClassifier head)"),
        ("linear", "fine-tuned with another classifier.* head (e.g. linear)"),
    ],
)
def test_authors_checkpoints_load_strictly_and_name_their_layout(head, layout, tmp_path, mmi_4):
    from sklearn_eegfm import FMEmbedder

    path, state = _authors_file(tmp_path, head)
    emb = FMEmbedder("femba_tiny", weights=path, channel_policy="interpolate", cache=None)
    emb.fit(mmi_4)
    assert f"weights: {layout} checkpoint layout" in emb.contract_report_["steps"]
    assert emb.contract_report_["weights_licence"] == "CC BY-ND 4.0"
    own = emb.model_.state_dict()
    key = "mamba_blocks.1.mamba_rev.x_proj.weight"
    torch.testing.assert_close(own[key], state[key])
    # 4-s epochs at 256 Hz: 64 tokens, the first 64 of the file's 80 positions
    torch.testing.assert_close(own["pos_embed"], state["pos_embed"][:, :64])


@pytest.mark.real_data
def test_checkpoint_missing_a_mamba_key_is_refused(tmp_path, mmi_4):
    from safetensors.torch import save_file

    from sklearn_eegfm import FMEmbedder
    from sklearn_eegfm._checkpoints import CheckpointError

    path, state = _authors_file(tmp_path, "encoder")
    del state["mamba_blocks.0.mamba_fwd.A_log"]
    save_file(state, str(path))
    emb = FMEmbedder("femba_tiny", weights=path, channel_policy="interpolate", cache=None)
    with pytest.raises(CheckpointError, match="mamba_blocks.0.mamba_fwd.A_log"):
        emb.fit(mmi_4)


@pytest.mark.real_data
def test_ear_derivations_are_refused_unless_interpolation_is_asked(mmi_4):
    from sklearn_eegfm import FMEmbedder

    with pytest.raises(ValueError, match=r"\['A1', 'A2'\].*channel_policy='interpolate'"):
        FMEmbedder("femba_tiny", weights=None).fit(mmi_4)


@pytest.mark.parametrize(
    ("name", "model", "kind"),
    [
        ("fm-femba_tiny", "femba_tiny", "LinearProbe"),
        ("ft-femba_tiny-lora", "femba_tiny", "FMClassifier"),
        ("fm-lumamba", "lumamba", "LinearProbe"),
        ("ft-lumamba-lora", "lumamba", "FMClassifier"),
    ],
)
def test_pipeline_names_of_compare_and_the_cli(name, model, kind):
    from sklearn_eegfm.evaluation.pipelines import make_named_pipeline, pipeline_model

    pipe = make_named_pipeline(name, weights=None)
    assert pipeline_model(name) == model
    steps = pipe.steps if hasattr(pipe, "steps") else [(None, pipe)]
    est = next(s for _, s in steps if type(s).__name__ == kind)
    assert est.model == model
    if kind == "FMClassifier":
        assert est.finetune == "lora"
