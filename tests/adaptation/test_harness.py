"""Adapters inside compare() and the pipeline names (+tent, +ea, +recenter, ...)."""

import numpy as np

from sklearn_eegfm.evaluation import compare
from sklearn_eegfm.evaluation.pipelines import SUFFIXES, make_named_pipeline


def test_suffixes_build_the_documented_pipelines():
    assert {"tent", "t3a", "lame", "adabn", "ea", "recenter"} <= set(SUFFIXES)
    pipe = make_named_pipeline("xdawn+ts+recenter")
    assert pipe.steps[0][0] == "riemannianrecentering"
    assert pipe.steps[1][0] == "epochstoarray"
    tent = make_named_pipeline("fm-cbramod+tent", weights=None)
    assert type(tent).__name__ == "TENTAdapter"
    assert type(tent.estimator).__name__ == "LinearProbe"
    nested = make_named_pipeline("xdawn+ts+ea+t3a")
    assert type(nested).__name__ == "T3AAdapter"
    assert nested.estimator.steps[0][0] == "euclideanalignment"


def test_compare_passes_domains_and_records_the_adaptation(two_domains):
    epochs, y, subject = two_domains
    pipes = {
        name: make_named_pipeline(name)
        for name in (
            "xdawn+ts",
            "xdawn+ts+ea",
            "xdawn+ts+t3a",
            "xdawn+ts+tent",
            "xdawn+ts+recenter+stretch",
            "xdawn+ts+latency",
        )
    }
    for p in pipes.values():
        p.set_params(**{k: 1 for k in p.get_params() if k.endswith("nfilter")})
    # xdawn+ts+tent has no torch network: a row with a clear error, not a crash.
    res = compare(pipes, epochs, y, protocol="loso", metrics=("roc_auc",))
    by = res.groupby("pipeline")
    assert set(by.get_group("xdawn+ts")["adaptation"]) == {"none"}
    assert set(by.get_group("xdawn+ts+ea")["adaptation"]) == {"EuclideanAlignment"}
    stretch = by.get_group("xdawn+ts+recenter+stretch")
    assert set(stretch["adaptation"]) == {"RiemannianRecentering(stretch)"}
    latency = by.get_group("xdawn+ts+latency")
    assert set(latency["adaptation"]) == {"LatencyAlignment"}
    assert latency["error"].eq("").all() and stretch["error"].eq("").all()
    t3a = by.get_group("xdawn+ts+t3a")
    assert set(t3a["adaptation"]) == {"T3AAdapter"}
    assert not t3a["adaptation_skipped"].any()
    assert (t3a["adaptation_time"] > 0).all()
    assert t3a["error"].eq("").all()
    assert by.get_group("xdawn+ts+tent")["error"].str.contains("exposes none").all()
    assert np.isfinite(by.get_group("xdawn+ts+ea")["score"]).all()


def test_plots_put_adapted_rows_next_to_their_base():
    import pandas as pd

    from sklearn_eegfm.viz import _pipeline_labels

    rows = pd.DataFrame(
        {
            "pipeline": ["xdawn+ts", "eegnet", "eegnet+tent", "xdawn+ts+ea", "xdawn+ts+ea+t3a"],
            "adaptation_skipped": [False, False, True, False, False],
        }
    )
    labels = _pipeline_labels(rows)
    assert list(labels) == ["xdawn+ts", "xdawn+ts+ea", "xdawn+ts+ea+t3a", "eegnet", "eegnet+tent"]
    assert labels["eegnet+tent"] == "eegnet+tent (adaptation skipped)"


def test_rows_of_an_adapted_foundation_model_say_its_weights_and_training(two_domains):
    """The adapter wraps the probe: its weights and head are still found and recorded."""
    import warnings

    epochs, y, subject = two_domains
    pipes = {"fm-cbramod+t3a": make_named_pipeline("fm-cbramod+t3a", weights=None)}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # random weights
        res = compare(pipes, epochs, y, protocol="loso", metrics=("roc_auc",), dataset="demo")
    assert res["error"].eq("").all(), res["error"].tolist()
    assert set(res["weights"]) == {"random"}
    assert set(res["strategy"]) == {"frozen"}
    assert (res["n_trainable_params"] > 0).all()
    assert set(res["adaptation"]) == {"T3AAdapter"}
