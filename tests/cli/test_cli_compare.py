"""sklearn-eegfm compare: parsing, user errors, outputs, and real runs."""

import importlib.util
import os
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from sklearn_eegfm import cli
from sklearn_eegfm.models import get_contract

METRICS = ("balanced_accuracy", "roc_auc", "kappa", "f1_weighted")
BASELINES = ("xdawn+ts", "erp-features", "eegnet")
HAS_EVALUATION = importlib.util.find_spec("sklearn_eegfm.evaluation") is not None


# ----------------------------------------------------------------- a stand-in harness
class FakeHarness:
    """Records what the command asks of the evaluation package and returns tables
    of compare()'s schema, so that the command's plumbing is tested in milliseconds."""

    METRICS = METRICS

    DEFAULT_BASELINES = BASELINES

    def __init__(self, fail=False):
        self.fail = fail
        self.calls = {}
        from sklearn_eegfm.evaluation import pipelines

        self.pipeline_model = pipelines.pipeline_model  # name parsing is real, and cheap
        self.describe_names = pipelines.describe_names
        self.default_baselines = pipelines.default_baselines

    def make_named_pipeline(self, name, *, weights="auto", fast=False):
        model = self.pipeline_model(name)
        if model is None:
            return f"<{name}>"
        return f"<{name} weights={weights[model] if isinstance(weights, dict) else weights}>"

    def compare(self, pipelines, epochs, y=None, **kwargs):
        path = kwargs["results_path"]
        self.calls["compare"] = {
            **kwargs,
            "pipelines": dict(pipelines),
            "n_epochs": len(epochs),
            "partial_existed": path.exists(),
            "home": os.environ.get("SKLEARN_EEGFM_HOME"),
        }
        rng = np.random.default_rng(0)
        protocol = kwargs["protocol"]
        shots = kwargs["shots"] if protocol == "few-shot" else (np.nan,)
        rows = [
            {
                "dataset": kwargs["dataset"],
                "protocol": protocol,
                "pipeline": name,
                "seed": 0,
                "subject": subject,
                "session": 1,
                "fold": 0,
                "k_shot": k,
                "metric": metric,
                "score": np.nan if self.fail else rng.uniform(0.4, 0.9),
                "time": 0.1,
                "predict_time": 0.01,
                "n_samples": 8,
                "n_train": 16,
                "weights": "random" if name.startswith("fm-") else "n/a",
                "pretraining_overlap": False,
                "error": "RuntimeError: boom" if self.fail else "",
            }
            for name in pipelines
            for subject in (1, 2, 3)
            for k in shots
            for metric in kwargs.get("metrics", METRICS)
        ]
        results = pd.DataFrame(rows)
        results.to_csv(path, index=False)
        return results

    def summarize(self, results):
        from sklearn_eegfm.evaluation import summarize

        return summarize(results)

    def paired_stats(self, results, metric="roc_auc"):
        from sklearn_eegfm.evaluation import paired_stats

        self.calls["paired_stats"] = metric
        return paired_stats(results, metric=metric)


@pytest.fixture
def fake_harness(monkeypatch, tmp_path):
    """Stand in for the evaluation package, with an empty weights cache."""
    harness = FakeHarness()
    harness.tmp = tmp_path / "out"
    monkeypatch.setattr(cli, "_harness", lambda: harness)
    # An empty cache: the default run finds no pretrained checkpoint.
    monkeypatch.setenv("SKLEARN_EEGFM_HOME", str(tmp_path / "empty_cache"))
    return harness


def _loaded(epochs, y, paradigm="erp", dataset="p300-demo"):
    from sklearn_eegfm.datasets import LoadedData

    return LoadedData(epochs, np.asarray(y), dataset, paradigm, "demo", [])


@pytest.fixture
def fake(fake_harness, monkeypatch, make_epochs):
    """Stand in for the evaluation package and the data (24 small synthetic epochs)."""
    epochs = make_epochs(n_epochs=24)
    y = np.arange(24) % 2
    monkeypatch.setattr(cli, "_load", lambda args: _loaded(epochs, y))
    return fake_harness


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
def test_unknown_pipeline(fake, tmp_path, capsys):
    code = cli.main(["compare", "--out", str(tmp_path), "--pipelines", "xdawn+ts,riemann"])
    assert code == 2
    line = _one_line_error(capsys, "Unknown pipeline(s) ['riemann']", "available:")
    for name in (*BASELINES, "fm-cbramod"):
        assert name in line
    assert "compare" not in fake.calls  # nothing ran


def test_unknown_model(fake, tmp_path, capsys):
    assert cli.main(["compare", "--out", str(tmp_path), "--models", "nomodel"]) == 2
    _one_line_error(capsys, "nomodel", "cbramod")


def test_missing_data_path(tmp_path, capsys):
    missing = tmp_path / "no_such_folder"
    assert cli.main(["compare", "--data", str(missing), "--out", str(tmp_path)]) == 2
    _one_line_error(capsys, "--data", "no such file or folder")


def test_glob_without_matches(fake_harness, tmp_path, capsys):
    pattern = str(tmp_path / "*.csv")
    assert cli.main(["compare", "--data", pattern, "--out", str(tmp_path), "--quiet"]) == 2
    _one_line_error(capsys, "found no recordings", "-epo.fif", ".edf", "--bids-root")


def test_reader_needs_data(tmp_path, capsys):
    assert cli.main(["compare", "--reader", "eegmmidb", "--out", str(tmp_path)]) == 2
    _one_line_error(capsys, "--reader needs --data")


def test_weights_folder_missing_or_empty(fake, tmp_path, capsys):
    assert cli.main(["compare", "--weights", str(tmp_path / "nope"), "--out", str(tmp_path)]) == 2
    _one_line_error(capsys, "not a folder")
    empty = tmp_path / "weights"
    empty.mkdir()
    assert cli.main(["compare", "--weights", str(empty), "--out", str(tmp_path)]) == 2
    _one_line_error(capsys, "no cbramod checkpoint")


def test_unknown_metric(fake, tmp_path, capsys):
    assert cli.main(["compare", "--metric", "accuracy", "--out", str(tmp_path)]) == 2
    _one_line_error(capsys, "--metric accuracy", "roc_auc")


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


# ------------------------------------------------------------------ plumbing (fake)
def test_compare_outputs_with_stand_in(fake, tmp_path, capsys):
    out = tmp_path / "out"
    assert cli.main(["compare", "--out", str(out), "--n-jobs", "2", "--seeds", "2"]) == 0
    call = fake.calls["compare"]
    assert list(call["pipelines"]) == [*BASELINES, "fm-cbramod"]
    assert call["pipelines"]["fm-cbramod"] == "<fm-cbramod weights=None>"  # nothing cached
    assert (call["protocol"], call["n_jobs"], call["n_seeds"]) == ("loso", 2, 2)
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
    captured = capsys.readouterr()
    assert "fm-cbramod uses RANDOM weights" in captured.err
    assert "Summary" in captured.out and "Paired statistics (roc_auc" in captured.out
    for name in (*BASELINES, "fm-cbramod"):
        assert name in captured.out


def test_few_shot_writes_learning_curve(fake, tmp_path, capsys):
    argv = ["compare", "--out", str(tmp_path), "--protocol", "few-shot", "--shots", "1,3"]
    assert cli.main([*argv, "--metric", "balanced_accuracy", "--quiet"]) == 0
    assert fake.calls["compare"]["shots"] == (1, 3)
    assert fake.calls["compare"]["verbose"] is False
    assert fake.calls["paired_stats"] == "balanced_accuracy"
    assert (tmp_path / "learning_curve.png").is_file()
    out = capsys.readouterr().out
    assert "Wrote" not in out  # --quiet: tables only
    assert "few-shot" in out


def test_pipelines_subset_keeps_order(fake, tmp_path):
    argv = ["compare", "--out", str(tmp_path), "--pipelines", "fm-cbramod,xdawn+ts", "-q"]
    assert cli.main(argv) == 0
    assert list(fake.calls["compare"]["pipelines"]) == ["fm-cbramod", "xdawn+ts"]


def test_weights_folder_is_passed_for_the_run(fake, tmp_path):
    """The --weights folder reaches the estimators as an argument, not as $SKLEARN_EEGFM_HOME."""
    contract = get_contract("cbramod")
    checkpoint = tmp_path / "weights" / contract.hub_repo / contract.hub_files[0]
    checkpoint.parent.mkdir(parents=True)
    checkpoint.write_bytes(b"")  # only its presence matters here
    before = os.environ["SKLEARN_EEGFM_HOME"]
    argv = ["compare", "--weights", str(tmp_path / "weights"), "--out", str(tmp_path), "-q"]
    assert cli.main(argv) == 0
    call = fake.calls["compare"]
    assert call["home"] == before  # the environment is never written, not even for the run
    found = (tmp_path / "weights").resolve() / contract.hub_repo / contract.hub_files[0]
    assert call["pipelines"]["fm-cbramod"] == f"<fm-cbramod weights={found}>"
    assert os.environ["SKLEARN_EEGFM_HOME"] == before


def test_weights_random(fake, tmp_path):
    assert cli.main(["compare", "--weights", "random", "--out", str(tmp_path), "-q"]) == 0
    assert fake.calls["compare"]["pipelines"]["fm-cbramod"] == "<fm-cbramod weights=None>"


def test_fresh_run_drops_old_partial_resume_keeps_it(fake, tmp_path):
    partial = tmp_path / "results_partial.csv"
    pd.DataFrame({"protocol": ["loso"], "dataset": ["p300-demo"]}).to_csv(partial, index=False)
    assert cli.main(["compare", "--out", str(tmp_path), "-q"]) == 0
    assert fake.calls["compare"]["partial_existed"] is False
    pd.DataFrame({"protocol": ["loso"], "dataset": ["p300-demo"]}).to_csv(partial, index=False)
    assert cli.main(["compare", "--out", str(tmp_path), "--resume", "-q"]) == 0
    assert fake.calls["compare"]["partial_existed"] is True


def test_resume_refuses_another_run(fake, tmp_path, capsys):
    partial = tmp_path / "results_partial.csv"
    pd.DataFrame({"protocol": ["few-shot"], "dataset": ["p300-demo"]}).to_csv(partial, index=False)
    assert cli.main(["compare", "--out", str(tmp_path), "--resume", "-q"]) == 2
    _one_line_error(capsys, "holds another run", "few-shot")
    assert partial.exists()


def test_every_fold_failing_exits_1(fake, tmp_path, capsys):
    fake.fail = True
    assert cli.main(["compare", "--out", str(tmp_path), "-q"]) == 1
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
@pytest.mark.skipif(
    not HAS_EVALUATION, reason="sklearn_eegfm.evaluation (the compare harness) is not installed"
)
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
@pytest.mark.skipif(
    not HAS_EVALUATION, reason="sklearn_eegfm.evaluation (the compare harness) is not installed"
)
def test_resume_skips_finished_folds(tmp_path, capsys, monkeypatch):
    import importlib

    argv = ["compare", "--out", str(tmp_path), "--max-epochs-per-subject", "30", "--quiet"]
    argv += ["--pipelines", "xdawn+ts,erp-features"]
    module = importlib.import_module("sklearn_eegfm.evaluation.compare")
    real = module._run_fold

    def stop_at_erp_features(name, *args, **kwargs):
        if name == "erp-features":
            raise KeyboardInterrupt  # interrupted after the first xdawn+ts fold
        return real(name, *args, **kwargs)

    monkeypatch.setattr(module, "_run_fold", stop_at_erp_features)
    assert cli.main(argv) == 130
    monkeypatch.setattr(module, "_run_fold", real)
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
def test_motor_imagery_data_get_motor_imagery_baselines(fake_harness, monkeypatch, make_epochs):
    epochs = make_epochs(n_epochs=24)
    y = np.where(np.arange(24) % 2, "left_fist", "right_fist")
    monkeypatch.setattr(cli, "_load", lambda args: _loaded(epochs, y, "mi", "eegmmidb"))
    assert cli.main(["compare", "--out", str(fake_harness.tmp), "-q"]) == 0
    assert list(fake_harness.calls["compare"]["pipelines"]) == [
        "csp",
        "cov+ts",
        "eegnet",
        "fm-cbramod",
    ]
    assert fake_harness.calls["compare"]["dataset"] == "eegmmidb"


def test_unknown_paradigm_says_how_to_set_it(fake_harness, monkeypatch, make_epochs, capsys):
    epochs = make_epochs(n_epochs=24)
    monkeypatch.setattr(cli, "_load", lambda args: _loaded(epochs, np.arange(24) % 2, None))
    assert cli.main(["compare", "--out", str(fake_harness.tmp), "-q"]) == 0
    assert list(fake_harness.calls["compare"]["pipelines"])[:2] == ["cov+ts", "eegnet"]
    assert "--paradigm erp|mi|resting" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("protocol", "n_subjects", "fragments"),
    [
        ("loso", 1, ["--protocol loso needs two subjects", "Use --protocol within-subject"]),
        ("cross-session", 1, ["each subject here has one", "Use --protocol within-subject"]),
        ("cross-session", 3, ["Use --protocol within-subject or --protocol loso", "ses-"]),
    ],
)
def test_protocol_the_data_cannot_support_names_one_that_they_can(
    fake_harness, monkeypatch, make_epochs, capsys, protocol, n_subjects, fragments
):
    epochs = make_epochs(n_epochs=24)
    epochs.metadata["subject"] = 1 + np.arange(24) % n_subjects
    monkeypatch.setattr(cli, "_load", lambda args: _loaded(epochs, np.arange(24) % 2))
    argv = ["compare", "--protocol", protocol, "--out", str(fake_harness.tmp), "-q"]
    assert cli.main(argv) == 2
    line = _one_line_error(capsys, *fragments)
    assert "protocol=" not in line  # the command line's words, not Python's
    assert "compare" not in fake_harness.calls


def test_python_hints_are_spelled_as_options():
    msg = "Leave-one-subject-out needs two subjects. Use protocol='within-subject' instead."
    assert "Use --protocol within-subject instead" in cli._cli_words(msg)


def test_console_and_csv_mark_pretraining_overlap(fake, tmp_path, capsys):
    original = fake.compare

    def compare(*args, **kwargs):
        results = original(*args, **kwargs)
        results["pretraining_overlap"] = results["pipeline"] == "fm-cbramod"
        return results

    fake.compare = compare
    assert cli.main(["compare", "--out", str(tmp_path), "-q"]) == 0
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


def test_fold_warnings_are_printed_once_after_the_bar(fake, tmp_path, capsys):
    import warnings

    original = fake.compare

    def compare(*args, **kwargs):
        for _ in range(3):
            warnings.warn("cbramod: zero-padded by 18 samples", UserWarning, stacklevel=1)
        return original(*args, **kwargs)

    fake.compare = compare
    assert cli.main(["compare", "--out", str(tmp_path), "-q"]) == 0
    err = capsys.readouterr().err
    assert err.count("warning: cbramod: zero-padded by 18 samples") == 1


def test_sessions_from_a_column_enable_cross_session_on_one_visit_data(
    fake_harness, monkeypatch, make_epochs, capsys
):
    """EEGMMIDB holds one visit per subject: its runs can serve as sessions."""
    epochs = make_epochs(n_epochs=24)
    epochs.metadata["subject"] = 1
    epochs.metadata["run"] = np.repeat([4, 8, 12], 8)
    monkeypatch.setattr(cli, "_load", lambda args: _loaded(epochs, np.arange(24) % 2, "mi"))
    argv = ["compare", "--protocol", "cross-session", "--out", str(fake_harness.tmp), "-q"]
    assert cli.main(argv) == 2
    _one_line_error(capsys, "each subject here has one", "--sessions-from run")
    assert cli.main([*argv, "--sessions-from", "run"]) == 0
    assert fake_harness.calls["compare"]["protocol"] == "cross-session"
    assert sorted(set(epochs.metadata["session"])) == [4, 8, 12]  # what compare() read
    capsys.readouterr()
    assert cli.main([*argv, "--sessions-from", "visit"]) == 2
    _one_line_error(capsys, "--sessions-from visit: no such metadata column")
