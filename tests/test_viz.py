"""Plots of comparison results, on synthetic tables of the compare() schema."""

import matplotlib
import numpy as np
import pandas as pd
import pytest

matplotlib.use("Agg")  # headless: no display in CI
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from sklearn_eegfm.viz import (  # noqa: E402
    RANDOM_INIT,
    mean_ci,
    plot_learning_curve,
    plot_mean_scores,
    plot_subject_scores,
)

METRICS = ("balanced_accuracy", "roc_auc")
PIPELINES = {"xdawn+ts": "n/a", "erp-features": "n/a", "fm-cbramod": "random"}


def make_results(
    protocol="loso",
    subjects=(1, 2, 4),
    pipelines=PIPELINES,
    n_folds=1,
    shots=(None,),
    errored=(),
    seed=0,
):
    """A results table as compare() returns it; ``errored`` lists (pipeline, subject)."""
    rng = np.random.default_rng(seed)
    rows = []
    for pipeline, weights in pipelines.items():
        for subject in subjects:
            for k in shots:
                for fold in range(n_folds):
                    failed = (pipeline, subject) in errored
                    for metric in METRICS:
                        rows.append(
                            {
                                "dataset": "custom",
                                "protocol": protocol,
                                "pipeline": pipeline,
                                "seed": 0,
                                "subject": subject,
                                "session": 1 if protocol != "few-shot" else np.nan,
                                "fold": fold,
                                "k_shot": np.nan if k is None else k,
                                "metric": metric,
                                "score": np.nan if failed else rng.uniform(0.45, 0.9),
                                "time": 0.1,
                                "predict_time": 0.01,
                                "n_samples": 100,
                                "n_train": 80,
                                "weights": weights,
                                "pretraining_overlap": False,
                                "error": "RuntimeError: boom" if failed else "",
                            }
                        )
    return pd.DataFrame(rows)


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def _data_lines(ax):
    """Lines drawn from data (not the horizontal chance line)."""
    return [line for line in ax.get_lines() if line.get_label() != "chance"]


def test_subject_scores_paired_lines():
    results = make_results(subjects=(1, 2, 4, 5))
    fig = plot_subject_scores(results, metric="roc_auc")
    assert isinstance(fig, Figure)
    ax = fig.axes[0]
    lines = _data_lines(ax)
    # One line per subject plus one line of mean markers.
    assert len(lines) == 4 + 1
    assert all(len(line.get_xdata()) == len(PIPELINES) for line in lines)
    labels = [t.get_text() for t in ax.get_xticklabels()]
    assert labels == ["xdawn+ts", "erp-features", f"fm-cbramod{RANDOM_INIT}"]
    chance = [line for line in ax.get_lines() if line.get_label() == "chance"]
    assert len(chance) == 1 and chance[0].get_ydata()[0] == 0.5
    assert "AUROC" in ax.get_ylabel() and "loso" in ax.get_title()
    assert "errored" not in ax.get_title()


def test_subject_scores_means_match_table():
    results = make_results(n_folds=3)
    ax = plot_subject_scores(results, metric="balanced_accuracy").axes[0]
    mean_line = next(line for line in ax.get_lines() if line.get_label() == "mean")
    rows = results[results["metric"] == "balanced_accuracy"]
    per_subject = rows.groupby(["pipeline", "subject"])["score"].mean()
    expected = per_subject.groupby("pipeline").mean()[list(PIPELINES)]
    np.testing.assert_allclose(mean_line.get_ydata(), expected.to_numpy())


def test_subject_scores_errored_folds_counted_and_left_out():
    results = make_results(errored=[("fm-cbramod", 2)])
    ax = plot_subject_scores(results).axes[0]
    assert "(1 errored fold)" in ax.get_title()
    subject_lines = [line for line in _data_lines(ax) if line.get_label() != "mean"]
    # Subject 2 has no fm-cbramod score: a gap, not a zero.
    assert sum(np.isnan(line.get_ydata()).any() for line in subject_lines) == 1
    mean_line = next(line for line in ax.get_lines() if line.get_label() == "mean")
    assert np.isfinite(mean_line.get_ydata()).all()


def test_subject_scores_needs_protocol_when_several():
    results = pd.concat([make_results("loso"), make_results("cross-session")])
    with pytest.raises(ValueError, match="choose one with protocol="):
        plot_subject_scores(results)
    ax = plot_subject_scores(results, protocol="cross-session").axes[0]
    assert "cross-session" in ax.get_title()
    with pytest.raises(ValueError, match="Invalid protocol"):
        plot_subject_scores(results, protocol="lososo")


def test_subject_scores_few_shot_uses_largest_k_and_existing_axes():
    results = make_results("few-shot", shots=(1, 5, 10), n_folds=2)
    fig, ax = plt.subplots()
    assert plot_subject_scores(results, ax=ax) is fig
    assert "k=10" in ax.get_title()
    plot_subject_scores(results, k_shot=5, ax=ax)
    assert "k=5" in ax.get_title()


def test_unknown_metric_and_bad_table():
    results = make_results()
    with pytest.raises(ValueError, match="Invalid metric='accuracy'"):
        plot_mean_scores(results, metric="accuracy")
    with pytest.raises(ValueError, match="lack the columns"):
        plot_subject_scores(results.drop(columns="score"))


def test_no_chance_line_for_f1():
    results = make_results()
    results["metric"] = results["metric"].replace("roc_auc", "f1_weighted")
    ax = plot_subject_scores(results, metric="f1_weighted").axes[0]
    assert not [line for line in ax.get_lines() if line.get_label() == "chance"]


def test_mean_scores_one_errorbar_per_pipeline_grouped_by_protocol():
    results = pd.concat(
        [make_results("loso", seed=0), make_results("within-subject", n_folds=5, seed=1)]
    )
    fig = plot_mean_scores(results, metric="roc_auc")
    ax = fig.axes[0]
    assert len(ax.containers) == len(PIPELINES)
    assert [t.get_text() for t in ax.get_xticklabels()] == ["loso", "within-subject"]
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert f"fm-cbramod{RANDOM_INIT}" in legend and "chance" in legend
    # Each pipeline's points: one per protocol, at the mean over subjects.
    points = ax.containers[0].lines[0].get_ydata()
    rows = results[(results["metric"] == "roc_auc") & (results["pipeline"] == "xdawn+ts")]
    by_subject = rows.groupby(["protocol", "subject"])["score"].mean()
    expected = by_subject.groupby("protocol").mean()[["loso", "within-subject"]]
    np.testing.assert_allclose(points, expected.to_numpy())


def test_mean_scores_errored_annotation():
    results = make_results(errored=[("xdawn+ts", 1), ("fm-cbramod", 4)])
    ax = plot_mean_scores(results).axes[0]
    assert "(2 errored folds)" in ax.get_title()


def test_learning_curve_lines_and_bands():
    results = make_results("few-shot", shots=(1, 2, 5, 10), n_folds=3)
    ax = plot_learning_curve(results, metric="roc_auc").axes[0]
    lines = _data_lines(ax)
    assert len(lines) == len(PIPELINES)
    np.testing.assert_array_equal(lines[0].get_xdata(), [1, 2, 5, 10])
    assert len(ax.collections) == len(PIPELINES)  # one confidence band per pipeline
    assert ax.get_xscale() == "log"
    assert [t.get_text() for t in ax.get_xticklabels()] == ["1", "2", "5", "10"]
    assert "errored" not in ax.get_title()


def test_learning_curve_ignores_other_protocols_and_counts_errors():
    results = pd.concat(
        [
            make_results("loso"),
            make_results(
                "few-shot",
                shots=(1, 5),
                errored=[("eegnet", 1)],
                pipelines={**PIPELINES, "eegnet": "n/a"},
            ),
        ]
    )
    ax = plot_learning_curve(results).axes[0]
    assert len(_data_lines(ax)) == len(PIPELINES) + 1
    # eegnet failed for subject 1 at both k = 1 and k = 5.
    assert "(2 errored folds)" in ax.get_title()


def test_learning_curve_without_few_shot_rows():
    with pytest.raises(ValueError, match="no few-shot rows.*protocol='few-shot'"):
        plot_learning_curve(make_results("loso"))


def test_mean_ci():
    mean, half = mean_ci([0.6, 0.7, 0.8])
    assert mean == pytest.approx(0.7)
    # t(0.975, 2) * 0.1 / sqrt(3)
    assert half == pytest.approx(4.302653 * 0.1 / np.sqrt(3), rel=1e-5)
    assert mean_ci([0.7]) == (0.7, 0.0)
    assert np.isnan(mean_ci([])[0])


def test_single_subject_ci_uses_folds():
    results = make_results("within-subject", subjects=(1,), n_folds=5)
    ax = plot_mean_scores(results).axes[0]
    # With one subject the folds are the replicates: intervals are not zero-width.
    segments = ax.containers[0].lines[2][0].get_segments()
    assert all(seg[1][1] > seg[0][1] for seg in segments)


def test_intervals_are_clipped_to_the_metric_range():
    results = make_results(subjects=(1, 2, 4))
    auc = results["metric"] == "roc_auc"
    results.loc[auc, "score"] = np.where(results.loc[auc, "subject"] == 1, 0.6, 1.0)
    ax = plot_mean_scores(results, metric="roc_auc").axes[0]
    tops = [seg[:, 1].max() for c in ax.collections for seg in c.get_segments()]
    assert tops and max(tops) <= 1.0  # a t-interval of 0.87 +- 0.57 would reach 1.44
    few = make_results(protocol="few-shot", shots=(1, 5))
    few.loc[few["metric"] == "roc_auc", "score"] = np.where(
        few.loc[few["metric"] == "roc_auc", "subject"] == 1, 0.5, 1.0
    )
    ax = plot_learning_curve(few, metric="roc_auc").axes[0]
    band = ax.collections[0].get_paths()[0].vertices[:, 1]
    assert band.max() <= 1.0


def test_subject_lines_are_labelled_and_overlap_is_marked():
    results = make_results(subjects=(1, 2, 4))
    results["pretraining_overlap"] = results["pipeline"] == "fm-cbramod"
    ax = plot_subject_scores(results, metric="roc_auc").axes[0]
    texts = sorted(t.get_text() for t in ax.texts)
    assert texts == ["S1", "S2", "S4"]
    ticks = [t.get_text() for t in ax.get_xticklabels()]
    assert ticks[-1].endswith("\u2020")
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert "\u2020 pretrained on this data set" in legend
    assert any(t.startswith("one subject") for t in legend)


def test_long_titles_are_wrapped_not_cut():
    results = make_results(errored=[("xdawn+ts", 1), ("xdawn+ts", 2)])
    fig = plot_subject_scores(results, metric="roc_auc")
    fig.set_size_inches(3, 3)
    title = plot_subject_scores(results, metric="roc_auc", ax=fig.axes[0]).axes[0].get_title()
    assert "(2 errored folds)" in title.replace("\n", " ")
    assert "errored\n" not in title  # the count stays on one line


def test_subject_labels_stay_apart_clear_of_the_mean_and_in_natural_order():
    """Issue 25: "S10" overlapped "S11", "S1" sat on the mean marker, 10 sorted before 2."""
    res = make_results(subjects=tuple(str(s) for s in range(1, 12)))
    res["score"] = 0.7 + 0.001 * res["subject"].astype(int)  # every line ends at ~0.7
    fig = plot_subject_scores(res, metric="roc_auc")
    ax = fig.axes[0]
    fig.canvas.draw()
    labels = [t for t in ax.texts if t.get_text().startswith("S")]
    assert [t.get_text() for t in labels] == [f"S{i}" for i in range(1, 12)]
    from matplotlib.text import Text

    boxes = [Text.get_window_extent(t) for t in labels]  # the text, not its leader line
    for i, a in enumerate(boxes):
        for b in boxes[i + 1 :]:
            assert not a.overlaps(b), "subject labels overlap"
    (mean_line,) = [line for line in ax.get_lines() if line.get_label() == "mean"]
    xy = ax.transData.transform(np.column_stack(mean_line.get_data()))[-1]
    for box in boxes:  # the 8-pt diamond spans about 6 px either side at 100 dpi
        assert box.x0 > xy[0] + 4, "a label sits on the mean marker"
