"""The status line of a comparison (issue 25, item 1): what runs, how far, time left."""

import io
import re
import time
import warnings

import numpy as np
import pytest
from sklearn.dummy import DummyClassifier

from sklearn_eegfm._progress import report, reporting_to
from sklearn_eegfm.evaluation._plan import make_plan, prepare_data
from sklearn_eegfm.evaluation._progress import RunProgress, TaskState, status_line

HEAD = re.compile(r"^\[\d+/\d+ folds · [^\]]+\]")


class Terminal(io.StringIO):
    """A stream that says it is a terminal, so that the line is redrawn in place."""

    def isatty(self):
        return True


class Listener:
    """Keeps what estimators report."""

    def __init__(self):
        self.updates = []

    def update(self, **kwargs):
        self.updates.append(kwargs)


@pytest.fixture
def tasks(make_epochs):
    epochs = make_epochs(n_epochs=12)  # subjects 1, 2, 3
    data = prepare_data(epochs, np.arange(12) % 2, protocol="loso")
    pipes = {"xdawn+ts": DummyClassifier(), "eegnet": DummyClassifier()}
    plan = make_plan(pipes, data, protocol="loso", settings={}, seeds=[0], dataset="toy",
                     metrics=["roc_auc"])  # fmt: skip
    return plan.tasks  # per subject: xdawn+ts, then eegnet


def test_line_names_the_fold_the_step_and_the_time_left(tasks):
    now = 1000.0
    states = [TaskState(t) for t in tasks]
    states[0].started, states[0].finished = now - 40, now - 38  # xdawn+ts took 2 s
    eegnet = states[1]
    eegnet.started, eegnet.stage, eegnet.done, eegnet.total, eegnet.unit = (
        now - 30, "training", 3, 8, "epoch"
    )  # fmt: skip
    line = status_line(states, now, started=now - 40, n_jobs=1)
    assert line.startswith("[1/6 folds · 40 s · about 3 min 34 s left] ")
    # eegnet: 30 s for 3/8 epochs -> 80 s a fold, 50 s left in this one; two more
    # eegnet folds (160 s) and two xdawn+ts folds (4 s): 214 s
    assert line.endswith("eegnet, subject 1, fold 0, seed 0: training, epoch 3/8 (30 s)")
    # two folds at once: the work is shared
    assert "about 1 min 47 s left" in status_line(states, now, now - 40, n_jobs=2)
    # a running fold's own progress wins over its pipeline's mean: eegnet's first fold
    # took 80 s, its second is half done after 10 s -> 10 s left in it, not 70 s
    eegnet.finished = now - 10 + 0.0
    eegnet.started = now - 90
    second = states[3]
    second.started, second.stage, second.done, second.total, second.unit = (
        now - 10, "training", 4, 8, "epoch"
    )  # fmt: skip
    states[2].started, states[2].finished = now - 12, now - 10  # xdawn+ts, 2 s
    line = status_line(states, now, now - 90, n_jobs=1)
    # left: 10 s (this fold) + one eegnet fold (80 s) + one xdawn+ts fold (2 s) = 92 s
    assert "about 1 min 32 s left" in line, line
    eegnet.finished, eegnet.started, second.started = None, now - 30, None
    states[2].started = states[2].finished = None
    # a pipeline with no finished fold and no progress of its own: no made-up estimate
    eegnet.total = eegnet.done = None
    line = status_line(states, now, now - 40, n_jobs=1)
    assert "time left: estimating" in line and line.endswith(": training (30 s)")


def test_steps_reported_inside_fits_reach_the_redrawn_line(tasks, monkeypatch):
    monkeypatch.setenv("COLUMNS", "200")  # a wide terminal: the line is not cut
    out = Terminal()

    def fold(task):
        report("fitting")
        for epoch in range(1, 4):
            time.sleep(0.25)  # above the files' 0.2-s write interval
            report("training", epoch, 3, "epoch")
        time.sleep(0.05)
        return task.pipeline

    with RunProgress(tasks[:2], stream=out, refresh=0.01) as progress:
        run = progress.wrap(fold)
        for task in tasks[:2]:
            assert run(task) == task.pipeline
            progress.finished(task)
    frames = [f for f in out.getvalue().split("\r") if f.strip()]
    assert all(HEAD.match(f) for f in frames), frames  # one line, redrawn, never garbled
    text = " ".join(frames)
    assert "xdawn+ts, subject 1, fold 0, seed 0: training, epoch 2/3" in text
    assert "eegnet, subject 1, fold 0, seed 0: training, epoch" in text
    assert frames[-1].startswith("[2/2 folds") and "done" in frames[-1]
    assert out.getvalue().endswith("\n")


def test_no_line_and_no_wrapping_when_quiet(tasks):
    out = Terminal()
    with RunProgress(tasks, stream=out, enabled=False) as progress:
        assert progress.wrap(len) is len
    assert out.getvalue() == ""


@pytest.mark.slow
def test_scratch_networks_report_training_epochs_and_embedders_batches(make_epochs):
    from sklearn_eegfm import FMEmbedder
    from sklearn_eegfm.baselines import SpecialistClassifier

    epochs = make_epochs(n_epochs=16)
    y = np.arange(16) % 2
    listener = Listener()
    with reporting_to(listener):
        SpecialistClassifier("eegnet", max_epochs=2, batch_size=8).fit(epochs, y)
    epochs_seen = [(u["stage"], u["done"], u["total"]) for u in listener.updates]
    assert epochs_seen == [("training", 0, 2), ("training", 1, 2), ("training", 2, 2)]
    listener = Listener()
    with reporting_to(listener), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # random weights
        FMEmbedder("cbramod", weights=None, batch_size=6, cache=None).fit_transform(epochs)
    batches = [(u["stage"], u["done"], u["total"], u["unit"]) for u in listener.updates]
    assert batches[-3:] == [("embedding cbramod", i, 3, "batch") for i in (1, 2, 3)]
    report("nobody listens")  # outside the block: a no-op


def test_compare_shows_the_line_on_stderr(make_epochs, capsys):
    from sklearn_eegfm.evaluation import compare

    epochs = make_epochs(n_epochs=12)
    pipes = {"a": DummyClassifier(), "b": DummyClassifier(strategy="stratified")}
    compare(pipes, epochs, np.arange(12) % 2, protocol="loso", metrics=("kappa",),
            verbose=True)  # fmt: skip
    err = capsys.readouterr().err
    assert "[6/6 folds · " in err and "done]" in err
    compare(pipes, epochs, np.arange(12) % 2, protocol="loso", metrics=("kappa",))
    assert capsys.readouterr().err == ""


@pytest.mark.slow
def test_workers_progress_and_warnings_reach_the_runs_process(tasks, monkeypatch):
    """Two loky workers: their steps show on the parent's line, their warnings once
    each in the parent after it, instead of printing over it."""
    from sklearn_eegfm.evaluation._executor import Executor

    def fold(task):
        for epoch in range(1, 3):
            time.sleep(0.3)
            report("training", epoch, 2, "epoch")
        warnings.warn("a worker's warning", UserWarning, stacklevel=1)
        return task.pipeline

    monkeypatch.setenv("COLUMNS", "200")
    out = Terminal()
    with pytest.warns(UserWarning, match="a worker's warning") as caught:
        with RunProgress(tasks[:4], n_jobs=2, stream=out, refresh=0.05) as progress:
            done = list(Executor(2).map(progress.wrap(fold), tasks[:4]))
    assert [r for _, r in done] == [t.pipeline for t in tasks[:4]]
    assert len([w for w in caught if "a worker's warning" in str(w.message)]) == 1
    frames = [f for f in out.getvalue().split("\r") if f.strip()]
    assert all(HEAD.match(f) for f in frames), frames
    assert "training, epoch" in " ".join(frames)


def test_a_narrow_terminal_gets_the_line_cut_not_wrapped(tasks, monkeypatch):
    monkeypatch.setenv("COLUMNS", "60")
    out = Terminal()
    with RunProgress(tasks[:1], stream=out, refresh=0.01) as progress:
        progress.wrap(lambda task: time.sleep(0.05))(tasks[0])
    frames = [f.rstrip("\n") for f in out.getvalue().split("\r") if f.strip()]
    assert frames and all(len(f.rstrip()) <= 59 for f in frames), frames


def test_folds_finished_count_without_their_files(tasks):
    """A worker on another host (dask) cannot write the run's files: the results the
    run receives still count."""
    out = io.StringIO()
    with RunProgress(tasks[:2], stream=out, refresh=60) as progress:
        for task in tasks[:2]:  # never wrapped: no file is written
            progress.finished(task)
    assert out.getvalue().splitlines()[-1].startswith("[2/2 folds")
