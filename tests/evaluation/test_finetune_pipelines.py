"""ft-<model>-<strategy> and ridge-<model> pipelines in the harness and its result rows."""

import pytest

from sklearn_eegfm import FMClassifier, LinearProbe, RidgeProbe
from sklearn_eegfm.evaluation import compare
from sklearn_eegfm.evaluation import pipelines as names

pytestmark = pytest.mark.filterwarnings("ignore::sklearn_eegfm.RandomWeightsWarning")


def test_names_build_the_estimators():
    clf = names.make_named_pipeline("ft-LaBraM-two_stage", weights=None, fast=True)
    assert isinstance(clf, FMClassifier)
    assert (clf.model, clf.finetune, clf.weights, clf.max_epochs) == (
        "labram",
        "two_stage",
        None,
        3,
    )
    assert names.pipeline_model("ft-cbramod-lora") == "cbramod"
    ridge = names.make_named_pipeline("ridge-biot", weights={"biot": None})
    assert isinstance(ridge, RidgeProbe) and ridge.model == "biot" and ridge.weights is None
    assert names.pipeline_model("ridge-eegpt") == "eegpt"
    assert "ft-cbramod-lora" in names.describe_names()


def test_unknown_strategy_is_refused_with_the_list():
    with pytest.raises(ValueError, match=r"Unknown pipeline 'ft-cbramod-lorra'.*ft-cbramod-lora"):
        names.make_named_pipeline("ft-cbramod-lorra")


def test_the_name_pattern_lists_every_strategy():
    import re

    from sklearn_eegfm.models._peft import STRATEGIES

    spec = next(s for s in names.BASES if s.example == "ft-cbramod-lora")
    alternatives = re.search(r"\(\?P<strategy>([^)]*)\)", spec.pattern).group(1)
    assert alternatives.split("|") == list(STRATEGIES)


def test_result_rows_record_strategy_and_trainable_parameters():
    from sklearn_eegfm.datasets import load_p300_demo

    epochs = load_p300_demo(tmax=1.0)
    meta = epochs.metadata.reset_index(drop=True)
    keep = [i for _, g in meta.groupby(["subject", "label"]) for i in g.index[:6]]
    epochs = epochs[sorted(keep)]
    pipes = {
        "ft-cbramod-head": names.make_named_pipeline("ft-cbramod-head", weights=None, fast=True),
        "ridge-cbramod": names.make_named_pipeline("ridge-cbramod", weights=None),
        "fm-cbramod": LinearProbe("cbramod", weights=None),
    }
    res = compare(pipes, epochs, protocol="loso", metrics=("balanced_accuracy",))
    assert (res["error"] == "").all() and res["score"].notna().all()
    rows = res.groupby("pipeline")[["strategy", "n_trainable_params"]].first()
    assert rows.loc["ft-cbramod-head", "strategy"] == "head"
    assert rows.loc["ft-cbramod-head", "n_trainable_params"] == 200 * 2 + 2
    assert rows.loc["ridge-cbramod", "strategy"] == "ridge"
    assert rows.loc["ridge-cbramod", "n_trainable_params"] == 201
    assert rows.loc["fm-cbramod", "strategy"] == "frozen"
    assert rows.loc["fm-cbramod", "n_trainable_params"] == 201
