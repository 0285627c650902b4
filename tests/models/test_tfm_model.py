"""FMEmbedder("tfm"): TFM-Tokenizer's codes read by its downstream encoder, on real data."""

import shutil
import warnings
from pathlib import Path

import numpy as np
import pytest
import torch

from sklearn_eegfm import FMClassifier, FMEmbedder, LinearProbe, get_contract
from sklearn_eegfm._checkpoints import WeightsNotFoundError
from sklearn_eegfm._nets.tfm import ENCODER_RELEASES, TFMTokenizerNet, percentile_scale

REF = Path(__file__).parent / "reference"
# The 16 EEGMMIDB channels the reference fixture read, in this order (see reference/).
CH16 = "Fp1 Fp2 F7 F3 Fz F4 F8 T7 C3 Cz C4 T8 P7 P3 P4 P8".split()
DERIVATIONS = [f"{a}-{b}" for a, b in get_contract("tfm").bipolar]


@pytest.fixture(scope="module")
def tuev_folder(tmp_path_factory, tfm_tuev_checkpoint, seeded_state):
    """The real TUEV encoder beside a seeded tokenizer in the authors' layout."""
    folder = tmp_path_factory.mktemp("tfm")
    shutil.copy(tfm_tuev_checkpoint, folder / "tfm_encoder_best_model.pth")
    torch.save(seeded_state(TFMTokenizerNet()), folder / "tfm_tokenizer_last.pth")
    return folder


@pytest.mark.real_data
def test_real_tuev_encoder_matches_authors_forward(tuev_folder, eegmmidb_dir):
    import mne
    from scipy.signal import resample

    # The fixture's input, prepared as the authors' loader does (reference/README.md).
    raw = mne.io.read_raw_edf(eegmmidb_dir / "S001R04.edf", preload=True, verbose=False)
    mne.datasets.eegbci.standardize(raw)
    events, _ = mne.events_from_annotations(raw, event_id=dict(T1=1, T2=2), verbose=False)
    ep = mne.Epochs(raw, events, tmin=0.0, tmax=5 - 1 / 160, baseline=None, verbose=False)
    x = percentile_scale(resample(ep[:2].get_data(picks=CH16, units="uV"), 1000, axis=-1))
    # Named as derivations, the 16 rows are taken as given, in the TCP slot order.
    names = DERIVATIONS
    ref = np.load(REF / "tfm_encoder_tuev.npz")
    for pooling, key in (("cls", "cls"), ("mean", "token_mean")):
        emb = FMEmbedder(
            "tfm", weights=tuev_folder / "tfm_encoder_best_model.pth", pooling=pooling,
            sfreq=200.0, ch_names=names, units="uV", cache=None,
        )  # fmt: skip
        np.testing.assert_allclose(emb.fit(x).transform(x), ref[key], atol=1e-5)
    assert emb.weights_sha256_ == ENCODER_RELEASES["tuev"]["sha256"]
    assert emb.contract_report_["weights_licence"] == "MIT" and emb.pretrained_
    assert any("tokenizer: " in s for s in emb.contract_report_["steps"])


def test_encoder_without_its_tokenizer_is_refused(tmp_path, tfm_tuev_checkpoint, make_epochs):
    shutil.copy(tfm_tuev_checkpoint, tmp_path / "tfm_encoder_best_model.pth")
    names = "Fp1 Fp2 F7 F3 F4 F8 T7 C3 C4 T8 P7 P3 P4 P8 O1 O2".split()
    epochs = make_epochs(n_epochs=2, ch_names=names, sfreq=200.0, n_times=400)
    emb = FMEmbedder("tfm", weights=tmp_path / "tfm_encoder_best_model.pth")
    with pytest.raises(WeightsNotFoundError, match="tfm_tokenizer_last.pth"):
        emb.fit(epochs)


@pytest.mark.real_data
@pytest.mark.slow
def test_probe_and_finetune_on_p300(p300_long):
    ep = p300_long[:12]
    y = ep.metadata["target"].to_numpy()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        probe = LinearProbe("tfm", weights=None, channel_policy="interpolate").fit(ep, y)
        assert probe.predict_proba(ep).shape == (12, 2)
        ft = FMClassifier(
            "tfm", weights=None, finetune="full", max_epochs=1, channel_policy="interpolate"
        ).fit(ep, y)
    assert ft.predict(ep).shape == (12,)
    assert ft.contract_report_["model_input"].startswith("16 channels")


def test_authors_layout_from_manifest_loads_strictly(tmp_path, seeded_state, make_epochs):
    import json

    manifest = json.loads((Path(__file__).parent / "manifests" / "tfm.json").read_text())
    gen = torch.Generator().manual_seed(0)
    state = {k: torch.randn(s, generator=gen) * 0.02 for k, s in manifest["parameters"].items()}
    state["index"] = torch.arange(16)
    torch.save(state, tmp_path / "tfm_encoder_best_model.pth")
    torch.save(seeded_state(TFMTokenizerNet()), tmp_path / "tfm_tokenizer_last.pth")
    names = [f"{a}-{b}" for a, b in get_contract("tfm").bipolar]
    epochs = make_epochs(n_epochs=2, ch_names=names, sfreq=200.0, n_times=400, montage=False)
    emb = FMEmbedder("tfm", weights=tmp_path / "tfm_encoder_best_model.pth", cache=None)
    emb.fit(epochs)
    steps = emb.contract_report_["steps"]
    assert any(s.startswith("weights: authors'") for s in steps), steps
    loaded = emb.model_.LAT.layers.layers[3][1].fn.fn.w2.bias
    torch.testing.assert_close(loaded, state["LAT.layers.layers.3.1.fn.fn.w2.bias"])
    assert emb.transform(epochs).shape == (2, 64)
    state.pop("cls_token")
    torch.save(state, tmp_path / "tfm_encoder_best_model.pth")
    from sklearn_eegfm._checkpoints import CheckpointError

    with pytest.raises(CheckpointError, match="cls_token"):
        FMEmbedder("tfm", weights=tmp_path / "tfm_encoder_best_model.pth", cache=None).fit(epochs)
