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


def test_every_python_baseline_has_a_name():
    from sklearn_eegfm.baselines import PIPELINES, SPECIALISTS

    by_kind = {"erp": "xdawn+ts", "erp-mdm": "erp-mdm", "mi": "cov+ts", "csp": "csp"}
    assert set(by_kind) == set(PIPELINES)  # a new kind needs a name here too
    for kind, name in by_kind.items():
        built = names.make_named_pipeline(name)
        expected = PIPELINES[kind]()
        assert [type(s).__name__ for s in built] == [type(s).__name__ for s in expected], name
    for model in SPECIALISTS:
        est = names.make_named_pipeline(model, fast=True)
        assert est.model == model and est.max_epochs == 8
    assert type(names.make_named_pipeline("bandpower")[0]).__name__ == "BandPower"
    assert "csp (CSP (log-variance) + LDA" in names.describe_names()


def test_paradigm_defaults():
    assert names.default_baselines("erp") == ("xdawn+ts", "erp-features", "eegnet")
    assert names.default_baselines("mi") == ("csp", "cov+ts", "eegnet")
    assert "cov+ts" in names.default_baselines("resting")
    assert names.default_baselines(None) == ("cov+ts", "eegnet")
    assert names.default_baselines("ssvep") == ("fb+ts", "fb+mdm", "cca", "trca", "eegnet")
    with pytest.raises(ValueError, match="Unknown paradigm 'sleep'"):
        names.default_baselines("sleep")
    pipes = names.default_pipelines(weights=None, paradigm="mi")
    assert list(pipes) == ["csp", "cov+ts", "eegnet", "fm-cbramod"]


@pytest.mark.parametrize(
    ("name", "tokenizer"),
    [
        ("tok-kmeans+bag", "PatchKMeansTokenizer"),
        ("tok-vq+onehot", "VQTokenizer"),
        ("tok-rvq+bag", "RVQTokenizer"),
        ("tok-tfm+bag", "TFMTokenizer"),
        ("tok-biocodec+onehot", "BioCodecTokenizer"),
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


def test_alignment_suffixes_leave_the_given_estimator_as_it_was():
    """+ea/+recenter/+stretch build a new pipeline; the one they wrap is not modified."""
    from sklearn.base import clone
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline

    from sklearn_eegfm.baselines import EpochsToArray

    given = make_pipeline(
        EpochsToArray(sfreq=128.0, ch_names=["Cz", "Pz"], units="uV"), LogisticRegression()
    )
    before = clone(given).get_params()
    wrap_ea = names.SUFFIXES["ea"][0]
    aligned = wrap_ea(given, {})
    # the description moved to the alignment in front ...
    assert aligned.steps[0][1].get_params()["sfreq"] == 128.0
    assert aligned.steps[1][1].get_params()["sfreq"] is None
    # ... and the given pipeline still holds it
    assert given.steps[0][1].get_params()["sfreq"] == 128.0
    assert repr(given.get_params()) == repr(before)
    recentered = names.SUFFIXES["recenter"][0](given, {})
    stretched = names.SUFFIXES["stretch"][0](recentered, {})
    assert stretched.steps[0][1].stretch and not recentered.steps[0][1].stretch


def test_published_tokenizer_weights_by_release():
    assert names.pipeline_tokenizer("tok-tfm+bag") == "tfm-tokenizer"
    assert names.pipeline_tokenizer("tok-biocodec+bag+ea") == "biocodec"
    assert names.pipeline_tokenizer("tok-kmeans+bag") is None
    pipe = names.make_named_pipeline("tok-biocodec+bag", weights={"biocodec": None})
    assert pipe[0].weights is None
    assert names.make_named_pipeline("tok-tfm+bag", weights="/x.pth")[0].weights == "/x.pth"
