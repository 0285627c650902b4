"""LuMamba: the package's LUNA front-end + Mamba blocks against the authors' LuMamba class.

``reference/lumamba.npz`` holds the authors' ``LuMamba.encode`` output (BioFoundation
models/LuMamba.py @ 690bd65 on LUNA.py / FEMBA.py @ 1923999, mamba_ssm's selective_scan_ref)
for seeded weights on real EEGMMIDB windows; ``reference/lumamba.md`` is the recipe.
"""

import json
from pathlib import Path

import numpy as np
import pytest
import torch
from _femba_reference import (
    MONOPOLAR,
    assert_matches_fixture,
    real_monopolar_windows,
    seeded_state,
)

# braindecode's LUNA warns at construction (torch's nested-tensor note); FMEmbedder filters it
pytestmark = pytest.mark.filterwarnings("ignore:enable_nested_tensor:UserWarning")
HERE = Path(__file__).parent
SHARED = Path(__file__).resolve().parents[2].parent / "shared" / "data"


def _network(positions, n_times=1280):
    from sklearn_eegfm.models._lumamba_net import LuMamba

    chs = [
        {"ch_name": n, "kind": "eeg", "loc": np.r_[p, np.zeros(9)]}
        for n, p in zip(MONOPOLAR, positions)
    ]
    return LuMamba(chs, n_times)


@pytest.mark.slow
@pytest.mark.real_data
def test_encoder_matches_the_authors_class_on_real_windows():
    from sklearn_eegfm._checkpoints import load_checked
    from sklearn_eegfm.models import CONTRACTS

    if not (SHARED / "eegmmidb").is_dir():
        pytest.skip(f"real data not found at {SHARED}")
    x, positions = real_monopolar_windows(SHARED)
    shapes = json.loads((HERE / "manifests" / "lumamba.json").read_text())["parameters"]
    state = {k: torch.as_tensor(v) for k, v in seeded_state(shapes).items()}
    net = _network(positions).eval()
    # the authors' keys, through the package's loader (braindecode's renames of LUNA's keys)
    contract = CONTRACTS["lumamba"]
    load_checked(net, state, ignore=contract.head_keys, layouts=contract.checkpoint_layouts)
    assert net.weights_layout.startswith("authors' (LuMamba")
    with torch.no_grad():
        z = net(torch.as_tensor(x)).numpy()
    ref = np.load(HERE / "reference" / "lumamba.npz")
    assert_matches_fixture(z, ref)


def test_front_end_is_the_packages_luna_not_a_copy():
    net = _network(np.eye(3)[np.arange(19) % 3] * 0.08, n_times=400)
    (front,) = net._front
    assert type(front).__name__ == "LUNA" and type(front).__module__.startswith("braindecode")
    assert net.cross_attn is front.cross_attn and net.mask_token is front.mask_token
    keys = {k.split(".")[0] for k in net.state_dict()}
    assert keys == {"patch_embed", "freq_embed", "channel_location_embedder", "cross_attn",
                    "mask_token", "mamba_blocks", "norm_layers"}  # fmt: skip
