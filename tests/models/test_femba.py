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

from sklearn_eegfm.models._femba import FEMBA_SIZES, TCP_DERIVATIONS
from sklearn_eegfm.models._femba_net import FEMBA

from _femba_reference import real_windows, seeded_state

HERE = Path(__file__).parent
KEYS = Path(__file__).resolve().parents[2].parent / "shared" / "reference" / "keys" / "FEMBA_keys.txt"


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
    for ours, theirs in [(z.mean(1), ref["tokens_mean"]), (z[:, [0, -1]], ref["tokens_first_last"])]:
        err = np.abs(ours - theirs).max() / np.abs(theirs).max()
        assert err <= 1e-5, err


def test_derivation_order_is_tuh_tcp():
    assert len(TCP_DERIVATIONS) == 22
    assert TCP_DERIVATIONS[:4] == ("FP1-F7", "F7-T3", "T3-T5", "T5-O1")
    assert TCP_DERIVATIONS[-2:] == ("A1-T3", "T4-A2")
