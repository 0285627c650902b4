"""compare(): tidy results, reproducibility, resuming, crashes, and honest labels."""

import numpy as np
import pandas as pd
import pytest
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sklearn_eegfm import ERPFeatures, FMEmbedder, LinearProbe, make_riemannian_pipeline
from sklearn_eegfm.evaluation import compare, default_pipelines, paired_stats, summarize
from sklearn_eegfm.evaluation.compare import COLUMNS

pytestmark = pytest.mark.filterwarnings("ignore::sklearn_eegfm.RandomWeightsWarning")


@pytest.fixture(scope="module")
def demo():
    """Real P300 demo, 8 epochs per class, subject and session (S1 has 2 sessions)."""
    from sklearn_eegfm.datasets import load_p300_demo

    epochs = load_p300_demo(tmax=1.0)
    meta = epochs.metadata.reset_index(drop=True)
    keep = [i for _, g in meta.groupby(["subject", "session", "label"]) for i in g.index[:8]]
    return epochs[sorted(keep)]


def _pipes():
    return {
        "xdawn+ts": make_riemannian_pipeline("erp"),
        "erp-features": make_pipeline(ERPFeatures(), StandardScaler(), LogisticRegression(C=0.1)),
        "fm-cbramod": LinearProbe("cbramod", weights=None, class_weight="balanced"),
    }


class _Crashes(ClassifierMixin, BaseEstimator):
    def fit(self, X, y):
        raise RuntimeError("boom")

    def predict(self, X):
        return np.zeros(len(X))


def test_loso_results_are_tidy_and_labelled(demo):
    res = compare(_pipes(), demo, protocol="loso", dataset="eeg-notebooks-p300")
    assert list(res.columns) == COLUMNS
    assert len(res) == 3 * 3 * 4  # pipelines x held-out subjects x metrics
    assert set(res["metric"]) == {"balanced_accuracy", "roc_auc", "kappa", "f1_weighted"}
    assert res["score"].notna().all() and (res["error"] == "").all()
    weights = res.groupby("pipeline")["weights"].first()
    assert weights["fm-cbramod"] == "random" and weights["xdawn+ts"] == "n/a"
    assert set(res["subject"]) == {1, 2, 4}
    sizes = demo.metadata["subject"].value_counts()
    assert (res["n_samples"] == res["subject"].map(sizes)).all()
    assert not res["pretraining_overlap"].any()


@pytest.mark.slow
def test_n_jobs_does_not_change_results(demo):
    a = compare(_pipes(), demo, protocol="loso", n_jobs=1)
    b = compare(_pipes(), demo, protocol="loso", n_jobs=2)
    pd.testing.assert_series_equal(a["score"], b["score"], rtol=1e-6)


def test_dask_backend(demo):
    distributed = pytest.importorskip("distributed")
    from joblib import parallel_config

    pipes = {"xdawn+ts": make_riemannian_pipeline("erp")}
    ref = compare(pipes, demo, protocol="loso")
    with (
        distributed.LocalCluster(
            n_workers=1, threads_per_worker=2, processes=False, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster),
        parallel_config("dask"),
    ):
        res = compare(pipes, demo, protocol="loso", n_jobs=2)
    np.testing.assert_allclose(res["score"], ref["score"])


def test_a_crashing_pipeline_is_reported_and_the_others_finish(demo):
    res = compare(
        {"ok": make_riemannian_pipeline("erp"), "bad": _Crashes()}, demo, protocol="loso"
    )
    bad = res[res.pipeline == "bad"]
    assert bad["score"].isna().all() and bad["error"].str.startswith("RuntimeError: boom").all()
    assert res[res.pipeline == "ok"]["score"].notna().all()
    assert summarize(res).query("pipeline == 'bad'")["n_errors"].iloc[0] == 3


def test_interrupted_run_resumes(demo, tmp_path, monkeypatch):
    import importlib

    module = importlib.import_module("sklearn_eegfm.evaluation._fold")

    path = tmp_path / "results.csv"
    real = module.run_fold
    calls = []

    def flaky(task, *args, **kwargs):
        calls.append(task.pipeline)
        if len(calls) == 4:
            raise KeyboardInterrupt  # the user stops the run after 3 folds
        return real(task, *args, **kwargs)

    monkeypatch.setattr(module, "run_fold", flaky)
    pipes = {"a": make_riemannian_pipeline("erp"), "b": make_riemannian_pipeline("erp-mdm")}
    with pytest.raises(KeyboardInterrupt):
        compare(pipes, demo, protocol="loso", results_path=path)
    assert len(pd.read_csv(path)) == 3 * 4
    monkeypatch.setattr(module, "run_fold", real)
    calls.clear()
    resumed = compare(pipes, demo, protocol="loso", results_path=path)
    assert len(resumed) == 6 * 4
    full = compare(pipes, demo, protocol="loso")
    np.testing.assert_allclose(
        resumed.sort_values(["pipeline", "subject", "metric"])["score"].to_numpy(),
        full.sort_values(["pipeline", "subject", "metric"])["score"].to_numpy(),
    )


def test_errors_before_training(demo):
    with pytest.raises(ValueError, match="non-empty dict"):
        compare({}, demo)
    with pytest.raises(TypeError, match="not classifiers"):
        compare({"x": StandardScaler()}, demo)
    with pytest.raises(ValueError, match="Unknown metrics"):
        compare(_pipes(), demo, metrics=("auc",))
    with pytest.raises(ValueError, match="at least two subjects"):
        compare(_pipes(), demo[demo.metadata["subject"].to_numpy() == 1], protocol="loso")
    with pytest.raises(ValueError, match="few-shot with k=50 is impossible"):
        compare(_pipes(), demo, protocol="few-shot", shots=(50,))
    with pytest.raises(ValueError, match="labels are missing"):
        compare(_pipes(), demo, y=[None] * len(demo))
    with pytest.raises(ValueError, match="metadata 'subject'"):
        compare(_pipes(), demo.get_data(), y=np.zeros(len(demo)), protocol="loso")


def test_few_shot_and_cross_session(demo):
    pipes = {"fm": LinearProbe("cbramod", weights=None)}
    few = compare(
        pipes, demo, protocol="few-shot", shots=(2, 5), n_draws=2, metrics=("balanced_accuracy",)
    )
    assert sorted(few["k_shot"].unique()) == [2, 5] and len(few) == 3 * 2 * 2
    assert (few["n_train"] == few["k_shot"] * 2).all()
    cross = compare(pipes, demo, protocol="cross-session", metrics=("roc_auc",))
    assert set(cross["subject"]) == {1} and set(cross["session"]) == {1, 2}


def test_seeds_repeat_and_change_the_model(demo):
    pipes = {"fm": make_pipeline(FMEmbedder("cbramod", weights=None), LogisticRegression())}
    res = compare(pipes, demo, protocol="loso", n_seeds=2, metrics=("roc_auc",))
    assert sorted(res["seed"].unique()) == [0, 1]
    s0, s1 = (res[res.seed == s]["score"].to_numpy() for s in (0, 1))
    assert not np.allclose(s0, s1)  # random_state reached the embedder's initialisation


@pytest.mark.slow
def test_pretraining_overlap_is_flagged(eegmmidb_epochs):
    # EEGPT lists PhysioNet MI (EEGMMIDB) among its pretraining corpora.
    epochs = eegmmidb_epochs[:12]
    meta = epochs.metadata
    res = compare(
        {"eegpt": LinearProbe("eegpt", weights=None, channel_policy="interpolate")},
        epochs,
        y=meta["label"].to_numpy(),
        protocol="within-subject",
        n_splits=2,
        dataset="eegmmidb",
        metrics=("balanced_accuracy",),
    )
    assert res["pretraining_overlap"].all()


def test_summary_and_paired_stats(demo):
    res = compare(_pipes(), demo, protocol="within-subject", n_splits=3, metrics=("roc_auc",))
    summary = summarize(res)
    assert set(summary.columns) >= {"mean", "std", "n", "weights"}
    assert (summary["n"] == 9).all()
    stats = paired_stats(res)
    assert set(stats["pipeline"]) | set(stats["baseline"]) == set(_pipes())
    assert stats["baseline"].nunique() == 1 and stats["baseline"].iloc[0] != "fm-cbramod"
    assert ((stats["p_value"] >= 0) & (stats["p_value"] <= 1)).all()
    assert (stats["ci_low"] <= stats["mean_diff"]).all() and (stats["n_pairs"] == 3).all()


def test_default_pipelines_name_their_parts():
    pipes = default_pipelines(models=("cbramod", "labram"), weights=None, fast=True)
    assert list(pipes) == ["xdawn+ts", "erp-features", "eegnet", "fm-cbramod", "fm-labram"]


def test_a_shared_disk_cache_serves_every_worker(demo, tmp_path):
    pipes = {"fm": LinearProbe("cbramod", weights=None)}
    first = compare(pipes, demo, protocol="loso", n_jobs=2, cache=tmp_path, metrics=("roc_auc",))
    assert len(list(tmp_path.rglob("*.npy"))) == len(demo)  # each epoch embedded once
    again = compare(pipes, demo, protocol="loso", cache=tmp_path, metrics=("roc_auc",))
    np.testing.assert_allclose(again["score"], first["score"], atol=1e-6)
