"""Plots of comparison results: subject scores, means with intervals, few-shot curves.

Every function takes the tidy results table of :func:`sklearn_eegfm.evaluation.compare`
(one row per pipeline x fold x metric) and returns a :class:`matplotlib.figure.Figure`.
matplotlib is imported when a plot is drawn, so ``import sklearn_eegfm`` stays light
(``pip install 'sklearn-eegfm[viz]'`` installs it).

Folds that errored have a NaN score: they are left out of every plot and counted in
the title, so a pipeline that failed on half the subjects cannot look as good as one
that ran on all of them.
"""

from __future__ import annotations

import numpy as np

from ._validation import check_option
from .utils._display import natural_key

METRIC_LABELS = {
    "roc_auc": "AUROC",
    "balanced_accuracy": "Balanced accuracy",
    "kappa": "Cohen's kappa",
    "f1_weighted": "Weighted F1",
    "accuracy": "Accuracy",
}
# Chance level of each metric on a binary task (kappa is chance-corrected: 0).
CHANCE = {"roc_auc": 0.5, "balanced_accuracy": 0.5, "kappa": 0.0}
RANDOM_INIT = " (random init)"
# Marks pipelines whose model was pretrained on the evaluated data set.
OVERLAP_MARK = " \u2020"
OVERLAP_NOTE = "\u2020 pretrained on this data set"
# Subject lines get a label each up to this many subjects (beyond, they would overlap).
_MAX_LABELLED_SUBJECTS = 12
_REQUIRED = ("protocol", "pipeline", "subject", "fold", "metric", "score")


def _pyplot():
    from .utils._imports import import_optional_dependency

    import_optional_dependency("matplotlib", extra="viz")
    import matplotlib.pyplot as plt

    return plt


def _figure_and_axes(ax, figsize):
    """Return ``(fig, ax)``: the given axes' figure, or a new figure."""
    if ax is not None:
        return ax.figure, ax
    fig, ax = _pyplot().subplots(figsize=figsize, layout="constrained")
    return fig, ax


def _select(results, metric, protocol=None):
    """Rows of one metric (and protocol), and how many of them errored.

    Returns
    -------
    rows : pandas.DataFrame
        The metric's rows with a finite score.
    n_errored : int
        Rows of that metric whose score is NaN (folds that raised).
    """
    missing = [c for c in _REQUIRED if c not in results.columns]
    if missing:
        raise ValueError(
            f"results lack the columns {missing}; pass the table that "
            "sklearn_eegfm.evaluation.compare returns."
        )
    check_option("metric", metric, sorted(results["metric"].dropna().unique()))
    rows = results[results["metric"] == metric]
    if protocol is not None:
        check_option("protocol", protocol, sorted(rows["protocol"].dropna().unique()))
        rows = rows[rows["protocol"] == protocol]
    errored = rows["score"].isna()
    return rows[~errored], int(errored.sum())


def _side_by_side(names):
    """Order pipelines so that each adapted one (``base+tent``) follows its base."""
    names = list(names)

    def root(name):
        bases = [b for b in names if b != name and str(name).startswith(f"{b}+")]
        return root(max(bases, key=len)) if bases else name

    first = {}
    for name in names:
        first.setdefault(root(name), len(first))
    return sorted(names, key=lambda n: (first[root(n)], str(n).count("+"), names.index(n)))


def _pipeline_labels(results):
    """Map each pipeline to its axis label, marking randomly initialised models.

    Adapted pipelines sit next to their unadapted base; one whose adaptation was
    skipped on some domain (too few epochs) says so.
    """
    labels = {}
    for name in _side_by_side(results["pipeline"].unique()):
        weights = (
            results.loc[results["pipeline"] == name, "weights"]
            if "weights" in results.columns
            else []
        )
        labels[name] = f"{name}{RANDOM_INIT}" if "random" in set(weights) else str(name)
        if "adaptation_skipped" in results.columns:
            skipped = results.loc[results["pipeline"] == name, "adaptation_skipped"]
            if skipped.astype(str).eq("True").any():
                labels[name] += " (adaptation skipped)"
    from ._scores import overlap_flags

    for name, flag in overlap_flags(results).items():
        if flag:
            labels[name] += OVERLAP_MARK
    return labels


def _legend(ax, labels):
    """Draw the legend, with a line explaining the overlap mark when a label carries it."""
    from matplotlib.lines import Line2D

    handles, _ = ax.get_legend_handles_labels()
    if any(label.endswith(OVERLAP_MARK) for label in labels.values()):
        handles.append(Line2D([], [], ls="", label=OVERLAP_NOTE))
    ax.legend(handles=handles, loc="best", fontsize="small")


def _clipped(means, halves, metric):
    """Error bar lengths below and above each mean, clipped to the metric's range."""
    from ._scores import METRIC_RANGES

    lo, hi = METRIC_RANGES.get(metric, (-np.inf, np.inf))
    means, halves = np.asarray(means, float), np.asarray(halves, float)
    low = np.clip(means - halves, lo, hi)
    high = np.clip(means + halves, lo, hi)
    return low, high


def _set_title(ax, text):
    """Set a title wrapped to the axes' figure width, so that it is never cut."""
    import textwrap

    width_in = ax.figure.get_figwidth() * ax.get_position().width
    # Non-breaking spaces keep a parenthesis such as "(2 errored folds)" on one line.
    wrapped = textwrap.fill(text, width=max(28, int(width_in * 11)))
    ax.set_title(wrapped.replace("\u00a0", " "), fontsize="medium")


def _title(text, n_errored):
    if n_errored:
        text += f" ({n_errored}\u00a0errored\u00a0fold{'s' if n_errored > 1 else ''})"
    return text


def _metric_label(metric):
    return METRIC_LABELS.get(metric, metric)


def _draw_chance(ax, metric):
    if metric in CHANCE:
        ax.axhline(CHANCE[metric], color="0.5", ls="--", lw=1, label="chance", zorder=0)


def _units(rows):
    """Scores of the independent units: one per subject when there are several.

    Folds of one subject (within-subject CV, repeated seeds or draws) are not
    independent, so they are averaged first; with a single subject the folds are
    the only replicates there are.
    """
    if rows["subject"].nunique() > 1:
        return rows.groupby("subject", sort=True)["score"].mean().to_numpy()
    return rows["score"].to_numpy(dtype=float)


def mean_ci(scores, confidence=0.95):
    """Mean and t-based confidence interval half-width.

    Parameters
    ----------
    scores : array-like of float
        Independent replicates (subjects, or folds of one subject).
    confidence : float
        Coverage of the interval.

    Returns
    -------
    mean : float
        The mean (NaN when ``scores`` is empty).
    half_width : float
        Half the interval's width; 0 with fewer than two replicates (no spread to
        estimate), so that it draws as a bare point.

    Examples
    --------
    >>> from sklearn_eegfm.viz import mean_ci
    >>> mean, half = mean_ci([0.6, 0.7, 0.8])
    >>> round(mean, 2), round(half, 3)
    (0.7, 0.248)
    """
    from scipy import stats

    scores = np.asarray(scores, dtype=float)
    if scores.size == 0:
        return np.nan, 0.0
    mean = float(scores.mean())
    if scores.size < 2:
        return mean, 0.0
    sem = scores.std(ddof=1) / np.sqrt(scores.size)
    return mean, float(stats.t.ppf(0.5 + confidence / 2, scores.size - 1) * sem)


def _only_protocol(rows, protocol):
    """Pick the protocol to plot: the given one, or the only one in the table."""
    if protocol is not None:
        return protocol
    protocols = list(rows["protocol"].unique())
    if len(protocols) != 1:
        raise ValueError(
            f"results hold the protocols {sorted(protocols)}; choose one with protocol=."
        )
    return protocols[0]


def _largest_shot(rows, k_shot):
    """Keep one few-shot budget: the given one, or the largest (closest to full data)."""
    shots = rows["k_shot"].dropna() if "k_shot" in rows.columns else []
    if not len(shots):
        return rows, None
    k = shots.max() if k_shot is None else k_shot
    check_option("k_shot", k, sorted(shots.unique()))
    return rows[rows["k_shot"] == k], k


def _spread(values, gap):
    """Move sorted label positions apart by at least ``gap``, as little as possible."""
    order = np.argsort(values, kind="stable")
    placed = np.asarray(values, float)[order].copy()
    for i in range(1, len(placed)):
        placed[i] = max(placed[i], placed[i - 1] + gap)
    # Pushed-up labels drift away from their points; centre the block on them again.
    placed -= max(0.0, (placed - np.asarray(values, float)[order]).mean())
    for i in range(1, len(placed)):
        placed[i] = max(placed[i], placed[i - 1] + gap)
    out = np.empty_like(placed)
    out[order] = placed
    return out


def _label_ends(ax, ends, means):
    """Name each subject's line at its end, labels kept apart and clear of the mean."""
    if not ends:
        return
    low, high = ax.get_ylim()
    height_pt = ax.get_window_extent().height * 72 / ax.figure.dpi
    gap = (high - low) * 10.0 / max(height_pt, 1.0)  # one x-small (7 pt) line, spaced
    for where in sorted({e[0] for e in ends}):
        group = [e for e in ends if e[0] == where]
        ys = _spread([e[1] for e in group], gap)
        ys -= max(0.0, ys.max() - (high - gap / 2))  # keep the block inside the axes
        if ys.min() < low:
            low = ys.min() - gap
            ax.set_ylim(low, high)
        for (xpos, value, text), y in zip(group, ys):
            moved = abs(y - value) > 1e-9
            ax.annotate(
                text,
                (xpos, value),
                # right of the mean's diamond (8 pt wide), so that none sits on it
                xytext=(xpos + 0.12, y),
                textcoords="data",
                va="center",
                fontsize="x-small",
                color="0.35",
                arrowprops={"arrowstyle": "-", "color": "0.75", "lw": 0.6} if moved else None,
            )


def _subject_table(rows, pipelines):
    """Mean score of each subject (rows, in natural order) under each pipeline (columns)."""
    table = rows.pivot_table(index="subject", columns="pipeline", values="score", aggfunc="mean")
    table = table.reindex(columns=pipelines)
    return table.loc[sorted(table.index, key=natural_key)]  # S2 before S10


def _plot_subject_lines(ax, x, table, label_lines):
    """Draw one grey line per subject; return ``(x, score, label)`` of each line's end."""
    ends = []  # (x, score, label) of each subject's last finite point
    for i, (subject, scores) in enumerate(table.iterrows()):
        # NaN (a subject whose folds all errored) leaves a gap instead of a false line.
        values = scores.to_numpy(dtype=float)
        label = ("one subject" + (" (S<id>)" if label_lines else "")) if i == 0 else None
        ax.plot(x, values, "-o", color="0.6", ms=4, lw=1, alpha=0.8, label=label)
        finite = np.flatnonzero(np.isfinite(values))
        if label_lines and len(finite):
            ends.append((x[finite[-1]], values[finite[-1]], f"S{subject}"))
    return ends


def plot_subject_scores(results, metric="roc_auc", protocol=None, *, k_shot=None, ax=None):
    """Plot each subject's score under each pipeline, paired across pipelines.

    One grey line per subject joins its scores (averaged over folds, seeds and
    sessions) across the pipelines, so that a pipeline that wins on average but loses
    on most subjects shows. Black diamonds mark the mean over subjects.

    Parameters
    ----------
    results : pandas.DataFrame
        The table returned by :func:`sklearn_eegfm.evaluation.compare`.
    metric : str
        Which metric to plot, e.g. ``"roc_auc"`` or ``"balanced_accuracy"``.
    protocol : str | None
        Which protocol to plot; may be None when the table holds only one.
    k_shot : int | None
        For the few-shot protocol: which number of labelled examples per class to plot
        (the largest when None). Ignored for other protocols.
    ax : matplotlib.axes.Axes | None
        Axes to draw in; a new figure when None.

    Returns
    -------
    fig : matplotlib.figure.Figure
        The figure. Pipelines whose foundation model had random weights are labelled
        "(random init)"; a dashed line marks chance for AUROC, balanced accuracy
        (binary tasks) and kappa; the title counts errored folds, which are left out.

    See Also
    --------
    plot_mean_scores : Means with confidence intervals, by protocol.

    Examples
    --------
    >>> from sklearn_eegfm.evaluation import compare  # doctest: +SKIP
    >>> from sklearn_eegfm.viz import plot_subject_scores
    >>> results = compare(pipelines, epochs, protocol="loso")  # doctest: +SKIP
    >>> fig = plot_subject_scores(results, metric="roc_auc")  # doctest: +SKIP
    """
    _select(results, metric)  # validates the table and the metric first
    protocol = _only_protocol(results[results["metric"] == metric], protocol)
    rows, n_errored = _select(results, metric, protocol)
    rows, k = _largest_shot(rows, k_shot)
    labels = _pipeline_labels(
        results[(results["metric"] == metric) & (results["protocol"] == protocol)]
    )
    pipelines = list(labels)
    table = _subject_table(rows, pipelines)

    fig, ax = _figure_and_axes(ax, (max(4.0, 1.4 * len(pipelines) + 2), 4))
    x = np.arange(len(pipelines))
    label_lines = len(table) <= _MAX_LABELLED_SUBJECTS
    ends = _plot_subject_lines(ax, x, table, label_lines)
    means = table.mean().to_numpy(dtype=float)
    ax.plot(x, means, "D", color="k", ms=8, label="mean", zorder=3)
    _draw_chance(ax, metric)
    _label_ends(ax, ends, means)
    ax.set_xticks(x, [labels[p] for p in pipelines], rotation=20, ha="right")
    ax.set_xlim(-0.5, len(pipelines) - 0.5 + (0.4 if label_lines else 0))
    where = protocol if k is None else f"{protocol}, k={k:g}"
    ax.set(ylabel=_metric_label(metric))
    _set_title(
        ax,
        _title(f"{_metric_label(metric)} per subject ({where}, {len(table)} subjects)", n_errored),
    )
    _legend(ax, labels)
    return fig


def plot_mean_scores(results, metric="roc_auc", *, confidence=0.95, ax=None):
    """Plot each pipeline's mean score with a confidence interval, grouped by protocol.

    The interval is t-based over subjects (each subject's folds averaged first) or,
    when a protocol has a single subject, over its folds. For the few-shot protocol the
    largest number of shots is shown (see :func:`plot_learning_curve` for all of them).

    Parameters
    ----------
    results : pandas.DataFrame
        The table returned by :func:`sklearn_eegfm.evaluation.compare`.
    metric : str
        Which metric to plot.
    confidence : float
        Coverage of the intervals.
    ax : matplotlib.axes.Axes | None
        Axes to draw in; a new figure when None.

    Returns
    -------
    fig : matplotlib.figure.Figure
        The figure, one error bar per pipeline and protocol; the title counts errored
        folds, which are left out.

    See Also
    --------
    plot_subject_scores : The per-subject scores behind these means.

    Examples
    --------
    >>> from sklearn_eegfm.viz import plot_mean_scores
    >>> fig = plot_mean_scores(results, metric="roc_auc")  # doctest: +SKIP
    """
    rows, n_errored = _select(results, metric)
    labels = _pipeline_labels(results[results["metric"] == metric])
    pipelines = list(labels)
    protocols = list(results.loc[results["metric"] == metric, "protocol"].unique())
    fig, ax = _figure_and_axes(
        ax, (min(10.0, max(4.5, 0.8 * len(protocols) * len(pipelines) + 2)), 4)
    )
    # Pipelines side by side within each protocol's slot of width 0.8.
    width = 0.8 / len(pipelines)
    tick_labels = []
    for protocol in protocols:
        _, k = _largest_shot(rows[rows["protocol"] == protocol], None)
        tick_labels.append(protocol if k is None else f"{protocol} (k={k:g})")
    for i, pipeline in enumerate(pipelines):
        stats = [mean_ci(_units(_protocol_rows(rows, p, pipeline)), confidence) for p in protocols]
        means, halves = np.array(stats, dtype=float).T
        low, high = _clipped(means, halves, metric)
        ax.errorbar(
            np.arange(len(protocols)) - 0.4 + width * (i + 0.5),
            means,
            yerr=[means - low, high - means],
            fmt="o",
            capsize=4,
            label=labels[pipeline],
        )
    _draw_chance(ax, metric)
    ax.set_xticks(np.arange(len(protocols)), tick_labels)
    ax.set_xlim(-0.5, len(protocols) - 0.5)
    ax.set(ylabel=f"{_metric_label(metric)} (mean, {confidence:.0%} CI)")
    _set_title(ax, _title(f"Mean {_metric_label(metric)} by protocol", n_errored))
    _legend(ax, labels)
    return fig


def _protocol_rows(rows, protocol, pipeline):
    sub = rows[rows["protocol"] == protocol]
    sub, _ = _largest_shot(sub, None)
    return sub[sub["pipeline"] == pipeline]


def plot_learning_curve(results, metric="roc_auc", *, confidence=0.95, ax=None):
    """Plot the few-shot learning curve: score against labelled examples per class.

    Each pipeline gets its mean over subjects (each subject's draws and seeds averaged
    first) with a shaded t-based confidence interval.

    Parameters
    ----------
    results : pandas.DataFrame
        The table returned by :func:`sklearn_eegfm.evaluation.compare` with
        ``protocol="few-shot"``.
    metric : str
        Which metric to plot.
    confidence : float
        Coverage of the shaded intervals.
    ax : matplotlib.axes.Axes | None
        Axes to draw in; a new figure when None.

    Returns
    -------
    fig : matplotlib.figure.Figure
        The figure, one line per pipeline on a logarithmic shots axis; the title counts
        errored folds, which are left out.

    Raises
    ------
    ValueError
        If ``results`` hold no few-shot rows.

    See Also
    --------
    plot_mean_scores : Means of all protocols side by side.

    Examples
    --------
    >>> from sklearn_eegfm.evaluation import compare  # doctest: +SKIP
    >>> from sklearn_eegfm.viz import plot_learning_curve
    >>> results = compare(pipes, epochs, protocol="few-shot")  # doctest: +SKIP
    >>> fig = plot_learning_curve(results)  # doctest: +SKIP
    """
    _select(results, metric)  # validates the table and the metric first
    is_few = results["protocol"] == "few-shot"
    if "k_shot" in results.columns:
        is_few &= results["k_shot"].notna()
    few = results[is_few]
    if not len(few):
        protocols = sorted(results["protocol"].dropna().unique())
        raise ValueError(
            f"results hold no few-shot rows (protocols: {protocols}); run "
            "compare(..., protocol='few-shot') to get a learning curve."
        )
    rows, n_errored = _select(few, metric)
    labels = _pipeline_labels(few[few["metric"] == metric])
    shots = np.sort(few["k_shot"].dropna().unique())
    fig, ax = _figure_and_axes(ax, (6, 4))
    for pipeline, label in labels.items():
        sub = rows[rows["pipeline"] == pipeline]
        stats = [mean_ci(_units(sub[sub["k_shot"] == k]), confidence) for k in shots]
        means, halves = np.array(stats, dtype=float).T
        low, high = _clipped(means, halves, metric)
        (line,) = ax.plot(shots, means, "-o", label=label)
        ax.fill_between(shots, low, high, color=line.get_color(), alpha=0.2)
    _draw_chance(ax, metric)
    ax.set_xscale("log")
    ax.set_xticks(shots, [f"{k:g}" for k in shots])
    ax.minorticks_off()
    ax.set(
        xlabel="Labelled target examples per class (k)",
        ylabel=f"{_metric_label(metric)} (mean, {confidence:.0%} CI)",
    )
    _set_title(ax, _title(f"Few-shot {_metric_label(metric)}", n_errored))
    _legend(ax, labels)
    return fig
