"""Every model held to its authors' own code (reference fixtures made outside the repository).

``reference/<model>.npz`` holds outputs of the authors' code (or, where it is not public,
of the best public source, which ``reference/<model>.md`` names) for real EEGMMIDB epochs
(S001R04, three T1/T2 trials), with weights filled by :func:`seeded_state`. The test
rebuilds those weights, saves them in the authors' checkpoint layout and checks two things:

- the network and read-out, fed the authors' prepared input stored in the fixture;
- the whole path from the raw recording through the package's preparation: exact where
  the authors prepare each epoch (EEGPT, ST-EEGFormer, BENDR) or where the recording is
  prepared with :func:`~sklearn_eegfm.models.apply_recipe` (the authors' resampling of the
  continuous recording), and within a measured bound when epochs at 160 Hz are resampled
  one by one.
"""

import json
import math
from pathlib import Path

import numpy as np
import pytest
import torch

from sklearn_eegfm import FMEmbedder, apply_recipe
from sklearn_eegfm.models import get_contract
from sklearn_eegfm.models._registry import CONTRACTS

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")

REF = Path(__file__).parent / "reference"
MANIFESTS = Path(__file__).parent / "manifests"
EDF = "S001R04.edf"
NETWORK_RTOL = 1e-5  # network and read-out on the authors' prepared input
EXACT_RTOL = 1e-5  # same preparation as the authors
# Per-epoch resampling of 160-Hz epochs against the authors' resampled recording
# (relative L2 of the features), measured on these fixtures; the goal is 0.5 %.
# The contracts resample epochs on the exact grid ("fft-grid"): MNE's per-epoch padding
# rounds S-JEPA's 1024 samples to 819 at 128 Hz (not 819.2), 3.0 % instead of 0.5 %.
PER_EPOCH_RTOL = {
    "cbramod": 5e-3,
    "labram": 5e-3,
    "biot": 5e-3,
    "reve": 5e-3,
    "codebrain": 5e-3,
    "eegdino": 5e-3,
    # The authors' raw.resample rounds the padded recording's new length, a fraction of a
    # sample off the exact grid (LUNA's band reaches 75 Hz): resampling the whole recording
    # on the exact grid is 2.0 % from them as well (reference/luna.md). A deviation.
    "luna": 2.5e-2,
    "signaljepa": 5e-3,
}

# How each authors' checkpoint is saved, and what is not drawn by the seeded rule:
# integer tables and non-learned buffers keep the values the authors' class builds.
CHECKPOINTS = {
    "cbramod": {"file": "pretrained_weights.pth"},
    "labram": {"file": "labram-base.pth", "wrap": "model"},
    "biot": {"file": "EEG-PREST-16-channels.ckpt", "as_built": {"index": "arange"}},
    "eegpt": {"file": "eegpt_mcae_58chs_4s_large4E.ckpt", "wrap": "state_dict"},
    "luna": {"file": "LUNA_base.safetensors"},
    "bendr": {"file": "bendr.pt"},
    "reve": {"file": "reve_base.pth", "wrap": "model"},
    "steegformer": {"file": "checkpoint-200.pth", "wrap": "model"},
    "codebrain": {
        "file": "CodeBrain.pth",
        "as_built": {".multiplier": 2.0, ".kernel_norm": 1.0, ".kernel_norm_initialized": False},
    },
    "signaljepa": {"file": "model.safetensors"},
    "eegdino": {"file": "model.safetensors", "keys": "eegdino_keys.json"},
}
# Channel names of the stored network input where the fixture does not carry them.
NETWORK_CHANNELS = {
    "cbramod": [f"E{i}" for i in range(8)],
    "codebrain": [f"E{i}" for i in range(8)],
    "biot": "FP1-F7 F7-T7 T7-P7 P7-O1 FP2-F8 F8-T8 T8-P8 P8-O2 FP1-F3 F3-C3 C3-P3 P3-O1 "
    "FP2-F4 F4-C4 C4-P4 P4-O2".split(),
    "bendr": "Fp1 Fp2 F7 F3 Fz F4 F8 T7 C3 Cz C4 T8 P7 P3 Pz P4 P8 O1 O2".split(),
    "eegdino": "Fp1 Fp2 F3 F4 C3 C4 P3 P4 O1 O2 F7 F8 T7 T8 P7 P8 Fz Cz Pz".split(),
}
# Epoch length (s) of the whole path; 4 s unless the authors' configuration says otherwise.
EPOCH_SECONDS = {"bendr": 6.0}
MODELS = sorted(CHECKPOINTS)
SLOW = {"bendr", "eegpt", "reve", "steegformer"}  # over 3 s each (BENDR: a 630-MB file)
# Open discrepancies, each with its measured size; strict, so a fix is noticed.
KNOWN = {}
# Held in float64 against the authors' code run in float64 (``<prefix>64_mean``): with the
# seeded weights BENDR's features move by 2e-4 when its float32 input is rounded anew and
# the authors' own float32 features are 8e-4 from their float64 ones (0.1 % between a batch
# of three and one trial at a time), so float32 cannot be held to 1e-5 on any machine.
FLOAT64 = {"bendr"}


def _param(name, test=None):
    marks = [pytest.mark.slow] if name in SLOW else []
    if (test, name) in KNOWN:
        marks.append(pytest.mark.xfail(reason=KNOWN[test, name], strict=True))
    return pytest.param(name, marks=marks, id=name)


def seeded_state(shapes):
    """Weights by the fixtures' rule, for the authors' layout ``{key: shape}``.

    The k-th key in sorted order (k from 0) draws from ``torch.Generator().manual_seed(k)``:
    tensors of two or more dimensions ``normal(0, 1 / sqrt(fan_in))`` with ``fan_in =
    prod(shape[1:])``, 1-D tensors whose key ends in ``weight`` (norm scales) ``1 +
    normal(0, 0.02)``, other 1-D tensors ``normal(0, 0.02)``.
    """
    state = {}
    for k, key in enumerate(sorted(shapes)):
        shape = tuple(shapes[key])
        t = torch.randn(shape, generator=torch.Generator().manual_seed(k))
        if len(shape) >= 2:
            t = t / math.sqrt(math.prod(shape[1:]))
        elif key.endswith("weight"):
            t = 1.0 + 0.02 * t
        else:
            t = 0.02 * t
        state[key] = t
    return state


def _state(name):
    spec = CHECKPOINTS[name]
    source = REF / spec["keys"] if "keys" in spec else MANIFESTS / f"{name}.json"
    state = seeded_state(json.loads(source.read_text())["parameters"])
    for suffix, value in spec.get("as_built", {}).items():
        for key in [k for k in state if k == suffix or k.endswith(suffix)]:
            if value == "arange":
                state[key] = torch.arange(state[key].shape[0])
            else:
                dtype = torch.bool if isinstance(value, bool) else state[key].dtype
                state[key] = torch.full(state[key].shape, value, dtype=dtype)
    return state


@pytest.fixture(scope="module")
def checkpoints(tmp_path_factory):
    """``name -> path`` of the seeded checkpoint in the authors' layout, written once."""
    paths = {}

    def get(name):
        if name not in paths:
            from safetensors.torch import save_file

            spec = CHECKPOINTS[name]
            folder = tmp_path_factory.mktemp(name)
            path = folder / spec["file"]
            state = _state(name)
            if path.suffix == ".safetensors":
                save_file({k: v.contiguous() for k, v in state.items()}, str(path))
            else:
                torch.save(state if "wrap" not in spec else {spec["wrap"]: state}, path)
            if name == "steegformer":  # its vocabulary, in the authors' slot order
                (folder / "steegformer_channels.json").write_text(
                    (REF / "steegformer_channels.json").read_text()
                )
            if name == "reve":  # the position bank: MNE's template, as the published one
                _reve_bank(folder / "positions.json")
            paths[name] = path
        return paths[name]

    return get


def _reve_bank(path):
    """REVE's electrode bank, restricted to the names these fixtures use: the authors'
    coordinates (brain-bzh/reve-positions positions.json), stored as numbers."""
    path.write_text((REF / "reve_positions.json").read_text())


def _fixture(name):
    return np.load(REF / f"{name}.npz")


def _relative(out, fx, prefix):
    """Relative L2 error of features against the fixture: the whole vector where it is
    stored (``_mean``), else a strided slice and the vectors' norms (``_flat_*``)."""
    out = np.asarray(out, dtype=np.float64)
    if f"{prefix}_mean" in fx:
        ref = fx[f"{prefix}_mean"]
        return np.linalg.norm(out - ref) / np.linalg.norm(ref)
    ref = fx[f"{prefix}_flat_slice"]
    assert out.shape[1] == int(fx[f"{prefix}_flat_size"])
    got = out[:, :: out.shape[1] // ref.shape[1]]
    err_slice = np.linalg.norm(got - ref) / np.linalg.norm(ref)
    norms = np.linalg.norm(out, axis=1)
    ref_norms = fx[f"{prefix}_flat_norm"]
    return max(err_slice, np.max(np.abs(norms - ref_norms) / ref_norms))


def _pooling(fx, prefix):
    # "_mean" holds the contract's default read-out (REVE's: its query's attention pooling)
    return "auto" if f"{prefix}_mean" in fx else "flatten"


def _epochs(raw, onsets_s, seconds):
    import mne

    sfreq = raw.info["sfreq"]
    start = np.round(onsets_s * sfreq).astype(int) + raw.first_samp
    events = np.c_[start, np.zeros_like(start), np.ones_like(start)]
    return mne.Epochs(
        raw, events, tmin=0, tmax=seconds - 1 / sfreq, baseline=None, preload=True, verbose=False
    )


def _raw(eegmmidb_dir):
    import mne

    raw = mne.io.read_raw_edf(eegmmidb_dir / EDF, preload=True, verbose=False)
    mne.datasets.eegbci.standardize(raw)
    return raw.set_montage("standard_1005", verbose=False)


# Models whose reference fixture is held by a test module of its own (another format:
# a network on the authors' prepared windows, or a real checkpoint's forward).
OWN_REFERENCE_TESTS = {
    "femba_tiny": "test_femba.py",
    "lumamba": "test_lumamba.py",
    "tfm": "test_tfm_encoder.py",
}
# Models without a fixture of their own, and why.
WITHOUT_FIXTURE = {
    "femba_base": "the network code of femba_tiny (its fixture) at 46.6M parameters",
    "femba_large": "the network code of femba_tiny (its fixture) at 77.2M parameters",
}


def test_every_model_has_a_reference_fixture():
    for name, contract in CONTRACTS.items():
        if name in WITHOUT_FIXTURE:
            assert contract.reference_fixture is None, name
            continue
        stem = contract.reference_fixture
        assert stem == name or name in OWN_REFERENCE_TESTS, name
        assert (REF / f"{stem}.npz").is_file(), name
        assert (REF / f"{stem}.md").is_file(), name
        if name in OWN_REFERENCE_TESTS:
            assert (Path(__file__).parent / OWN_REFERENCE_TESTS[name]).is_file(), name
    # a new model gets a fixture here, or names the test module that holds its own
    assert sorted(set(CONTRACTS) - set(OWN_REFERENCE_TESTS) - set(WITHOUT_FIXTURE)) == MODELS


@pytest.mark.parametrize("name", [_param(n) for n in MODELS])
def test_network_matches_authors(name, checkpoints):
    """The network and read-out on the authors' prepared input (stored, float16)."""
    import mne

    fx = _fixture(name)
    x = fx["net_input"].astype(np.float32)
    names = list(fx["net_ch_names"]) if "net_ch_names" in fx else NETWORK_CHANNELS[name]
    info = mne.create_info(names, get_contract(name).sfreq, "eeg")
    # Only the plan is made from these epochs: any EEG-like amplitude will do.
    plan = x[:, : len(names)] / x[:, : len(names)].std() * 20e-6
    epochs = mne.EpochsArray(plan, info, verbose=False)
    epochs.set_montage("standard_1005", match_case=False, on_missing="ignore", verbose=False)
    dtype, prefix = ("float64", "net64") if name in FLOAT64 else ("float32", "net")
    emb = FMEmbedder(
        name, weights=checkpoints(name), pooling=_pooling(fx, prefix), cache=None, dtype=dtype
    )
    emb.fit(epochs)
    with torch.inference_mode():  # as transform runs it (PyTorch's fused attention paths)
        out = emb.backbone_.embed(torch.from_numpy(x.astype(dtype))).numpy()
    assert _relative(out, fx, prefix) <= NETWORK_RTOL


@pytest.mark.slow
def test_eegpt_erp_stride_matches_authors(checkpoints):
    """The authors' ERP probes overlap EEGPT's patches by half (patch_stride=32)."""
    import dataclasses

    import mne

    fx = _fixture("eegpt")
    x = fx["net_input"].astype(np.float32)
    info = mne.create_info(list(fx["net_ch_names"]), 256.0, "eeg")
    erp = dataclasses.replace(get_contract("eegpt"), patch_step=32)
    emb = FMEmbedder(erp, weights=checkpoints("eegpt"), cache=None)
    emb.fit(mne.EpochsArray(x / x.std() * 20e-6, info, verbose=False))
    out = emb.backbone_.embed(torch.from_numpy(x)).numpy()
    assert _relative(out, fx, "net32") <= NETWORK_RTOL


@pytest.mark.real_data
@pytest.mark.parametrize("name", [_param(n, "whole_path") for n in MODELS])
def test_whole_path_matches_authors(name, checkpoints, eegmmidb_dir):
    """From the recording: apply_recipe (with the authors' resampling of the recording
    where they had one), epochs, FMEmbedder's own preparation: the authors' features."""
    fx = _fixture(name)
    raw = apply_recipe(_raw(eegmmidb_dir), name)
    epochs = _epochs(raw, fx["onset_s"], EPOCH_SECONDS.get(name, 4.0))
    dtype, prefix = ("float64", "path64") if name in FLOAT64 else ("float32", "path")
    emb = FMEmbedder(
        name, weights=checkpoints(name), pooling=_pooling(fx, prefix), cache=None, dtype=dtype
    )
    assert _relative(emb.fit_transform(epochs), fx, prefix) <= EXACT_RTOL


@pytest.mark.real_data
@pytest.mark.parametrize("name", [_param(n) for n in sorted(PER_EPOCH_RTOL)])
def test_per_epoch_resampling_stays_close(name, checkpoints, eegmmidb_dir):
    """Epochs at the recording's 160 Hz, resampled one by one as the contract says."""
    fx = _fixture(name)
    raw = apply_recipe(_raw(eegmmidb_dir), name, resample=False)
    assert raw.info["sfreq"] == 160.0
    epochs = _epochs(raw, fx["onset_s"], 4.0)
    emb = FMEmbedder(name, weights=checkpoints(name), pooling=_pooling(fx, "path"), cache=None)
    assert _relative(emb.fit_transform(epochs), fx, "path") <= PER_EPOCH_RTOL[name]
