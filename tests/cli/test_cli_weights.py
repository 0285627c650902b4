"""sklearn-eegfm weights (list, verify, download) and fast, plain offline failures."""

import time

import pytest

from sklearn_eegfm import _hub, cli
from sklearn_eegfm._checkpoints import sha256_file
from sklearn_eegfm.models import FMEmbedder, WeightsNotFoundError, download, get_contract

pytestmark = pytest.mark.filterwarnings("ignore::sklearn_eegfm.RandomWeightsWarning")


@pytest.fixture
def home(tmp_path, monkeypatch):
    monkeypatch.setenv("SKLEARN_EEGFM_HOME", str(tmp_path / "home"))
    return tmp_path / "home"


@pytest.fixture
def offline(monkeypatch):
    """The hub probe answers "unreachable" without touching the network."""
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.delenv("HF_ENDPOINT", raising=False)
    monkeypatch.setitem(
        _hub.HUB_PROBES, "https://huggingface.co", "no network: huggingface.co:443 (test)"
    )


def _checkpoint(home, name="cbramod"):
    import torch
    from safetensors.torch import save_file

    contract = get_contract(name)
    path = home / contract.hub_repo / contract.hub_files[0]
    path.parent.mkdir(parents=True)
    save_file({"w": torch.zeros(3)}, str(path))
    return path


def test_list_says_what_is_needed_where_and_present(home, capsys):
    path = _checkpoint(home)
    assert cli.main(["weights", "list", "cbramod", "labram"]) == 0
    out = capsys.readouterr().out
    assert f"weights cache: {home}" in out
    assert "cbramod: present (licence: MIT)" in out and str(path) in out
    assert f"sha256   {sha256_file(path)}" in out
    assert "labram: MISSING" in out and "braindecode/labram-pretrained" in out
    assert "weights download NAME" in out


def test_verify_reads_every_present_checkpoint(home, capsys):
    path = _checkpoint(home)
    assert cli.main(["weights", "verify", "cbramod"]) == 0
    assert "check    ok: 1 tensors" in capsys.readouterr().out
    path.write_bytes(path.read_bytes()[:20])  # truncated
    assert cli.main(["weights", "verify", "cbramod"]) == 1
    assert "check    unreadable" in capsys.readouterr().out
    assert cli.main(["weights", "verify", "labram"]) == 1  # missing


def test_download_without_network_says_no_network(home, offline, capsys):
    pytest.importorskip("huggingface_hub")
    with pytest.raises(WeightsNotFoundError, match="no network") as err:
        download("cbramod", home=home)
    assert "not published" not in str(err.value) and "holds none" not in str(err.value)
    assert cli.main(["weights", "download", "cbramod"]) == 1
    assert "no network" in capsys.readouterr().out
    assert cli.main(["weights", "download"]) == 2


def test_auto_weights_fail_fast_when_the_hub_is_unreachable(home, offline, make_epochs):
    pytest.importorskip("huggingface_hub")
    epochs = make_epochs(n_epochs=2, n_times=256)
    t0 = time.perf_counter()
    with pytest.raises(WeightsNotFoundError, match="hub cannot be reached.*no network"):
        FMEmbedder("cbramod").fit(epochs)
    assert time.perf_counter() - t0 < 5  # not a minute of retries


def test_hub_probe_runs_once(monkeypatch):
    calls = []

    def refuse(address, timeout):
        calls.append(address)
        raise OSError("unreachable")

    monkeypatch.setattr(_hub.socket, "create_connection", refuse)
    monkeypatch.setenv("HF_ENDPOINT", "https://hub.invalid:8443")
    monkeypatch.setattr(_hub, "HUB_PROBES", {})
    assert _hub.hub_unreachable().startswith("no network: hub.invalid:8443")
    assert _hub.hub_unreachable() and calls == [("hub.invalid", 8443)]


def test_weights_list_names_every_repository_a_renamed_model_is_looked_in(tmp_path, monkeypatch):
    from sklearn_eegfm.models._inventory import weights_inventory

    monkeypatch.setenv("SKLEARN_EEGFM_HOME", str(tmp_path))
    (row,) = weights_inventory(["luna"])
    assert row["hub_repo"] == "PulpBio/LUNA or thorir/LUNA"
    assert str(tmp_path / "thorir" / "LUNA") in row["looked_in"]
