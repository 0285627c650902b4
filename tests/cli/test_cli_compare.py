"""sklearn-eegfm compare: parsing, user errors, outputs, and real runs."""

import os
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from sklearn.base import BaseEstimator, ClassifierMixin

from sklearn_eegfm import cli
from sklearn_eegfm.models import get_contract

METRICS = ("balanced_accuracy", "roc_auc", "kappa", "f1_weighted")
BASELINES = ("xdawn+ts", "erp-features", "eegnet")


# --------------------------------------------------------- the real harness, watched
class _Crashes(ClassifierMixin, BaseEstimator):
    def fit(self, X, y):
        raise RuntimeError("boom")

    def predict(self, X):
        return np.zeros(len(X))


class SpyHarness:
    """The real evaluation package, recording what the command asks of compare().

    Every call goes to the real functions; ``fail=True`` runs compare() with pipelines
    that raise, so that every fold's row records the error, and ``stop=True`` stops the
    run (as Ctrl-C would) once the command has said what it asks, for tests about the
    request alone.
    """

    def __init__(self):
        from sklearn_eegfm import evaluation

        self.real = evaluation
        self.fail = self.stop = False
        self.calls = {}

    def __getattr__(self, name):
        return getattr(self.real, name)

    def compare(self, pipelines, epochs, y=None, **kwargs):
        path = kwargs["results_path"]
        self.calls["compare"] = {
            **kwargs,
            "pipelines": dict(pipelines),
            "n_epochs": len(epochs),
            "partial_existed": path.exists(),
            "home": os.environ.get("SKLEARN_EEGFM_HOME"),
        }
        if self.stop:
            raise KeyboardInterrupt
        if self.fail:
            pipelines = dict.fromkeys(pipelines, _Crashes())
        return self.real.compare(pipelines, epochs, y, **kwargs)

    def paired_stats(self, results, metric="roc_auc"):
        self.calls["paired_stats"] = metric
        return self.real.paired_stats(results, metric=metric)


@pytest.fixture
def spy_harness(monkeypatch, tmp_path):
    """The real harness, watched, with an empty weights cache."""
    harness = SpyHarness()
    monkeypatch.setattr(cli, "_harness", lambda: harness)
    # An empty cache: the default run finds no pretrained checkpoint.
    monkeypatch.setenv("SKLEARN_EEGFM_HOME", str(tmp_path / "empty_cache"))
    return harness


@pytest.fixture(scope="module")
def tiny_p300():
    """Real P300 demo epochs: 6 per subject and class, 3 subjects (36 epochs, 1 s)."""
    from sklearn_eegfm.datasets import load_p300_demo

    epochs = load_p300_demo(tmax=1.0)
    meta = epochs.metadata.reset_index(drop=True)
    keep = [i for _, g in meta.groupby(["subject", "label"]) for i in g.index[:6]]
    epochs = epochs[sorted(keep)]
    return epochs, epochs.metadata["target"].to_numpy()


def _loaded(epochs, y, paradigm="erp", dataset="p300-demo"):
    from sklearn_eegfm.datasets import LoadedData

    return LoadedData(epochs, np.asarray(y), dataset, paradigm, "demo", [])


@pytest.fixture
def spy(spy_harness, monkeypatch, tiny_p300):
    """The real harness on tiny real data."""
    epochs, y = tiny_p300
    monkeypatch.setattr(cli, "_load", lambda args: _loaded(epochs.copy(), y))
    return spy_harness


def _one_line_error(capsys, *fragments):
    err = capsys.readouterr().err
    assert "Traceback" not in err
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1, err
    for fragment in fragments:
        assert fragment in lines[0]
    return lines[0]


# ---------------------------------------------------------------------------- parsing
def test_parser_defaults():
    args = cli.build_parser().parse_args(["compare"])
    assert args.func is cli.run_compare
    assert args.protocol == "loso"
    assert args.models == ("cbramod",)
    assert args.shots == (1, 2, 5, 10)
    assert args.out == "sklearn_eegfm_results"
    assert (args.data, args.reader, args.pipelines, args.weights) == (None, None, None, None)
    assert (args.paradigm, args.event_id, args.tmin, args.bids_root, args.moabb) == (None,) * 5
    assert (args.seeds, args.n_jobs, args.resume, args.quiet) == (1, 1, False, False)
    assert args.max_epochs_per_subject is None


def test_parser_lists():
    args = cli.build_parser().parse_args(
        ["compare", "--pipelines", "xdawn+ts, fm-cbramod", "--shots", "1,5", "--seeds", "3"]
    )
    assert args.pipelines == ("xdawn+ts", "fm-cbramod")
    assert args.shots == (1, 5)
    assert args.seeds == 3


@pytest.mark.parametrize(
    "argv",
    [
        [],
        ["compare", "--protocol", "leave-one-out"],
        ["compare", "--shots", "1,x"],
        ["compare", "--shots", "0,1"],
        ["compare", "--seeds", "1,2"],
        ["compare", "--n-jobs", "0"],
        ["compare", "--reader", "edf"],
        ["embed"],
    ],
)
def test_usage_errors_exit_2(argv, capsys):
    assert cli.main(argv) == 2
    assert "usage: sklearn-eegfm" in capsys.readouterr().err


def test_help_and_version(capsys):
    assert cli.main(["compare", "--help"]) == 0
    out = capsys.readouterr().out
    assert "--pipelines" in out and "--resume" in out
    assert "max-epochs-per-subject" not in out  # hidden option
    assert cli.main(["--version"]) == 0
    assert capsys.readouterr().out.startswith("sklearn-eegfm ")


# ----------------------------------------------------------------------- user errors
def test_unknown_pipeline(spy, tmp_path, capsys):
    code = cli.main(["compare", "--out", str(tmp_path), "--pipelines", "xdawn+ts,riemann"])
    assert code == 2
    line = _one_line_error(capsys, "Unknown pipeline(s) ['riemann']", "available:")
    for name in (*BASELINES, "fm-cbramod"):
        assert name in line
    assert "compare" not in spy.calls  # nothing ran


def test_unknown_model(spy, tmp_path, capsys):
    assert cli.main(["compare", "--out", str(tmp_path), "--models", "nomodel"]) == 2
    _one_line_error(capsys, "nomodel", "cbramod")


def test_missing_data_path(tmp_path, capsys):
    missing = tmp_path / "no_such_folder"
    assert cli.main(["compare", "--data", str(missing), "--out", str(tmp_path)]) == 2
    _one_line_error(capsys, "--data", "no such file or folder")


def test_glob_without_matches(spy_harness, tmp_path, capsys):
    pattern = str(tmp_path / "*.csv")
    assert cli.main(["compare", "--data", pattern, "--out", str(tmp_path), "--quiet"]) == 2
    _one_line_error(capsys, "found no recordings", "-epo.fif", ".edf", "--bids-root")


def test_reader_needs_data(tmp_path, capsys):
    assert cli.main(["compare", "--reader", "eegmmidb", "--out", str(tmp_path)]) == 2
    _one_line_error(capsys, "--reader needs --data")


def test_weights_folder_missing_or_empty(spy, tmp_path, capsys):
    assert cli.main(["compare", "--weights", str(tmp_path / "nope"), "--out", str(tmp_path)]) == 2
    _one_line_error(capsys, "not a folder")
    empty = tmp_path / "weights"
    empty.mkdir()
    assert cli.main(["compare", "--weights", str(empty), "--out", str(tmp_path)]) == 2
    _one_line_error(capsys, "no cbramod checkpoint")


def test_unknown_metric(spy, tmp_path, capsys):
    assert cli.main(["compare", "--metric", "accuracy", "--out", str(tmp_path)]) == 2
    _one_line_error(capsys, "--metric accuracy", "roc_auc")


@pytest.mark.slow
def test_module_entry_point(tmp_path):
    """``python -m sklearn_eegfm.cli`` exits 2 with one line and no traceback."""
    proc = subprocess.run(
        [sys.executable, "-m", "sklearn_eegfm.cli", "compare", "--data", str(tmp_path / "x")],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines() == [
        f"sklearn-eegfm compare: error: --data {tmp_path / 'x'}: no such file or folder."
    ]


# ------------------------------------------------------- plumbing (the real harness)
@pytest.mark.slow
def test_compare_outputs_of_the_default_run(spy, tmp_path, capsys):
    out = tmp_path / "out"
    assert cli.main(["compare", "--out", str(out), "--seeds", "2"]) == 0
    call = spy.calls["compare"]
    assert list(call["pipelines"]) == [*BASELINES, "fm-cbramod"]
    assert call["pipelines"]["fm-cbramod"].weights is None  # nothing cached
    assert (call["protocol"], call["n_jobs"], call["n_seeds"]) == ("loso", 1, 2)
    assert call["results_path"] == out / "results_partial.csv"
    assert call["verbose"] is True
    for name in (
        "results.csv",
        "summary.csv",
        "stats.csv",
        "subject_scores.png",
        "mean_scores.png",
        "report.html",
    ):
        assert (out / name).is_file(), name
    assert not (out / "learning_curve.png").exists()
    assert not (out / "results_partial.csv").exists()  # folded into results.csv
    results = pd.read_csv(out / "results.csv", keep_default_na=False)
    from sklearn_eegfm.evaluation.compare import COLUMNS

    assert list(results.columns) == COLUMNS  # compare()'s own table, every column
    # 4 pipelines x 3 held-out subjects x 2 seeds x 4 metrics, none failed
    assert len(results) == 4 * 3 * 2 * 4 and (results["error"] == "").all()
    assert set(results["subject"]) == {1, 2, 4} and (results["n_samples"] == 12).all()
    summary = pd.read_csv(out / "summary.csv")
    assert set(summary["pipeline"]) == {*BASELINES, "fm-cbramod"}
    captured = capsys.readouterr()
    assert "cbramod: RANDOM weights (not pretrained)" in captured.err
    assert "Summary" in captured.out and "Paired statistics (roc_auc" in captured.out
    for name in (*BASELINES, "fm-cbramod"):
        assert name in captured.out


@pytest.mark.slow
def test_few_shot_writes_learning_curve(spy, tmp_path, capsys):
    argv = ["compare", "--out", str(tmp_path), "--protocol", "few-shot", "--shots", "1,3"]
    argv += ["--pipelines", "xdawn+ts,erp-features"]
    assert cli.main([*argv, "--metric", "balanced_accuracy", "--quiet"]) == 0
    assert spy.calls["compare"]["shots"] == (1, 3)
    assert spy.calls["compare"]["verbose"] is False
    assert spy.calls["paired_stats"] == "balanced_accuracy"
    assert (tmp_path / "learning_curve.png").is_file()
    out = capsys.readouterr().out
    assert "Wrote" not in out  # --quiet: tables only
    assert "few-shot" in out
    results = pd.read_csv(tmp_path / "results.csv")
    assert set(results["k_shot"]) == {1, 3}


def test_pipelines_subset_keeps_order(spy, tmp_path):
    spy.stop = True
    argv = ["compare", "--out", str(tmp_path), "--pipelines", "fm-cbramod,xdawn+ts", "-q"]
    assert cli.main(argv) == 130
    assert list(spy.calls["compare"]["pipelines"]) == ["fm-cbramod", "xdawn+ts"]


def test_weights_come_from_the_cache_then_the_hub_else_random_with_the_reason(
    spy, tmp_path, monkeypatch, capsys
):
    """Issue 25, item 6: one line per model at the start, saying which weights and why."""
    contract = get_contract("cbramod")
    # an unreachable hub (a closed local port: refused at once, no network needed)
    monkeypatch.delenv("HF_HUB_OFFLINE")
    monkeypatch.setenv("HF_ENDPOINT", "http://127.0.0.1:9")
    plan, lines = cli._weights_plan(["cbramod", "labram"], None)
    assert plan == {"cbramod": None, "labram": None}
    assert lines["cbramod"].startswith("RANDOM weights (not pretrained): Pretrained weights")
    assert "127.0.0.1:9 cannot be reached" in lines["cbramod"]
    assert "Put the file" not in lines["cbramod"]  # the reason, not the paragraph of fixes
    # a checkpoint in the local cache (hub layout) is used, without asking the hub
    home = tmp_path / "empty_cache"
    snapshot = home / f"models--{contract.hub_repo.replace('/', '--')}" / "snapshots" / "abc"
    snapshot.mkdir(parents=True)
    (snapshot / contract.hub_files[0]).write_bytes(b"")
    (home / f"models--{contract.hub_repo.replace('/', '--')}" / "refs").mkdir()
    (home / f"models--{contract.hub_repo.replace('/', '--')}" / "refs" / "main").write_text("abc")
    plan, lines = cli._weights_plan(["cbramod", "labram"], None)
    assert plan == {"cbramod": "auto", "labram": None}
    assert lines["cbramod"] == (
        f"pretrained weights from the local cache ({snapshot / contract.hub_files[0]})"
    )
    assert cli._weights_plan(["cbramod"], "random") == (
        {"cbramod": None},
        {"cbramod": "RANDOM weights, as asked (--weights random)"},
    )
    # the command says it once per model, before the run
    spy.stop = True
    argv = ["compare", "--out", str(tmp_path / "o"), "--pipelines", "fm-cbramod,fm-labram"]
    assert cli.main(argv) == 130
    captured = capsys.readouterr()
    assert f"cbramod: pretrained weights from the local cache ({snapshot}" in captured.out
    assert captured.err.count("labram: RANDOM weights (not pretrained)") == 1
    pipes = spy.calls["compare"]["pipelines"]
    assert (pipes["fm-cbramod"].weights, pipes["fm-labram"].weights) == ("auto", None)


def test_weights_folder_is_passed_for_the_run(spy, tmp_path):
    """The --weights folder reaches the estimators as an argument, not as $SKLEARN_EEGFM_HOME."""
    contract = get_contract("cbramod")
    checkpoint = tmp_path / "weights" / contract.hub_repo / contract.hub_files[0]
    checkpoint.parent.mkdir(parents=True)
    checkpoint.write_bytes(b"")  # only its presence matters here
    before = os.environ["SKLEARN_EEGFM_HOME"]
    argv = ["compare", "--weights", str(tmp_path / "weights"), "--out", str(tmp_path), "-q"]
    spy.stop = True
    assert cli.main(argv) == 130
    call = spy.calls["compare"]
    assert call["home"] == before  # the environment is never written, not even for the run
    found = (tmp_path / "weights").resolve() / contract.hub_repo / contract.hub_files[0]
    assert str(call["pipelines"]["fm-cbramod"].weights) == str(found)
    assert os.environ["SKLEARN_EEGFM_HOME"] == before


def test_weights_random(spy, tmp_path):
    spy.stop = True
    assert cli.main(["compare", "--weights", "random", "--out", str(tmp_path), "-q"]) == 130
    assert spy.calls["compare"]["pipelines"]["fm-cbramod"].weights is None


def test_fresh_run_drops_old_partial_resume_refuses_a_foreign_one(spy, tmp_path, capsys):
    partial = tmp_path / "results_partial.csv"
    argv = ["compare", "--out", str(tmp_path), "--pipelines", "erp-features", "-q"]
    pd.DataFrame({"protocol": ["loso"], "dataset": ["p300-demo"]}).to_csv(partial, index=False)
    assert cli.main(argv) == 0
    assert spy.calls["compare"]["partial_existed"] is False
    # a partial file that compare() did not write cannot be checked, so is not resumed
    pd.DataFrame({"protocol": ["loso"], "dataset": ["p300-demo"]}).to_csv(partial, index=False)
    capsys.readouterr()
    assert cli.main([*argv, "--resume"]) == 2
    assert spy.calls["compare"]["partial_existed"] is True
    _one_line_error(capsys, "no readable run record")
    assert partial.exists()


def test_resume_refuses_another_run(spy, tmp_path, capsys):
    partial = tmp_path / "results_partial.csv"
    pd.DataFrame({"protocol": ["few-shot"], "dataset": ["p300-demo"]}).to_csv(partial, index=False)
    assert cli.main(["compare", "--out", str(tmp_path), "--resume", "-q"]) == 2
    _one_line_error(capsys, "holds another run", "few-shot")
    assert partial.exists()


def test_every_fold_failing_exits_1(spy, tmp_path, capsys):
    spy.fail = True
    argv = ["compare", "--out", str(tmp_path), "--pipelines", "xdawn+ts,erp-features", "-q"]
    assert cli.main(argv) == 1
    err = capsys.readouterr().err
    assert "RuntimeError: boom" in err and "every fold raised" in err
    assert (tmp_path / "results.csv").is_file()  # the errors are kept for inspection


def test_subsample_per_subject():
    rng = np.random.default_rng(0)
    subjects = np.repeat([1, 2, 3], [100, 50, 10])
    y = (rng.uniform(size=160) < 0.2).astype(int)
    idx = cli.subsample_per_subject(subjects, y, 40)
    np.testing.assert_array_equal(idx, cli.subsample_per_subject(subjects, y, 40))
    assert np.all(np.diff(idx) > 0)
    counts = pd.Series(subjects[idx]).value_counts()
    assert counts[1] == 40 and counts[2] == 40 and counts[3] == 10
    for subject in (1, 2):
        kept = y[idx][subjects[idx] == subject]
        share = y[subjects == subject].mean()
        assert abs(kept.mean() - share) <= 1 / 40 + 1e-9  # stratified


# ------------------------------------------------------------------------- real run
@pytest.mark.slow
def test_compare_end_to_end_on_demo_slice(tmp_path, capsys):
    import matplotlib.pyplot as plt

    home = os.environ.get("SKLEARN_EEGFM_HOME")
    argv = [
        "compare",
        "--out",
        str(tmp_path),
        "--max-epochs-per-subject",
        "40",
        "--pipelines",
        "xdawn+ts,fm-cbramod",
        "--weights",
        "random",
        "--quiet",
    ]
    assert cli.main(argv) == 0
    for name in (
        "results.csv",
        "summary.csv",
        "stats.csv",
        "subject_scores.png",
        "mean_scores.png",
    ):
        assert (tmp_path / name).stat().st_size > 0, name
    results = pd.read_csv(tmp_path / "results.csv", keep_default_na=False)
    assert set(results["pipeline"]) == {"xdawn+ts", "fm-cbramod"}
    assert set(results["subject"]) == {1, 2, 4}  # LOSO over the demo's three subjects
    assert (results["n_samples"] + results["n_train"]).max() <= 120
    assert (results["error"] == "").all(), results.loc[results["error"] != "", "error"].iloc[0]
    assert set(results.loc[results["pipeline"] == "fm-cbramod", "weights"]) == {"random"}
    captured = capsys.readouterr()
    assert "xdawn+ts" in captured.out and "fm-cbramod" in captured.out
    assert "Paired statistics" in captured.out
    assert "RANDOM weights" in captured.err
    assert os.environ.get("SKLEARN_EEGFM_HOME") == home
    assert not plt.get_fignums()  # the command leaves no figure open


@pytest.mark.slow
def test_resume_skips_finished_folds(tmp_path, capsys, monkeypatch):
    import importlib

    argv = ["compare", "--out", str(tmp_path), "--max-epochs-per-subject", "30", "--quiet"]
    argv += ["--pipelines", "xdawn+ts,erp-features"]
    module = importlib.import_module("sklearn_eegfm.evaluation._fold")
    real = module.run_fold

    def stop_at_erp_features(task, *args, **kwargs):
        if task.pipeline == "erp-features":
            raise KeyboardInterrupt  # interrupted after the first xdawn+ts fold
        return real(task, *args, **kwargs)

    monkeypatch.setattr(module, "run_fold", stop_at_erp_features)
    assert cli.main(argv) == 130
    monkeypatch.setattr(module, "run_fold", real)
    first = pd.read_csv(tmp_path / "results_partial.csv", keep_default_na=False)
    assert set(first["pipeline"]) == {"xdawn+ts"}
    assert cli.main([*argv, "--resume"]) == 0
    resumed = pd.read_csv(tmp_path / "results.csv", keep_default_na=False)
    assert len(resumed) == 2 * 3 * 4  # pipelines x subjects x metrics: no fold twice
    key = ["pipeline", "subject", "metric"]
    merged = first.merge(resumed, on=key, suffixes=("", "_resumed"))
    done = merged[merged["pipeline"] == "xdawn+ts"]
    # Finished folds are read back, not refitted: their fit times are the recorded ones.
    np.testing.assert_array_equal(done["time"], done["time_resumed"])
    assert (resumed["weights"] == "n/a").all() and (resumed["error"] == "").all()
    assert not (tmp_path / "results_partial.csv").exists()
    capsys.readouterr()


# ------------------------------------------------------- paradigms and protocol hints
def test_motor_imagery_data_get_motor_imagery_baselines(
    spy_harness, monkeypatch, make_epochs, tmp_path
):
    epochs = make_epochs(n_epochs=24)
    y = np.where(np.arange(24) % 2, "left_fist", "right_fist")
    monkeypatch.setattr(cli, "_load", lambda args: _loaded(epochs, y, "mi", "eegmmidb"))
    spy_harness.stop = True
    assert cli.main(["compare", "--out", str(tmp_path), "-q"]) == 130
    assert list(spy_harness.calls["compare"]["pipelines"]) == [
        "csp",
        "cov+ts",
        "eegnet",
        "fm-cbramod",
    ]
    assert spy_harness.calls["compare"]["dataset"] == "eegmmidb"


def test_unknown_paradigm_says_how_to_set_it(
    spy_harness, monkeypatch, make_epochs, capsys, tmp_path
):
    epochs = make_epochs(n_epochs=24)
    monkeypatch.setattr(cli, "_load", lambda args: _loaded(epochs, np.arange(24) % 2, None))
    spy_harness.stop = True
    assert cli.main(["compare", "--out", str(tmp_path), "-q"]) == 130
    assert list(spy_harness.calls["compare"]["pipelines"])[:2] == ["cov+ts", "eegnet"]
    assert "--paradigm erp|mi|resting|ssvep" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("protocol", "n_subjects", "fragments"),
    [
        ("loso", 1, ["--protocol loso needs two subjects", "Use --protocol within-subject"]),
        ("cross-session", 1, ["each subject here has one", "Use --protocol within-subject"]),
        ("cross-session", 3, ["Use --protocol within-subject or --protocol loso", "ses-"]),
    ],
)
def test_protocol_the_data_cannot_support_names_one_that_they_can(
    spy_harness, monkeypatch, make_epochs, capsys, protocol, n_subjects, fragments, tmp_path
):
    epochs = make_epochs(n_epochs=24)
    epochs.metadata["subject"] = 1 + np.arange(24) % n_subjects
    monkeypatch.setattr(cli, "_load", lambda args: _loaded(epochs, np.arange(24) % 2))
    argv = ["compare", "--protocol", protocol, "--out", str(tmp_path), "-q"]
    assert cli.main(argv) == 2
    line = _one_line_error(capsys, *fragments)
    assert "protocol=" not in line  # the command line's words, not Python's
    assert "compare" not in spy_harness.calls


def test_python_hints_are_spelled_as_options():
    msg = "Leave-one-subject-out needs two subjects. Use protocol='within-subject' instead."
    assert "Use --protocol within-subject instead" in cli._cli_words(msg)


def test_console_and_csv_mark_pretraining_overlap(spy, tmp_path, capsys):
    original = spy.compare

    def compare(*args, **kwargs):
        results = original(*args, **kwargs)
        results["pretraining_overlap"] = results["pipeline"] == "fm-cbramod"
        return results

    spy.compare = compare
    argv = ["compare", "--out", str(tmp_path), "--pipelines", "xdawn+ts,fm-cbramod", "-q"]
    assert cli.main(argv) == 0
    out = capsys.readouterr().out
    assert "fm-cbramod \u2020" in out and "saw this data set in pretraining" in out
    summary = pd.read_csv(tmp_path / "summary.csv")
    flagged = summary.groupby("pipeline")["pretraining_overlap"].any()
    assert flagged["fm-cbramod"] and not flagged["xdawn+ts"]
    stats = pd.read_csv(tmp_path / "stats.csv")
    assert set(stats["unit"]) == {"subject"} and (stats["min_p"] == 0.25).all()
    assert "(!) with 3 pairs the smallest achievable p-value is 0.25" in out


def _worker_filter(_):
    import warnings

    return warnings.filters[0][0], warnings.filters[0][2].__name__


@pytest.mark.slow
def test_parallel_workers_do_not_print_warnings(monkeypatch):
    """Workers start with warnings ignored; this process's environment is left alone."""
    from joblib import Parallel, delayed

    monkeypatch.delenv("PYTHONWARNINGS", raising=False)
    with cli._quiet_workers(2):
        seen = Parallel(n_jobs=2)(delayed(_worker_filter)(i) for i in range(2))
        assert "PYTHONWARNINGS" not in os.environ
    assert seen == [("ignore", "Warning")] * 2
    assert "PYTHONWARNINGS" not in os.environ
    with cli._quiet_workers(1):
        assert "PYTHONWARNINGS" not in os.environ


def test_fold_warnings_are_printed_once_after_the_bar(spy, tmp_path, capsys):
    import warnings

    original = spy.compare

    def compare(*args, **kwargs):
        for _ in range(3):
            warnings.warn("cbramod: zero-padded by 18 samples", UserWarning, stacklevel=1)
        return original(*args, **kwargs)

    spy.compare = compare
    argv = ["compare", "--out", str(tmp_path), "--pipelines", "erp-features", "-q"]
    assert cli.main(argv) == 0
    err = capsys.readouterr().err
    assert err.count("warning: cbramod: zero-padded by 18 samples") == 1


def test_sessions_from_a_column_enable_cross_session_on_one_visit_data(
    spy_harness, monkeypatch, make_epochs, capsys, tmp_path
):
    """EEGMMIDB holds one visit per subject: its runs can serve as sessions."""
    epochs = make_epochs(n_epochs=24)
    epochs.metadata["subject"] = 1
    epochs.metadata["run"] = np.repeat([4, 8, 12], 8)
    monkeypatch.setattr(cli, "_load", lambda args: _loaded(epochs, np.arange(24) % 2, "mi"))
    argv = ["compare", "--protocol", "cross-session", "--out", str(tmp_path), "-q"]
    assert cli.main(argv) == 2
    _one_line_error(capsys, "each subject here has one", "--sessions-from run")
    spy_harness.stop = True
    assert cli.main([*argv, "--sessions-from", "run"]) == 130
    assert spy_harness.calls["compare"]["protocol"] == "cross-session"
    assert sorted(set(epochs.metadata["session"])) == [4, 8, 12]  # what compare() read
    capsys.readouterr()
    assert cli.main([*argv, "--sessions-from", "visit"]) == 2
    _one_line_error(capsys, "--sessions-from visit: no such metadata column")
