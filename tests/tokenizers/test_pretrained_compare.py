"""The published tokenizers in compare() and on the command line, on real epochs."""

import warnings

import numpy as np
import pytest

from sklearn_eegfm import RandomWeightsWarning, cli
from sklearn_eegfm.evaluation import compare, make_named_pipeline
from sklearn_eegfm.models._coverage import ChannelCoverageWarning


@pytest.mark.real_data
@pytest.mark.slow
def test_compare_runs_pretrained_tokenizers_labelled_random(p300_long):
    names = ("tok-tfm+bag", "tok-biocodec+bag", "fm-tfm")
    pipes = {n: make_named_pipeline(n, weights=None) for n in names}
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "TFMTokenizer runs with a RANDOM", UserWarning)
        warnings.filterwarnings("ignore", "BioCodecTokenizer runs with a RANDOM", UserWarning)
        warnings.filterwarnings("ignore", category=RandomWeightsWarning)
        warnings.filterwarnings("ignore", category=ChannelCoverageWarning)  # 4 Muse channels
        res = compare(
            pipes, p300_long, protocol="within-subject", n_splits=2, metrics=("roc_auc",)
        )
    assert set(res["pipeline"]) == set(pipes) and (res["weights"] == "random").all()
    assert res["error"].fillna("").eq("").all() and np.isfinite(res["score"]).all()


def test_cli_marks_tokenizers_without_weights_random(tmp_path, monkeypatch):
    monkeypatch.setenv("SKLEARN_EEGFM_HOME", str(tmp_path))
    from sklearn_eegfm import evaluation

    pipes, weights_lines, _ = cli._pipelines(evaluation, ["tok-tfm+bag", "tok-kmeans+bag"], None)
    pretrained, line = weights_lines["tfm-tokenizer"]
    assert list(weights_lines) == ["tfm-tokenizer"] and not pretrained
    assert line.startswith("RANDOM codebooks") and pipes["tok-tfm+bag"][0].weights is None
    folder = tmp_path / "Jathurshan0330" / "TFM-Tokenizer"
    folder.mkdir(parents=True)
    (folder / "tfm_tokenizer_last.pth").write_bytes(b"")
    pipes, weights_lines, _ = cli._pipelines(evaluation, ["tok-tfm+bag"], None)
    found = (True, "pretrained tokenizer weights from the local cache")
    assert weights_lines["tfm-tokenizer"] == found
    assert pipes["tok-tfm+bag"][0].weights == "auto"
    # A --weights folder is passed on as the checkpoint's path.
    other = tmp_path / "other"
    (other / "klean2050" / "BioCodec-release").mkdir(parents=True)
    (other / "klean2050" / "BioCodec-release" / "biocodec_ckpt.pt").write_bytes(b"")
    pipes, weights_lines, _ = cli._pipelines(
        evaluation, ["tok-biocodec+bag", "tok-tfm+bag"], str(other), home=other
    )
    assert [release for release, (pretrained, _) in weights_lines.items() if not pretrained] == [
        "tfm-tokenizer"
    ]
    assert pipes["tok-biocodec+bag"][0].weights.endswith("biocodec_ckpt.pt")
