"""What a comparison says, in the console and as an HTML report (:class:`mne.Report`).

The console tables and the HTML report are written from the same tables
(:func:`summarize`, :func:`paired_stats`), so they cannot disagree: pipelines whose
model saw the data in pretraining carry a mark in both, statistics state their pairing
unit and the smallest p-value they can reach, and no test is shown for fewer than two
pairs.
"""

from __future__ import annotations

import html
import warnings
from pathlib import Path

import numpy as np

from ..utils._display import natural_key, seconds
from .results import ALPHA

#: Mark of a pipeline whose foundation model was pretrained on the evaluated data set.
OVERLAP_MARK = "\u2020"
OVERLAP_NOTE = (
    f"{OVERLAP_MARK} the model saw this data set in pretraining: its score is optimistic."
)


def _marked(names, flags):
    return [f"{n} {OVERLAP_MARK}" if flags.get(n, False) else n for n in names]


def format_summary(summary):
    """One row per protocol, pipeline (and k); one ``mean ± std`` column per metric.

    Parameters
    ----------
    summary : pandas.DataFrame
        Output of :func:`summarize`.

    Returns
    -------
    text : str
        The table; pipelines with pretraining overlap end in the mark ``†``.
    """
    return summary_table(summary).to_string()


def summary_table(summary):
    """Lay the summary out: one row per protocol, pipeline (and k), cells ``mean ± std``.

    Parameters
    ----------
    summary : pandas.DataFrame
        Output of :func:`summarize`.

    Returns
    -------
    table : pandas.DataFrame
        Indexed by protocol, pipeline (and k); one text column per metric, then ``n``
        and ``weights``.
    """
    table = summary.copy()
    cell = table["mean"].map("{:.3f}".format) + " ± " + table["std"].map("{:.3f}".format)
    table["cell"] = cell.str.replace("nan", "-")
    if "pretraining_overlap" in table:
        flags = table.groupby("pipeline")["pretraining_overlap"].any().to_dict()
        table["pipeline"] = _marked(table["pipeline"], flags)
    index = ["protocol", "pipeline"]
    if table["k_shot"].notna().any():
        table["k"] = table["k_shot"]  # numeric, so that 10 sorts after 5
        index.append("k")
    wide = table.pivot_table(index=index, columns="metric", values="cell", aggfunc="first")
    wide = wide[list(table["metric"].unique())]  # the metrics in the order they were asked
    order = {p: i for i, p in enumerate(table["pipeline"].unique())}
    wide = wide.sort_index(
        key=lambda s: s.map(order) if s.name == "pipeline" else s, sort_remaining=True
    )
    extra = table.groupby(index, sort=False).agg(n=("n", "max"), weights=("weights", "first"))
    wide = wide.join(extra)
    if "k" in index:
        wide.index = wide.index.set_levels(
            [f"{k:g}" for k in wide.index.levels[-1]], level="k", verify_integrity=False
        )
    return wide


def _stats_table(stats, order):
    rank = {name: i for i, name in enumerate(order)}
    keys = [c for c in ("protocol", "k_shot") if c in stats.columns] + ["rank_"]
    stats = stats.assign(rank_=stats["pipeline"].map(rank)).sort_values(keys)
    shown = stats.copy()
    if "pretraining_overlap" in shown:
        flags = dict(zip(shown["pipeline"], shown["pretraining_overlap"].astype(bool)))
        shown["pipeline"] = _marked(shown["pipeline"], flags)
    no_test = shown["n_pairs"] < 2
    for col in ("ci_low", "ci_high", "p_value", "effect_size"):
        shown[col] = shown[col].map(lambda v: "-" if np.isnan(v) else f"{v:.3f}")
    shown.loc[no_test, "p_value"] = "no test"
    shown["min_p"] = [
        f"{p:.3g}" + (" (!)" if p > ALPHA else "") for p in shown["min_p"].to_numpy(float)
    ]
    columns = [
        c
        for c in (
            "protocol", "k_shot", "pipeline", "baseline", "mean", "baseline_mean", "mean_diff",
            "ci_low", "ci_high", "p_value", "effect_size", "n_pairs", "unit", "min_p", "test",
        )
        if c in shown.columns and not (c == "k_shot" and shown[c].isna().all())
    ]  # fmt: skip
    return shown[columns]


def stats_notes(stats):
    """Sentences that say what the paired statistics can and cannot show.

    Parameters
    ----------
    stats : pandas.DataFrame
        Output of :func:`paired_stats`.

    Returns
    -------
    notes : list of str
        Pairing unit, rows without a test, rows whose smallest achievable p-value is
        above 0.05, and the pretraining-overlap mark.
    """
    if stats.empty:
        return []
    notes = []
    for unit, rows in stats.groupby("unit"):
        n = sorted(set(rows["n_pairs"]))
        notes.append(
            f"pairs are {unit}s ({', '.join(map(str, n))} per comparison): each {unit}'s "
            "folds are averaged first."
        )
    few = stats[stats["n_pairs"] < 2]
    if len(few):
        notes.append(
            "no test with fewer than 2 pairs: add subjects (or sessions) to test a "
            "difference; the mean difference alone is shown."
        )
    weak = stats[(stats["n_pairs"] >= 2) & stats["underpowered"].astype(bool)]
    if len(weak):
        n = int(weak["n_pairs"].max())
        notes.append(
            f"(!) with {n} pairs the smallest achievable p-value is {2.0 ** (1 - n):.3g} > "
            f"{ALPHA}: no difference can be significant; read the means and intervals, "
            "not the p-values."
        )
    if "pretraining_overlap" in stats and stats["pretraining_overlap"].astype(bool).any():
        notes.append(OVERLAP_NOTE)
    return notes


def format_stats(stats, order):
    """Format the paired statistics, pipelines in the order they were asked for.

    Parameters
    ----------
    stats : pandas.DataFrame
        Output of :func:`paired_stats`.
    order : list of str
        Pipeline order.

    Returns
    -------
    text : str
        The table and its notes.
    """
    if stats.empty:
        return "(no pairs to compare)"
    text = _stats_table(stats, order).to_string(index=False, float_format="{:.3f}".format)
    return "\n".join([text, *(f"  note: {n}" for n in stats_notes(stats))])


def save_plots(results, out, metric, protocol):
    """Write the PNGs of a comparison.

    Parameters
    ----------
    results : pandas.DataFrame
        Output of :func:`compare`.
    out : Path
        Folder.
    metric, protocol : str
        What to plot.

    Returns
    -------
    names : list of str
        The files written (none when matplotlib is missing).
    """
    try:
        from matplotlib.figure import Figure
    except ImportError:
        return []
    from .. import viz

    # Figures made without pyplot: no GUI backend, no global state, nothing to close.
    n_pipes = results["pipeline"].nunique()
    plots = [
        ("subject_scores.png", viz.plot_subject_scores, (max(5.5, 1.4 * n_pipes + 2.5), 4.8)),
        ("mean_scores.png", viz.plot_mean_scores, (max(5.5, 1.0 * n_pipes + 2.5), 4.8)),
    ]
    if protocol == "few-shot":
        plots.append(("learning_curve.png", viz.plot_learning_curve, (7.0, 4.8)))
    written = []
    for name, plot, size in plots:
        fig = Figure(figsize=size, layout="constrained")
        plot(results, metric=metric, ax=fig.subplots())
        fig.savefig(Path(out) / name, dpi=110)
        written.append(name)
    return written


def data_summary(epochs, y, *, dataset, paradigm=None, reader=None, notes=()):
    """Describe the epochs a comparison ran on.

    Parameters
    ----------
    epochs : mne.BaseEpochs
        The data.
    y : array-like
        Labels.
    dataset, paradigm, reader : str | None
        Where the data came from.
    notes : sequence of str
        Extra lines.

    Returns
    -------
    summary : dict of str to str
        Readable fields, in order.
    """
    meta = epochs.metadata
    values, counts = np.unique(np.asarray(y).astype(str), return_counts=True)
    subjects = [] if meta is None else sorted(meta["subject"].unique(), key=natural_key)
    info = {
        "dataset": dataset,
        "reader": reader or "-",
        "paradigm": paradigm or "unknown (pass --paradigm erp|mi|resting|ssvep)",
        "epochs": str(len(epochs)),
        "classes": ", ".join(f"{v}: {n}" for v, n in zip(values, counts)),
        "subjects": _first(subjects) if meta is not None else "-",
        "sessions per subject": (
            _first(f"{s}: {meta.loc[meta['subject'] == s, 'session'].nunique()}" for s in subjects)
            if meta is not None and "session" in meta
            else "-"
        ),
        "channels": f"{len(epochs.ch_names)} ({', '.join(epochs.ch_names[:12])}"
        + (", ..." if len(epochs.ch_names) > 12 else "")
        + ")",
        "sampling rate": f"{epochs.info['sfreq']:g} Hz",
        "window": f"{seconds(epochs.tmin)} to {seconds(epochs.tmax)} s "
        f"({len(epochs.times)} samples)",
        "filter": f"{epochs.info['highpass']:g} to {epochs.info['lowpass']:g} Hz",
    }
    for i, note in enumerate(notes):
        info[f"note {i + 1}"] = note
    return info


def _first(items, n=20):
    """List the first ``n`` items, comma-separated, and how many more there are."""
    items = [str(i) for i in items]
    more = f", ... ({len(items) - n} more)" if len(items) > n else ""
    return ", ".join(items[:n]) + more


def contract_reports(epochs, models, *, channel_policy="interpolate"):
    """Each model's input plan for these epochs (what will be done to the data).

    Parameters
    ----------
    epochs : mne.BaseEpochs
        The data.
    models : list of str
        Foundation models.
    channel_policy : str
        As the probes use it.

    Returns
    -------
    reports : dict of str to dict
        Model -> :func:`~sklearn_eegfm.check_epochs` report plus ``warnings``, or
        ``{"error": message}`` when the model refuses the data.
    """
    from ..models import check_epochs

    reports = {}
    for model in models:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                report = check_epochs(epochs, model, channel_policy=channel_policy)
            except ValueError as err:
                report = {"error": str(err)}
        report["warnings"] = sorted({str(w.message) for w in caught})
        reports[model] = report
    return reports


# Bootstrap's table classes, which mne.Report's page loads: padded cells, striped rows.
_TABLE_CLASSES = "table table-sm table-striped table-hover w-auto eegfm-table"
# Columns of the HTML statistics table: (column of the console table, header).
_STATS_HEADERS = (
    ("protocol", "protocol"),
    ("k_shot", "k"),
    ("pipeline", "pipeline"),
    ("baseline", "baseline"),
    ("mean", "mean"),
    ("baseline_mean", "baseline mean"),
    ("mean_diff", "difference"),
    ("ci", "95 % CI"),
    ("p_value", "p"),
    ("effect_size", "effect size (d_z)"),
    ("pairs", "pairs"),
    ("min_p", "smallest possible p"),
)


def _kv_table(items):
    rows = "".join(
        f"<tr><th scope='row'>{html.escape(str(k))}</th><td>{html.escape(str(v))}</td></tr>"
        for k, v in items
    )
    return f"<table class='{_TABLE_CLASSES}'><tbody>{rows}</tbody></table>"


def html_table(frame, *, index=False):
    """Render a table as mne.Report shows tables: padded, striped, numbers rounded.

    Parameters
    ----------
    frame : pandas.DataFrame
        The table; floats are shown with three decimals.
    index : bool
        Show the index (for tables indexed by protocol and pipeline).

    Returns
    -------
    html : str
        A ``<table>`` inside a horizontally scrolling ``<div>``, so that a wide table
        never spills out of its panel.
    """
    table = frame.to_html(
        index=index,
        classes=_TABLE_CLASSES,
        border=0,
        justify="left",
        float_format=lambda v: f"{v:.3f}",
        na_rep="-",
        escape=True,
    )
    # Cells on one line ("fm-cbramod", "[-0.063, -0.002]"), headers may wrap; the div
    # scrolls if the table is still too wide.
    style = "<style>table.eegfm-table td { white-space: nowrap; }</style>"
    return f"{style}<div class='table-responsive'>{table}</div>"


def _notes_html(notes):
    if not notes:
        return ""
    items = "".join(f"<li>{html.escape(n)}</li>" for n in notes)
    return f"<ul class='small text-muted'>{items}</ul>"


def stats_html_table(stats, order):
    """Lay the paired statistics out: readable headers, the interval in one cell.

    Parameters
    ----------
    stats : pandas.DataFrame
        Output of :func:`paired_stats`.
    order : list of str
        Pipeline order.

    Returns
    -------
    table : pandas.DataFrame
        Text and rounded numbers under headers such as ``"95 % CI"``; which test was
        run is said in the notes, not in a column.
    """
    shown = _stats_table(stats, order).copy()
    shown["ci"] = [
        "-" if lo == "-" else f"[{lo}, {hi}]" for lo, hi in zip(shown["ci_low"], shown["ci_high"])
    ]
    shown["pairs"] = [
        f"{n} {unit}{'' if n == 1 else 's'}" for n, unit in zip(shown["n_pairs"], shown["unit"])
    ]
    for col in ("mean", "baseline_mean", "mean_diff"):
        shown[col] = shown[col].map(lambda v: "-" if np.isnan(v) else f"{v:.3f}")
    if "k_shot" in shown:
        shown["k_shot"] = shown["k_shot"].map(lambda v: "-" if np.isnan(v) else f"{v:g}")
    one_protocol = shown["protocol"].nunique() == 1 if "protocol" in shown else False
    columns = [
        (c, h)
        for c, h in _STATS_HEADERS
        if c in shown.columns and not (c == "protocol" and one_protocol)  # in the title
    ]
    return shown[[c for c, _ in columns]].set_axis([h for _, h in columns], axis=1)


def _tests_note(stats):
    tests = [t for t in dict.fromkeys(stats["test"].astype(str)) if t and t != "nan"]
    return [f"test: {', '.join(tests)}; interval: percentile bootstrap."] if tests else []


def _contract_html(report):
    if "error" in report:
        return f"<p><b>Refused:</b> {html.escape(report['error'])}</p>"
    items = [(k, report[k]) for k in ("input", "model_input") if k in report]
    items += [("step", s) for s in report.get("steps", [])]
    items += [("warning", w) for w in report.get("warnings", [])]
    body = _kv_table(items)
    mapping = report.get("channel_mapping")
    if mapping:
        body += "<details><summary>channel mapping</summary><pre>"
        body += html.escape("\n".join(mapping)) + "</pre></details>"
    return body


def write_report(
    path,
    *,
    results,
    summary,
    stats,
    data,
    contracts=None,
    figures=(),
    metric="roc_auc",
    command=None,
):
    """Write the comparison as one HTML file with :class:`mne.Report`.

    Parameters
    ----------
    path : str | Path
        The ``.html`` file to write.
    results, summary, stats : pandas.DataFrame
        Outputs of :func:`compare`, :func:`summarize` and :func:`paired_stats`.
    data : dict
        :func:`data_summary` of the epochs.
    contracts : dict | None
        :func:`contract_reports` of the models.
    figures : sequence of path
        PNG files to include.
    metric : str
        The metric of the statistics.
    command : str | None
        The command line that produced the run.

    Returns
    -------
    path : Path
        The report.

    Examples
    --------
    >>> from sklearn_eegfm.evaluation.report import write_report
    >>> write_report("report.html", results=results, summary=summary, stats=stats,
    ...              data=info)  # doctest: +SKIP
    """
    import mne

    path = Path(path)
    report = mne.Report(title=f"sklearn-eegfm compare: {data.get('dataset', '')}", verbose=False)
    head = _kv_table(data.items())
    if command:
        head = f"<p><code>{html.escape(command)}</code></p>" + head
    report.add_html(head, title="Data", section="Data")
    for model, rep in (contracts or {}).items():
        report.add_html(_contract_html(rep), title=f"{model}: input contract", section="Models")
    order = list(results["pipeline"].unique())
    if len(summary):
        overlap = "pretraining_overlap" in summary and summary["pretraining_overlap"].any()
        shown = summary_table(summary).reset_index()
        body = html_table(shown.rename(columns=lambda c: str(c).replace("_", " ")))
        body += _notes_html(
            ["cells: mean ± standard deviation over folds and seeds; n: folds scored."]
            + ([OVERLAP_NOTE] if overlap else [])
        )
    else:
        body = "<p>(no scores)</p>"
    report.add_html(body, title="Summary (mean ± std over folds and seeds)", section="Tables")
    if len(stats):
        body = html_table(stats_html_table(stats, order))
        body += _notes_html([*stats_notes(stats), *_tests_note(stats)])
    else:
        body = "<p>(no pairs to compare)</p>"
    report.add_html(
        body,
        title=f"Paired statistics ({metric}, against the best baseline, "
        f"{'/'.join(sorted(set(stats['protocol'].astype(str))))})"
        if len(stats) and "protocol" in stats
        else f"Paired statistics ({metric}, against the best baseline)",
        section="Statistics",
    )
    failed = results[results["error"].fillna("") != ""]
    if len(failed):
        errors = failed.drop_duplicates(["pipeline", "error"])[["pipeline", "error"]]
        report.add_html(html_table(errors), title="Errored folds", section="Tables")
    for fig in figures:
        report.add_image(Path(fig), title=Path(fig).stem.replace("_", " "), section="Figures")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # MNE's notes about the report's own layout
        report.save(path, open_browser=False, overwrite=True, verbose=False)
    return path


def _errors_line(results):
    failed = results.drop_duplicates(["pipeline", "seed", "subject", "session", "fold", "k_shot"])
    failed = failed[failed["error"].fillna("") != ""]
    if not len(failed):
        return 0, None
    first = failed.iloc[0]
    return len(failed), (
        f"warning: {len(failed)} fold(s) raised and are left out (see the 'error' column of "
        f"results.csv); first: {first['pipeline']}: {first['error']}"
    )


def write_outputs(
    harness, results, out, *, metric, protocol, data, epochs, models, command, say, show, warn
):
    """Write the tables, plots and report of a run and print the summary (the CLI's end).

    Parameters
    ----------
    harness : module
        :mod:`sklearn_eegfm.evaluation` (or a stand-in with ``summarize`` and
        ``paired_stats``).
    results : pandas.DataFrame
        Output of :func:`compare`.
    out : Path
        Output folder.
    metric, protocol : str
        Metric of the statistics and plots; the protocol run.
    data : dict
        :func:`data_summary` of the epochs.
    epochs : mne.BaseEpochs
        The epochs (for the models' contract reports).
    models : list of str
        Foundation models of the run.
    command : str
        The command line, for the report.
    say, show, warn : callable
        Print progress (may be silent), results (stdout) and warnings (stderr).

    Returns
    -------
    code : int
        0, or 1 when every fold raised.
    """
    summary = harness.summarize(results)
    summary.to_csv(out / "summary.csv", index=False)
    n_failed, line = _errors_line(results)
    if line:
        warn(line)
    if results["score"].notna().sum() == 0:
        warn("error: every fold raised; nothing to summarise.")
        return 1
    stats = harness.paired_stats(results, metric=metric)
    stats.to_csv(out / "stats.csv", index=False)
    units = sorted(set(stats["unit"])) if "unit" in stats else ["subject"]
    show("\nSummary (mean ± std over folds and seeds):")
    show(format_summary(summary))
    show(f"\nPaired statistics ({metric}, against the best baseline, per {'/'.join(units)}):")
    show(format_stats(stats, list(results["pipeline"].unique())))
    plots = save_plots(results, out, metric, protocol)
    if not plots:
        warn("note: plots skipped, matplotlib is missing (pip install 'sklearn-eegfm[viz]')")
    write_report(
        Path(out) / "report.html",
        results=results,
        summary=summary,
        stats=stats,
        data=data,
        contracts=contract_reports(epochs, models),
        figures=[Path(out) / p for p in plots],
        metric=metric,
        command=command,
    )
    files = ["results.csv", "summary.csv", "stats.csv", *plots, "report.html"]
    say(
        f"\nWrote {', '.join(files)} to {out}"
        + (f" ({n_failed} errored folds)" if n_failed else "")
    )
    return 0
