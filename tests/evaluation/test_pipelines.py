"""Pipeline names: the grammar shared by compare() and ``--pipelines``."""

import pytest

from sklearn_eegfm.evaluation import pipelines as names


def test_base_names_with_a_plus_parse_whole():
    base, match, suffixes = names.parse_pipeline_name("xdawn+ts")
    assert (base, suffixes) == ("xdawn+ts", [])
    assert names.pipeline_model("xdawn+ts") is None
    assert names.pipeline_model("fm-LaBraM") == "labram"


def test_unknown_names_and_suffixes_are_refused_with_the_list():
    with pytest.raises(ValueError, match=r"Unknown pipeline 'riemann'.*xdawn\+ts.*fm-cbramod"):
        names.parse_pipeline_name("riemann")
    with pytest.raises(ValueError, match="Unknown pipeline 'xdawn\\+ts\\+nosuchadapter'"):
        names.parse_pipeline_name("xdawn+ts+nosuchadapter")
    with pytest.raises(ValueError, match="nomodel"):
        names.pipeline_model("fm-nomodel")


def test_suffixes_wrap_the_base(monkeypatch):
    monkeypatch.setitem(names.SUFFIXES, "tag", (lambda est, opts: ("tagged", est), "test"))
    est = names.make_named_pipeline("xdawn+ts+tag")
    assert est[0] == "tagged" and type(est[1]).__name__ == "Pipeline"
    assert names.parse_pipeline_name("fm-cbramod+tag+tag")[2] == ["tag", "tag"]


def test_per_model_weights():
    probe = names.make_named_pipeline("fm-biot", weights={"biot": None})
    assert probe.weights is None and probe.model == "biot"


@pytest.mark.parametrize(
    ("name", "tokenizer"),
    [
        ("tok-kmeans+bag", "PatchKMeansTokenizer"),
        ("tok-vq+onehot", "VQTokenizer"),
        ("tok-rvq+bag", "RVQTokenizer"),
    ],
)
def test_tokenizer_pipelines(name, tokenizer):
    from sklearn_eegfm.tokenizers import BagOfTokens

    base, _, suffixes = names.parse_pipeline_name(name)
    assert (base, suffixes) == (name, []) and names.pipeline_model(name) is None
    pipe = names.make_named_pipeline(name, fast=True)
    assert type(pipe[0]).__name__ == tokenizer
    assert isinstance(pipe[1], BagOfTokens)
    assert (pipe[1].sequence_length == 1) == name.endswith("onehot")
