"""Resumed runs never mix configurations, rows or processes (PITFALLS 20)."""

import os
import signal
import subprocess
import sys
import textwrap

import numpy as np
import pandas as pd
import pytest
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sklearn_eegfm import ERPFeatures, make_riemannian_pipeline
from sklearn_eegfm.evaluation import _runs, compare, summarize

KEY = ["pipeline", "seed", "subject", "session", "fold", "k_shot", "metric"]


@pytest.fixture(scope="module")
def demo():
    """Real P300 demo, 6 epochs per class and subject (three subjects)."""
    from sklearn_eegfm.datasets import load_p300_demo

    epochs = load_p300_demo(tmax=0.6)
    meta = epochs.metadata.reset_index(drop=True)
    keep = [i for _, g in meta.groupby(["subject", "label"]) for i in g.index[:6]]
    return epochs[sorted(keep)]


def _pipes(C=0.1):
    return {
        "xdawn+ts": make_riemannian_pipeline("erp"),
        "erp-features": make_pipeline(ERPFeatures(), StandardScaler(), LogisticRegression(C=C)),
    }


@pytest.fixture
def finished(demo, tmp_path):
    """A complete partial results file (as left by a run stopped after its last fold)."""
    path = tmp_path / "partial.csv"
    full = compare(_pipes(), demo, protocol="loso", results_path=path)
    return path, full


def _sorted(frame):
    return frame.sort_values(KEY).reset_index(drop=True)


# ------------------------------------------------------------------ configuration
def test_other_data_subset_is_refused(demo, finished):
    path, _ = finished
    with pytest.raises(ValueError, match=r"another run configuration.*data differ.*36 epochs"):
        compare(_pipes(), demo[::2], protocol="loso", results_path=path)


def test_changed_pipeline_parameters_are_refused(demo, finished):
    path, _ = finished
    with pytest.raises(ValueError, match=r"pipeline 'erp-features' changed.*C: 0.1 before, 1.0"):
        compare(_pipes(C=1.0), demo, protocol="loso", results_path=path)


def test_other_pipelines_and_seeds_are_refused(demo, finished):
    path, _ = finished
    pipes = {**_pipes(), "mdm": make_riemannian_pipeline("erp-mdm")}
    with pytest.raises(ValueError, match=r"pipelines added: \['mdm'\]"):
        compare(pipes, demo, protocol="loso", results_path=path)
    with pytest.raises(ValueError, match="seeds"):
        compare(_pipes(), demo, protocol="loso", results_path=path, n_seeds=2)


def test_partial_file_without_a_record_is_refused(demo, finished):
    path, _ = finished
    os.remove(f"{path}{_runs.RECORD_SUFFIX}")
    with pytest.raises(ValueError, match="no readable run record"):
        compare(_pipes(), demo, protocol="loso", results_path=path)


# ------------------------------------------------------------------ rows
def test_file_cut_mid_line_recomputes_the_torn_fold(demo, finished):
    path, full = finished
    text = path.read_text()
    path.write_text(text[: text.rindex("erp-features") + len("erp-feature")])  # torn line
    resumed = compare(_pipes(), demo, protocol="loso", results_path=path)
    assert set(resumed["pipeline"]) == {"xdawn+ts", "erp-features"}
    assert not resumed.duplicated(KEY).any() and len(resumed) == len(full)
    pd.testing.assert_series_equal(_sorted(resumed)["score"], _sorted(full)["score"])


def test_duplicated_rows_are_kept_once(demo, finished):
    path, full = finished
    rows = pd.read_csv(path, keep_default_na=False)
    pd.concat([rows, rows.iloc[:6]]).to_csv(path, index=False)
    resumed = compare(_pipes(), demo, protocol="loso", results_path=path)
    assert len(resumed) == len(full) and not resumed.duplicated(KEY).any()
    assert (summarize(resumed)["n"] == summarize(full)["n"]).all()


def _mark_errored(path):
    rows = pd.read_csv(path, keep_default_na=False)
    hit = (rows["pipeline"] == "erp-features") & (rows["subject"] == rows["subject"].min())
    rows.loc[hit, "error"] = "RuntimeError: boom (x.py:1)"
    rows.loc[hit, "score"] = np.nan
    rows.to_csv(path, index=False)
    return hit.sum()


def test_errored_folds_are_retried_on_resume(demo, finished):
    path, full = finished
    assert _mark_errored(path) == 4
    resumed = compare(_pipes(), demo, protocol="loso", results_path=path)
    assert (resumed["error"] == "").all() and resumed["score"].notna().all()
    pd.testing.assert_series_equal(_sorted(resumed)["score"], _sorted(full)["score"])


def test_errored_folds_can_be_kept(demo, finished):
    path, _ = finished
    _mark_errored(path)
    kept = compare(_pipes(), demo, protocol="loso", results_path=path, keep_errors=True)
    assert (kept["error"] != "").sum() == 4


# ------------------------------------------------------------------ lock
def _hold_lock(path):
    code = textwrap.dedent(
        f"""
        import time
        from sklearn_eegfm.evaluation._runs import RunLock
        lock = RunLock({str(path)!r}).acquire()
        print("locked", flush=True)
        time.sleep(60)
        """
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", code], stdout=subprocess.PIPE, text=True, cwd=os.getcwd()
    )
    assert proc.stdout.readline().strip() == "locked"
    return proc


@pytest.mark.slow
def test_second_writer_is_refused_naming_the_process_and_dead_locks_are_taken_over(demo, tmp_path):
    path = tmp_path / "partial.csv"
    holder = _hold_lock(path)
    try:
        with pytest.raises(_runs.RunLockedError, match=rf"in use by process {holder.pid} on"):
            compare(_pipes(), demo, protocol="loso", results_path=path)
        assert not path.exists()  # nothing of the refused run was written
    finally:
        holder.send_signal(signal.SIGKILL)  # kill -9: the lock file stays behind
        holder.wait()
        holder.stdout.close()
    assert (tmp_path / "partial.csv.lock").exists()
    res = compare(_pipes(), demo, protocol="loso", results_path=path)  # stale: taken over
    assert res["score"].notna().all() and not (tmp_path / "partial.csv.lock").exists()


# ------------------------------------------------------------------ reproducibility
class GlobalRandomClassifier(ClassifierMixin, BaseEstimator):
    """Draws from NumPy's global generator, like much third-party code does."""

    def fit(self, X, y):
        self.classes_ = np.unique(y)
        self.w_ = np.random.standard_normal(np.asarray(X.data).shape[1])  # noqa: NPY002
        return self

    def predict_proba(self, X):
        z = np.asarray(X.data).mean(axis=-1) @ self.w_
        p = 1 / (1 + np.exp(-z))
        return np.column_stack([1 - p, p])

    def predict(self, X):
        return self.classes_[(self.predict_proba(X)[:, 1] > 0.5).astype(int)]


def test_global_rng_users_repeat_across_history_and_resume(demo, tmp_path):
    pipes = {"global-rng": GlobalRandomClassifier()}
    a = compare(pipes, demo, protocol="loso", metrics=("roc_auc",))
    np.random.standard_normal(7)  # noqa: NPY002  (another history in this process)
    b = compare(pipes, demo, protocol="loso", metrics=("roc_auc",))
    pd.testing.assert_series_equal(a["score"], b["score"])
    path = tmp_path / "partial.csv"
    compare(pipes, demo, protocol="loso", metrics=("roc_auc",), results_path=path)
    rows = pd.read_csv(path, keep_default_na=False)
    rows.iloc[:1].to_csv(path, index=False)  # only the first fold survived
    resumed = compare(pipes, demo, protocol="loso", metrics=("roc_auc",), results_path=path)
    np.testing.assert_allclose(_sorted(resumed)["score"], _sorted(a)["score"])


@pytest.mark.slow  # starts loky workers
def test_n_jobs_two_equals_one_for_global_rng_users(demo):
    pipes = {"global-rng": GlobalRandomClassifier()}
    a = compare(pipes, demo, protocol="loso", metrics=("roc_auc",), n_jobs=1)
    b = compare(pipes, demo, protocol="loso", metrics=("roc_auc",), n_jobs=2)
    pd.testing.assert_series_equal(a["score"], b["score"])


def test_rows_read_back_keep_the_types_compare_writes():
    from sklearn_eegfm.evaluation._runs import rows_frame

    columns = ["pipeline", "score", "adaptation_time", "adaptation_skipped", "pretraining_overlap"]
    frame = rows_frame([["a+tent", "0.5", "1.25", "True", "False"]], columns)
    assert frame["adaptation_time"].dtype.kind == "f" and frame["score"].dtype.kind == "f"
    assert frame["adaptation_skipped"].tolist() == [True]
    assert frame["pretraining_overlap"].tolist() == [False]
