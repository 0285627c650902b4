"""Pretraining fidelity: each contract feeds the network what its authors trained it on.

One test per finding of issue 10; each failed on the contracts before the fix. The
authors' files and lines are cited in each model's module of ``models/zoo/``.
"""

import json

import numpy as np
import pytest
import torch

from sklearn_eegfm import FMEmbedder, list_models
from sklearn_eegfm.models import get_contract

pytestmark = pytest.mark.filterwarnings("ignore::sklearn_eegfm.RandomWeightsWarning")
TEN_TWENTY = "Fp1 Fp2 F7 F3 Fz F4 F8 T7 C3 Cz C4 T8 P7 P3 Pz P4 P8 O1 O2".split()


@pytest.fixture(scope="module")
def epochs_1020():
    import mne

    rng = np.random.default_rng(0)
    info = mne.create_info(TEN_TWENTY, 256.0, "eeg")
    data = rng.standard_normal((2, 19, 1024)) * 20e-6 + 30e-6  # an offset common to all
    return mne.EpochsArray(data, info, verbose=False).set_montage("standard_1005")


def _uv(epochs):
    return (epochs.get_data() * 1e6).astype(np.float32)


@pytest.mark.slow
def test_luna_has_the_authors_two_layernorms(epochs_1020):
    emb = FMEmbedder("luna", weights=None, cache=None).fit(epochs_1020)
    keys = emb.model_.state_dict().keys()
    assert {"channel_location_embedder.norm.weight", "cross_attn.ffn.norm.weight"} <= keys
    # ... and they are part of the forward pass.
    net = emb.backbone_.new_network().eval()
    x = emb.backbone_.prepare(_uv(epochs_1020))
    before = emb.backbone_.embed(x, net)
    with torch.no_grad():
        net.cross_attn.ffn.norm.weight.mul_(3.0)
    assert not torch.allclose(before, emb.backbone_.embed(x, net))
    assert get_contract("luna").hub_repo == "PulpBio/LUNA"  # renamed from thorir/LUNA


@pytest.mark.slow
def test_eegpt_patches_do_not_overlap(epochs_1020):
    emb = FMEmbedder("eegpt", weights=None, cache=None).fit(epochs_1020)
    assert get_contract("eegpt").step == 64
    conv = emb.model_.target_encoder.patch_embed.proj
    assert conv.stride[-1] == conv.kernel_size[-1] == 64
    tokens, _ = emb.backbone_.tokens(emb.backbone_.prepare(_uv(epochs_1020)))
    assert tokens.shape[2] == 1024 // 64  # 16 patches in 4 s, not 31


@pytest.mark.slow
def test_cbramod_features_skip_the_reconstruction_head(epochs_1020):
    emb = FMEmbedder("cbramod", weights=None, cache=None).fit(epochs_1020)
    b = emb.backbone_
    net = b.new_network().eval()
    x = b.prepare(_uv(epochs_1020))
    before = b.embed(x, net)
    with torch.no_grad():
        net.proj_out[0].weight.mul_(-2.0)
    torch.testing.assert_close(b.embed(x, net), before)
    with torch.no_grad():
        ref = net.encoder(net.patch_embedding(net.rearrange(x), None)).mean((1, 2))
    torch.testing.assert_close(before, ref)


@pytest.mark.slow
def test_bendr_scale_channel_read_out_and_span(epochs_1020):
    import mne

    emb = FMEmbedder("bendr", weights=None, cache=None).fit(epochs_1020)
    b = emb.backbone_
    data = _uv(epochs_1020)
    x = b.prepare(data)
    # SCALE: the trial's range relative to TUEG's configured range (dn3), about -0.98 here.
    expected = 2 * (np.ptp(data, axis=(1, 2)) / (3276.7 + 1583.9258304722666) - 0.5)
    np.testing.assert_allclose(x[:, -1, 0].numpy(), expected, rtol=1e-4)
    assert (x[:, -1] < -0.9).all()
    # Read-out: the contextualizer's last position, without braindecode's extra LayerNorm.
    net = b.new_network().eval()
    with torch.no_grad():
        ctx = net.contextualizer
        h = ctx.input_conditioning(net.encoder(x) + ctx.relative_position(net.encoder(x)))
        h = torch.cat([torch.full_like(h[:1], -5.0), h])
        for layer in ctx.transformer_layers:
            h = layer(h)
        ref = ctx.output_layer(h.permute(1, 2, 0))[:, :, -1]
    torch.testing.assert_close(b.embed(x, net), ref, rtol=1e-4, atol=1e-5)
    # Span: an extra Deep1010 EEG channel the 19 do not use still sets the min-max range.
    extra = epochs_1020.copy().add_channels(
        [
            mne.EpochsArray(
                np.full((2, 1, 1024), 500e-6),
                mne.create_info(["AF3"], 256.0, "eeg"),
                verbose=False,
            )
        ],
        force_update_info=True,
    )
    x_extra = (
        FMEmbedder("bendr", weights=None, cache=None).fit(extra).backbone_.prepare(_uv(extra))
    )
    assert x_extra[:, :19].max() < x[:, :19].max() - 0.5


def test_eegdino_reorders_into_the_pretraining_order(epochs_1020):
    from sklearn_eegfm.models.zoo.eegdino import EEGDINO_ORDER

    emb = FMEmbedder("eegdino", weights=None, cache=None).fit(epochs_1020)
    assert list(emb.backbone_.model_ch_names) == list(EEGDINO_ORDER)
    assert EEGDINO_ORDER[:4] == ("FP1", "FP2", "F3", "F4")  # CBraMod's TUEG order
    shuffled = epochs_1020.copy().reorder_channels(TEN_TWENTY[::-1])
    z1 = emb.transform(epochs_1020)
    z2 = FMEmbedder("eegdino", weights=None, cache=None).fit(shuffled).transform(shuffled)
    np.testing.assert_allclose(z1, z2, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("given", ["T7", "T3", "P8", "T6"])
def test_labram_uses_the_exact_name_slot(given, epochs_1020):
    renamed = {"T3": {"T7": "T3"}, "T6": {"P8": "T6"}}.get(given, {})
    epochs = epochs_1020.copy().rename_channels(renamed)
    emb = FMEmbedder("labram", weights=None, cache=None).fit(epochs)
    assert given in emb.backbone_.model_ch_names  # its own learned slot, not the alias's


def test_labram_alias_only_when_the_exact_name_is_absent():
    from sklearn_eegfm.models._channels import vocabulary_lookup

    assert vocabulary_lookup(["T7", "T3"])("T3") == "T3"
    assert vocabulary_lookup(["T7", "T3"])("t7") == "T7"
    assert vocabulary_lookup(["T7"])("T3") == "T7"
    assert vocabulary_lookup(["T3"])("T7") == "T3"


def _head_frame(names):
    """Template positions where Epochs hold them (MNE's head frame)."""
    import mne

    from sklearn_eegfm.datasets import standard_montage

    info = mne.create_info(list(names), 100.0, "eeg")
    info.set_montage(standard_montage(), verbose=False)
    return np.array([ch["loc"][:3] for ch in info["chs"]])


@pytest.fixture
def reve_home(tmp_path, monkeypatch):
    """A REVE position bank in its own frame (millimetres, rotated), lacking Oz."""
    names = "Fp1 Fp2 F3 F4 C3 C4 P3 P4 O1 O2 Fz Cz Pz T7 T8".split()
    theta = np.deg2rad(30)
    rot = np.array(
        [[np.cos(theta), -np.sin(theta), 0], [np.sin(theta), np.cos(theta), 0], [0, 0, 1]]
    )
    bank = {n: (1000 * _head_frame([n])[0] @ rot.T + [1, 2, 3]).tolist() for n in names}
    folder = tmp_path / "home" / "brain-bzh" / "reve-positions"
    folder.mkdir(parents=True)
    (folder / "positions.json").write_text(json.dumps(bank))
    monkeypatch.setenv("SKLEARN_EEGFM_HOME", str(tmp_path / "home"))
    return bank


def test_reve_reads_positions_from_its_bank(reve_home, make_epochs):
    epochs = make_epochs(n_epochs=2, ch_names=("Fz", "Cz", "Pz", "Oz"), n_times=512)
    emb = FMEmbedder("reve", weights=None, cache=None).fit(epochs)
    pos = emb.backbone_.positions
    np.testing.assert_allclose(pos[:3], [reve_home[n] for n in ("Fz", "Cz", "Pz")])
    # Oz is not in the bank: its montage position, carried into the bank's frame.
    theta = np.deg2rad(30)
    rot = np.array(
        [[np.cos(theta), -np.sin(theta), 0], [np.sin(theta), np.cos(theta), 0], [0, 0, 1]]
    )
    expected = 1000 * _head_frame(["Oz"])[0] @ rot.T + [1, 2, 3]
    np.testing.assert_allclose(pos[3], expected, atol=1e-3)
    assert any("['Oz'] from the montage" in s for s in emb.contract_report_["steps"])


def test_reve_channel_in_neither_bank_nor_montage_is_named(reve_home, make_epochs):
    epochs = make_epochs(
        n_epochs=2, ch_names=("Fz", "Cz", "Pz", "XYZ1"), n_times=512, montage=False
    )
    with pytest.raises(ValueError, match=r"REVE knows no position for \['XYZ1'\]"):
        FMEmbedder("reve", weights=None, cache=None).fit(epochs)


def test_reve_without_its_bank_uses_the_template_it_holds(tmp_path, monkeypatch, make_epochs):
    """The published bank is MNE's standard_1005 in the montage file's own frame (to 4e-9 m
    for its 166 template names): without the file, that template stands in, not the head
    frame the Epochs carry (centimetres away)."""
    from sklearn_eegfm.datasets import standard_montage

    monkeypatch.setenv("SKLEARN_EEGFM_HOME", str(tmp_path / "empty"))
    names = ("Fz", "Cz", "Pz", "TP9")
    emb = FMEmbedder("reve", weights=None, cache=None)
    with pytest.warns(match="RANDOM"):
        emb.fit(make_epochs(n_epochs=2, ch_names=names, n_times=512))
    template = standard_montage().get_positions()["ch_pos"]
    # Bank values copied from brain-bzh/reve-positions positions.json for Cz and TP9.
    np.testing.assert_allclose(template["Cz"], [0.0004009, -0.009167, 0.100244], atol=1e-6)
    np.testing.assert_allclose(template["TP9"], [-0.0856192, -0.0465147, -0.045707], atol=1e-6)
    np.testing.assert_allclose(emb.backbone_.positions, [template[n] for n in names], atol=1e-9)
    assert np.abs(emb.backbone_.positions - _head_frame(list(names))).max() > 0.01
    assert any("stand-in" in s for s in emb.contract_report_["steps"])


@pytest.mark.parametrize("name", ["eegpt", "signaljepa"])
def test_average_reference_is_a_recorded_contract_step(name, epochs_1020):
    assert get_contract(name).rereference == "average"
    emb = FMEmbedder(name, weights=None, cache=None).fit(epochs_1020)
    assert any(
        s.startswith("re-referenced: common average") for s in emb.contract_report_["steps"]
    )
    x = emb.backbone_.prepare(_uv(epochs_1020)).numpy()
    assert np.abs(x.mean(axis=1)).max() < 1e-3 * np.abs(x).max()  # the 30 uV offset is gone


def test_licences_follow_the_repositories():
    assert get_contract("eegpt").licence == "Apache-2.0"
    assert "no licence" in get_contract("bendr").licence
    assert "Apache" not in get_contract("bendr").licence


@pytest.mark.slow
def test_probe_pooling_follows_the_authors(epochs_1020):
    assert get_contract("eegpt").pooling == "flatten"
    emb = FMEmbedder("eegpt", weights=None, cache=None).fit(epochs_1020)
    assert emb.n_features_out_ == 16 * 2048  # per-patch summaries, flattened
    st = FMEmbedder("steegformer", weights=None, cache=None).fit(epochs_1020)
    b = st.backbone_
    x = b.prepare(_uv(epochs_1020))
    seen = {}
    hook = st.model_.norm.register_forward_hook(lambda m, i, o: seen.setdefault("x", i[0]))
    with torch.no_grad():
        st.model_(x, return_features=True)
    hook.remove()
    torch.testing.assert_close(b.embed(x), seen["x"][:, 1:].mean(1))


def test_list_models_reports_fidelity():
    table = list_models()
    assert {"fidelity", "rereference"} <= set(table.columns)
    row = table.set_index("name").loc["eegpt"]
    assert "fixed" in row["fidelity"] and row["rereference"] == "average"
    assert all(get_contract(n).fidelity for n in table["name"])


def test_docs_table_is_generated_from_the_records():
    from pathlib import Path

    from sklearn_eegfm.models._registry import fidelity_rst

    doc = Path(__file__).parents[2] / "doc" / "guide" / "contracts.rst"
    assert fidelity_rst() in doc.read_text()


def test_template_positions_are_in_the_head_frame_like_epochs():
    """Template fill-ins and interpolation targets share the Epochs' (head) frame."""
    import mne

    from sklearn_eegfm.datasets import standard_montage
    from sklearn_eegfm.models._channels import standard_positions

    info = mne.create_info(["Oz", "Fz", "T7"], 100.0, "eeg")
    info.set_montage(standard_montage(), verbose=False)
    head = np.array([ch["loc"][:3] for ch in info["chs"]])
    np.testing.assert_allclose(standard_positions(["Oz", "Fz", "T7"]), head, atol=1e-9)


def test_labram_mean_read_out_is_the_authors_fc_norm(make_epochs):
    """Fine-tuning drops the pretrained norm and applies a fresh fc_norm to the mean."""
    epochs = make_epochs(n_epochs=2, ch_names=("Fz", "Cz", "Pz", "T7"), n_times=512)
    emb = FMEmbedder("labram", weights=None, cache=None).fit(epochs)
    b = emb.backbone_
    net = b.new_network().eval()
    x = b.prepare(_uv(epochs))
    before = b.embed(x, net)
    blocks_out = {}
    hook = net.blocks[-1].register_forward_hook(lambda m, i, o: blocks_out.setdefault("x", o))
    with torch.no_grad():
        net(x, return_features=True, ch_names=list(b.model_ch_names))
    hook.remove()
    ref = torch.nn.functional.layer_norm(blocks_out["x"][:, 1:].mean(1), (200,), eps=1e-6)
    torch.testing.assert_close(before, ref, rtol=1e-5, atol=1e-5)
    # The pretrained final norm is not part of the mean read-out ...
    cls = FMEmbedder("labram", weights=None, pooling="cls", cache=None).fit(epochs).backbone_
    cls_before = cls.embed(x, net)
    with torch.no_grad():
        net.norm.weight.mul_(3.0)
        net.norm.bias.add_(0.5)
    torch.testing.assert_close(b.embed(x, net), before)
    # ... but the CLS read-out keeps it (the authors' --use_cls).
    assert not torch.allclose(cls.embed(x, net), cls_before)


def test_bendr_slots_follow_tueg_names(make_epochs):
    """P7/P8 (or T5/T6) fill the T5/T6 slots TUEG trained; T3/T4 go to T7/T8."""
    names = "Fp1 Fp2 F7 F3 Fz F4 F8 T3 C3 Cz C4 T4 P7 P3 Pz P4 P8 O1 O2".split()
    emb = FMEmbedder("bendr", weights=None, cache=None).fit(
        make_epochs(n_epochs=2, ch_names=names, n_times=768)
    )
    order = list(emb.backbone_.model_ch_names)
    assert order[7] == "T7" and order[11] == "T8" and order[12] == "T5" and order[16] == "T6"
    m = emb.backbone_.mapping.matrix
    assert m[12, names.index("P7")] == 1 and m[16, names.index("P8")] == 1
    assert m[7, names.index("T3")] == 1 and m[11, names.index("T4")] == 1


def test_luna_places_derivations_at_their_midpoint(make_epochs):
    """BioFoundation channel_embeddings.py:115-120; MNE puts a derivation at its anode."""
    import mne

    from sklearn_eegfm.models._channels import standard_positions

    epochs = make_epochs(n_epochs=2, ch_names=("Fp1", "F7", "T7", "P7", "Cz"), n_times=512)
    bip = mne.set_bipolar_reference(
        epochs, ["Fp1", "F7", "T7"], ["F7", "T7", "P7"], verbose=False
    ).rename_channels({"T7-P7": "T3-T5"})  # TUEG's spelling
    emb = FMEmbedder("luna", weights=None, cache=None).fit(bip)
    pos = dict(zip(emb.backbone_.model_ch_names, emb.backbone_.positions))
    for name, (a, b) in {"Fp1-F7": ("Fp1", "F7"), "T3-T5": ("T7", "P7")}.items():
        np.testing.assert_allclose(pos[name], standard_positions([a, b]).mean(0), atol=1e-9)
    np.testing.assert_allclose(pos["Cz"], standard_positions(["Cz"])[0], atol=1e-9)
    assert any("midpoint" in s for s in emb.contract_report_["steps"])


def test_luna_z_score_is_the_authors(make_epochs):
    """tasks/pretrain_task_LUNA.py:30-39: torch's unbiased std, eps 1e-8."""
    epochs = make_epochs(n_epochs=2, ch_names=("Fz", "Cz", "Pz"), n_times=512)
    emb = FMEmbedder("luna", weights=None, cache=None).fit(epochs)
    x = emb.backbone_.prepare(_uv(epochs))
    assert torch.allclose(x.std(dim=-1), torch.ones(2, 3), atol=1e-5)  # ddof=1, as torch


def test_luna_weights_are_found_under_either_repository_name(tmp_path, monkeypatch):
    from sklearn_eegfm.models._weights import find_cached

    contract = get_contract("luna")
    assert contract.hub_repo == "PulpBio/LUNA" and "thorir/LUNA" in contract.hub_mirrors
    monkeypatch.setenv("SKLEARN_EEGFM_HOME", str(tmp_path))
    assert find_cached(contract) is None
    # The authors' README: snapshot_download("thorir/LUNA") with a Base/ folder.
    old = tmp_path / "models--thorir--LUNA" / "snapshots" / "abc" / "Base"
    old.mkdir(parents=True)
    (old / "LUNA_base.safetensors").write_bytes(b"x")
    (tmp_path / "models--thorir--LUNA" / "refs").mkdir()
    (tmp_path / "models--thorir--LUNA" / "refs" / "main").write_text("abc")
    assert find_cached(contract) == old / "LUNA_base.safetensors"
    # The current name, at the root (braindecode's from_pretrained), comes first.
    new = tmp_path / "PulpBio" / "LUNA"
    new.mkdir(parents=True)
    (new / "LUNA_base.safetensors").write_bytes(b"x")
    assert find_cached(contract) == new / "LUNA_base.safetensors"


def test_luna_download_falls_back_to_the_former_repository_name(tmp_path, monkeypatch):
    hub = pytest.importorskip("huggingface_hub")
    from sklearn_eegfm.models import download

    monkeypatch.setenv("SKLEARN_EEGFM_HOME", str(tmp_path))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")  # no probe; the client below is faked
    calls = []

    def fake_download(repo_id, filename, cache_dir):
        calls.append((repo_id, filename))
        if repo_id == "PulpBio/LUNA":  # as if the hub did not know the new name
            missing = hub.errors.RepositoryNotFoundError.__new__(
                hub.errors.RepositoryNotFoundError
            )
            Exception.__init__(missing, "404")
            raise missing
        if filename != "Base/LUNA_base.safetensors":
            raise hub.errors.EntryNotFoundError("404")
        out = tmp_path / "LUNA_base.safetensors"
        out.write_bytes(b"x")
        return str(out)

    monkeypatch.setattr(hub, "hf_hub_download", fake_download)
    assert download("luna") == tmp_path / "LUNA_base.safetensors"
    assert calls == [
        ("PulpBio/LUNA", "LUNA_base.safetensors"),
        ("PulpBio/LUNA", "Base/LUNA_base.safetensors"),
        ("thorir/LUNA", "LUNA_base.safetensors"),
        ("thorir/LUNA", "Base/LUNA_base.safetensors"),
    ]


def test_steegformer_keeps_to_the_authors_temporal_table():
    """The authors' encoder indexes a 512-row table with patches 1..Seq: 511 patches at most."""
    import mne

    info = mne.create_info(["Cz"], 128.0, "eeg")
    data = np.random.default_rng(0).standard_normal((1, 1, 128 * 70)) * 20e-6
    long = mne.EpochsArray(data, info, verbose=False)
    emb = FMEmbedder("steegformer", weights=None, cache=None).fit(long)
    assert emb.backbone_.n_times == 16 * 511
    assert any(s.startswith("cropped: 8960 -> 8176") for s in emb.contract_report_["steps"])


def test_every_record_has_a_known_status_and_a_source():
    from sklearn_eegfm.models._contract import STATUSES
    from sklearn_eegfm.models._registry import fidelity_rows

    rows = fidelity_rows()
    assert {r["status"] for r in rows} <= set(STATUSES)
    assert all(r["source"] and r["note"] for r in rows)
    # A deliberate deviation says how to get the authors' behaviour, or why one cannot.
    deviations = [r for r in rows if r["status"] == "deviates"]
    assert {r["model"] for r in deviations} >= {"cbramod", "luna"}
