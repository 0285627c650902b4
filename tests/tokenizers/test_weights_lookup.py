"""Published tokenizers' weights: a path, the local cache, then the hub, as for the models.

No test goes online: the hub's cache is a folder laid out as ``hf_hub_download`` leaves
it (blobs, a snapshot of symlinks, ``refs/main``), which huggingface_hub's own offline
lookup must read too; only the download call itself stands in for the network.
"""

import hashlib
import shutil
import warnings

import numpy as np
import pytest
import torch

from sklearn_eegfm import _hub, cli
from sklearn_eegfm._checkpoints import CheckpointError, WeightsNotFoundError, sha256_file
from sklearn_eegfm._nets import tfm_files
from sklearn_eegfm.tokenizers import BioCodecTokenizer, TFMTokenizer
from sklearn_eegfm.tokenizers.biocodec import RELEASE as BIOCODEC

KW = dict(sfreq=200.0, ch_names=["a", "b"], units="uV")


@pytest.fixture(scope="module")
def tfm_state(seeded_state):
    from sklearn_eegfm._nets.tfm import TFMTokenizerNet

    return seeded_state(TFMTokenizerNet())


@pytest.fixture(scope="module")
def x():
    return np.random.default_rng(0).standard_normal((2, 2, 400)) * 20


@pytest.fixture
def home(tmp_path, monkeypatch):
    monkeypatch.setenv("SKLEARN_EEGFM_HOME", str(tmp_path / "home"))
    return tmp_path / "home"


def put_in_hub_cache(home, repo, filename, source, rev="5e1ec7ed"):
    """Lay ``source`` out as ``hf_hub_download(repo, filename, cache_dir=home)`` does."""
    root = home / f"models--{repo.replace('/', '--')}"
    blob = root / "blobs" / hashlib.sha256(source.read_bytes()).hexdigest()
    blob.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(source, blob)
    link = root / "snapshots" / rev / filename
    link.parent.mkdir(parents=True, exist_ok=True)
    link.symlink_to(blob)
    (root / "refs").mkdir(exist_ok=True)
    (root / "refs" / "main").write_text(rev)
    return link


@pytest.fixture
def tfm_in_hub_cache(home, tmp_path, tfm_state):
    src = tmp_path / "tfm_tokenizer_last.pth"
    torch.save(tfm_state, src)
    return put_in_hub_cache(home, tfm_files.HUB_REPO, tfm_files.TOKENIZER_FILE, src)


def test_auto_reads_the_hub_cache_as_huggingface_hub_does(home, tfm_in_hub_cache, x):
    hub = pytest.importorskip("huggingface_hub")
    # The layout is the hub client's: its own offline lookup finds the same file.
    assert hub.try_to_load_from_cache(
        tfm_files.HUB_REPO, tfm_files.TOKENIZER_FILE, cache_dir=home
    ) == str(tfm_in_hub_cache)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # pretrained: no random-codebook warning
        tok = TFMTokenizer(**KW).fit(x)
    assert tok.pretrained_ and tok.weights_path_ == tfm_in_hub_cache
    assert tok.contract_report_["weights_sha256"] == sha256_file(tfm_in_hub_cache)
    explicit = TFMTokenizer(weights=tfm_in_hub_cache, **KW).fit(x)
    np.testing.assert_array_equal(tok.transform(x), explicit.transform(x))
    # The --weights folder of the CLI is searched the same way, and its file passed on.
    assert cli._tokenizer_plan("tfm-tokenizer", None, home) == str(tfm_in_hub_cache)
    # The FM's route finds the tokenizer there too (the shared cache).
    from sklearn_eegfm.models.zoo.tfm import _find_tokenizer

    assert _find_tokenizer(home / "elsewhere" / "encoder.pth") == tfm_in_hub_cache


def test_auto_downloads_from_the_authors_hub_repo_once(home, tmp_path, tfm_state, x, monkeypatch):
    hub = pytest.importorskip("huggingface_hub")
    src = tmp_path / "published.pth"
    torch.save(tfm_state, src)
    calls = []

    def hf_hub_download(repo_id, filename, cache_dir):  # the network, and only it
        calls.append((repo_id, filename))
        return str(put_in_hub_cache(cache_dir, repo_id, filename, src))

    monkeypatch.setattr(hub, "hf_hub_download", hf_hub_download)
    monkeypatch.delenv("HF_HUB_OFFLINE")
    monkeypatch.delenv("HF_ENDPOINT", raising=False)
    monkeypatch.setitem(_hub.HUB_PROBES, "https://huggingface.co", None)  # "reachable"
    tok = TFMTokenizer(**KW).fit(x)
    assert calls == [(tfm_files.HUB_REPO, tfm_files.TOKENIZER_FILE)]
    assert tok.pretrained_ and str(tok.weights_path_).startswith(str(home))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")  # the next fit reads the cache, offline
    assert TFMTokenizer(**KW).fit(x).weights_path_ == tok.weights_path_ and len(calls) == 1


def test_without_cache_or_network_the_error_says_where_to_put_the_file(home, x):
    with pytest.raises(WeightsNotFoundError, match="HF_HUB_OFFLINE") as err:
        TFMTokenizer(**KW).fit(x)
    assert tfm_files.HUB_REPO in str(err.value)
    assert str(home / tfm_files.GITHUB_REPO / "tfm_tokenizer_last.pth") in str(err.value)


def test_biocodec_is_never_downloaded_and_says_where_it_goes(home, x, seeded_state, monkeypatch):
    hub = pytest.importorskip("huggingface_hub")
    from sklearn_eegfm._nets.biocodec import BioCodecNet

    calls = []
    monkeypatch.setattr(hub, "hf_hub_download", lambda *a, **k: calls.append(a))
    monkeypatch.delenv("HF_HUB_OFFLINE")
    monkeypatch.setitem(_hub.HUB_PROBES, "https://huggingface.co", None)
    kw = dict(sfreq=250.0, ch_names=["a", "b"], units="uV")
    with pytest.raises(WeightsNotFoundError, match="no model hub") as err:
        BioCodecTokenizer(**kw).fit(x)
    assert str(home / "klean2050" / "BioCodec-release" / "biocodec_ckpt.pt") in str(err.value)
    assert calls == [] and BIOCODEC.hub_repo is None
    path = home / BIOCODEC.folder / BIOCODEC.filename  # put by hand: found
    path.parent.mkdir(parents=True)
    torch.save({"model_state_dict": seeded_state(BioCodecNet())}, path)
    assert BioCodecTokenizer(**kw).fit(x).weights_path_ == path


def test_a_tampered_or_corrupt_cached_file_is_refused(home, tfm_in_hub_cache, tfm_state, x):
    digest = sha256_file(tfm_in_hub_cache)
    assert TFMTokenizer(sha256=digest, **KW).fit(x).pretrained_
    blob = tfm_in_hub_cache.resolve()
    other = dict(tfm_state)
    key = "quantizer.embedding.weight"
    other[key] = other[key] + 1e-3  # different weights under the same name
    torch.save(other, blob)
    with pytest.raises(CheckpointError, match="sha256"):
        TFMTokenizer(sha256=digest, **KW).fit(x)
    other[key] = other[key] * float("nan")
    torch.save(other, blob)
    with pytest.raises(CheckpointError, match="non-finite"):
        TFMTokenizer(**KW).fit(x)
    blob.write_bytes(blob.read_bytes()[:5000])
    with pytest.raises(CheckpointError, match="corrupt or truncated"):
        TFMTokenizer(**KW).fit(x)
    torch.save({"hook": _Payload()}, blob)
    with pytest.raises(CheckpointError, match="pickled Python objects"):
        TFMTokenizer(**KW).fit(x)


class _Payload:
    def __reduce__(self):
        return (print, ("this must never run",))
