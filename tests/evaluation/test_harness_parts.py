"""compare()'s three parts, each alone: the plan, the resumable run and the executor."""

from types import SimpleNamespace

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression

from sklearn_eegfm import EpochsData
from sklearn_eegfm.evaluation._executor import Executor, task_seed
from sklearn_eegfm.evaluation._lock import RunLockedError
from sklearn_eegfm.evaluation._plan import make_plan, prepare_data
from sklearn_eegfm.evaluation._runs import ResumableRun
from sklearn_eegfm.evaluation.compare import COLUMNS

SETTINGS = {"n_splits": 2, "shots": (1,), "n_draws": 1, "few_shot_source": False}


@pytest.fixture
def data():
    rng = np.random.default_rng(0)
    X = EpochsData.from_epochs(
        rng.standard_normal((12, 2, 32)), sfreq=32.0, ch_names=["Cz", "Pz"], units="uV"
    )
    return prepare_data(X, np.arange(12) % 2, np.arange(12) // 4, protocol="loso")


def _plan(data, pipelines=None, seeds=(0, 1)):
    pipelines = pipelines or {"a": LogisticRegression(), "b": LogisticRegression(C=0.1)}
    return make_plan(
        pipelines,
        data,
        protocol="loso",
        settings=SETTINGS,
        seeds=list(seeds),
        dataset="toy",
        metrics=["kappa"],
    )


def test_plan_lists_every_pipeline_fold_and_seed(data):
    plan = _plan(data)
    # 2 seeds x 3 held-out subjects x 2 pipelines, seeds outermost, pipelines innermost
    assert len(plan.tasks) == len(plan.keys) == 12
    assert [t.pipeline for t in plan.tasks[:4]] == ["a", "b", "a", "b"]
    assert [t.seed for t in plan.tasks] == [0] * 6 + [1] * 6
    first = plan.tasks[0]
    assert first.describe() == f"a, subject 0, fold {first.split.fold}, seed 0"
    # the record tells runs apart by what changes a result, and only by that
    changed = _plan(data, {"a": LogisticRegression(C=2.0), "b": LogisticRegression(C=0.1)})
    assert changed.record["pipelines"]["a"] != plan.record["pipelines"]["a"]
    assert changed.record["data"] == plan.record["data"]
    # domains reach the epochs' metadata, where adapters read them
    assert (data.X.metadata["subject"].to_numpy() == np.arange(12) // 4).all()


def _rows(task, score):
    s = task.split
    return [
        {
            "pipeline": task.pipeline,
            "seed": task.seed,
            "subject": s.subject,
            "session": s.session,
            "fold": s.fold,
            "k_shot": np.nan,
            "metric": "kappa",
            "score": score,
            "time": 0.1,
            "n_samples": len(s.test),
            "error": "",
        }
    ]


def test_run_resumes_what_is_done_and_locks_its_file(data, tmp_path):
    plan, path = _plan(data), tmp_path / "results.csv"
    with ResumableRun(path, plan.record, plan.keys, ["kappa"], COLUMNS) as run:
        assert run.remaining(plan.tasks) == list(plan.tasks)
        with pytest.raises(RunLockedError):
            ResumableRun(path, plan.record, plan.keys, ["kappa"], COLUMNS)
        for task in plan.tasks[:5]:
            run.add(_rows(task, 0.5))
    with ResumableRun(path, plan.record, plan.keys, ["kappa"], COLUMNS) as again:
        assert again.remaining(plan.tasks) == list(plan.tasks[5:])
        assert len(again.frame()) == 5 and (again.frame()["score"] == 0.5).all()
    other = _plan(data, seeds=(3,))
    with pytest.raises(ValueError, match="another run configuration.*seeds"):
        ResumableRun(path, other.record, other.keys, ["kappa"], COLUMNS)


def _draw(task, offset):
    return float(np.random.rand()) + offset  # noqa: NPY002  (the global generator)


def test_executor_yields_in_order_with_seeded_generators():
    # (that n_jobs leaves results unchanged: test_compare's test_n_jobs_...)
    tasks = [SimpleNamespace(key=("p", str(i))) for i in range(5)]
    np.random.seed(123)  # noqa: NPY002  (what ran before must not matter)
    out = list(Executor(1).map(_draw, tasks, 10.0))
    assert [t for t, _ in out] == tasks
    expected = [np.random.RandomState(task_seed(t.key)).rand() + 10.0 for t in tasks]
    np.testing.assert_allclose([r for _, r in out], expected)
    assert len({r for _, r in out}) == 5  # each task its own seed
