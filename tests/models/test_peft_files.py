"""FMClassifier.save_peft/load_peft: atomic writes and a manifest that refuses lies."""

import json
import shutil

import numpy as np
import pytest
from safetensors.torch import load_file, save_file
from sklearn.base import clone

from sklearn_eegfm import FMClassifier
from sklearn_eegfm.models._manifest import PEFTFileError, write_manifest

pytestmark = pytest.mark.filterwarnings("ignore::sklearn_eegfm.RandomWeightsWarning")

CH = ["Fz", "Cz", "Pz", "Oz"]


def _data(n_ch=4, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((16, n_ch, 200)) * 20
    X[1::2, 1, 50:150] += 30  # the classes differ, so that the head learns something
    return X, np.tile(["a", "b"], 8)


def _clf(ch_names=CH, **kw):
    params = dict(weights=None, max_epochs=1, rank=2, valid_size=None, sfreq=200.0, units="uV")
    return FMClassifier("cbramod", ch_names=list(ch_names), **{**params, **kw})


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    """A fitted LoRA classifier, its data and its saved folder (never modified)."""
    X, y = _data()
    clf = _clf(random_state=0).fit(X, y)
    folder = clf.save_peft(tmp_path_factory.mktemp("peft") / "lora")
    return clf, X, y, folder


@pytest.fixture
def copy(saved, tmp_path):
    """A copy of the saved folder that a test may tamper with."""
    return shutil.copytree(saved[3], tmp_path / "copy")


def _rewrite_manifest(folder):
    """What a careful forger does: recompute every checksum after the edit."""
    old = json.loads((folder / "manifest.json").read_text())
    (folder / "manifest.json").unlink()
    write_manifest(folder, {k: v for k, v in old.items() if k not in ("files", "format")})


def _edit_json(folder, edit):
    meta = json.loads((folder / "fmclassifier.json").read_text())
    edit(meta)
    (folder / "fmclassifier.json").write_text(json.dumps(meta))


def test_round_trip_gives_the_same_model(saved):
    clf, X, _, folder = saved
    loaded = FMClassifier.load_peft(folder)
    np.testing.assert_array_equal(loaded.predict_proba(X), clf.predict_proba(X))
    manifest = json.loads((folder / "manifest.json").read_text())
    assert set(manifest["files"]) == {f.name for f in folder.iterdir()} - {"manifest.json"}
    assert manifest["classes"] == ["a", "b"] and manifest["backbone"]["model"] == "cbramod"
    assert manifest["backbone"]["weights_sha256"] is None  # random weights, yet identified
    assert len(manifest["backbone"]["state_sha256"]) == 64


def test_unserialisable_setting_leaves_the_old_folder_intact(saved, copy, tmp_path):
    clf, X, y, _ = saved
    before = {f.name: f.read_bytes() for f in copy.iterdir()}
    other = clone(clf).set_params(random_state=np.random.RandomState(7)).fit(X, y)
    with pytest.raises(TypeError, match=r"random_state.*Nothing was written"):
        other.save_peft(copy)
    assert {f.name: f.read_bytes() for f in copy.iterdir()} == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["copy"]  # no temporary left
    np.testing.assert_array_equal(
        FMClassifier.load_peft(copy).predict_proba(X), clf.predict_proba(X)
    )
    with pytest.raises(TypeError, match="random_state"):
        other.save_peft(tmp_path / "fresh")
    assert not (tmp_path / "fresh").exists()


def test_failure_mid_write_leaves_nothing_half_written(saved, copy, tmp_path, monkeypatch):
    clf, X, y, _ = saved
    before = {f.name: f.read_bytes() for f in copy.iterdir()}
    other = clone(clf).set_params(random_state=1).fit(X, y)  # other PEFT tensors

    def disk_full(*args, **kwargs):
        raise OSError("No space left on device")

    # the PEFT files are written, then the head fails
    monkeypatch.setattr("safetensors.torch.save_file", disk_full)
    with pytest.raises(OSError, match="No space"):
        other.save_peft(copy)
    assert {f.name: f.read_bytes() for f in copy.iterdir()} == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["copy"]


def test_save_refuses_to_replace_a_folder_of_other_files(saved, tmp_path):
    (tmp_path / "notes.txt").write_text("mine")
    with pytest.raises(FileExistsError, match="not replaced"):
        saved[0].save_peft(tmp_path)
    assert [p.name for p in tmp_path.iterdir()] == ["notes.txt"]


def test_edited_classes_are_refused(copy):
    _edit_json(copy, lambda m: m["classes"].reverse())
    with pytest.raises(PEFTFileError, match=r"\['fmclassifier.json'\] .* changed"):
        FMClassifier.load_peft(copy)
    _rewrite_manifest(copy)  # the manifest's own classes still disagree
    with pytest.raises(PEFTFileError, match="classes does not match"):
        FMClassifier.load_peft(copy)


def test_edited_random_state_is_refused_even_with_a_forged_manifest(copy):
    _edit_json(copy, lambda m: m["params"].update(random_state=5))
    _rewrite_manifest(copy)
    with pytest.raises(PEFTFileError, match="backbone does not match"):
        FMClassifier.load_peft(copy)


def test_edited_positions_are_refused_by_name(copy):
    _edit_json(copy, lambda m: m["positions"].pop())
    with pytest.raises(PEFTFileError, match="changed after saving"):
        FMClassifier.load_peft(copy)
    _rewrite_manifest(copy)
    with pytest.raises(PEFTFileError, match="number of positions"):
        FMClassifier.load_peft(copy)


def test_deleted_lora_tensors_are_refused(copy):
    tensors = load_file(str(copy / "adapter_model.safetensors"))
    half = dict(sorted(tensors.items())[: len(tensors) // 2])
    save_file(half, str(copy / "adapter_model.safetensors"))
    with pytest.raises(PEFTFileError, match=r"adapter_model.safetensors'\] .* changed"):
        FMClassifier.load_peft(copy)
    _rewrite_manifest(copy)
    with pytest.raises(PEFTFileError, match="Found missing adapter keys"):
        FMClassifier.load_peft(copy)
    # a tensor the network has no slot for would be ignored by PEFT
    key = next(iter(tensors))
    save_file(
        {**tensors, key.replace("lora_A", "lora_C"): tensors[key].clone()},
        str(copy / "adapter_model.safetensors"),
    )
    _rewrite_manifest(copy)
    with pytest.raises(PEFTFileError, match=r"1 unexpected"):
        FMClassifier.load_peft(copy)


def test_lora_of_another_model_is_refused(saved, copy):
    X3, y3 = _data(n_ch=3, seed=1)
    three = _clf(ch_names=CH[:3], random_state=0).fit(X3, y3)
    other = three.save_peft(copy.parent / "three")
    shutil.copy(other / "adapter_model.safetensors", copy / "adapter_model.safetensors")
    with pytest.raises(PEFTFileError, match="adapter_model.safetensors"):
        FMClassifier.load_peft(copy)
    (copy / "extra.bin").write_bytes(b"x")
    with pytest.raises(PEFTFileError, match=r"unexpected \['extra.bin'\]"):
        FMClassifier.load_peft(copy)
