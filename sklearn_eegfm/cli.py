"""The ``sklearn-eegfm`` command line.

``sklearn-eegfm compare`` answers "does a foundation model beat my baselines on these
data?" in one command: it runs :func:`sklearn_eegfm.evaluation.compare` on the built-in
P300 demo (offline) or on recordings given with ``--data``, prints the summary and the
paired statistics, and writes tables and plots to ``--out``. Run
``sklearn-eegfm compare --help`` for the options. ``python -m sklearn_eegfm.cli`` works
the same way.

The parser is built from one function per subcommand (``_add_compare``), so that
further subcommands (``check``, ``embed``) plug in beside it.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
import warnings
from pathlib import Path

import numpy as np

from .evaluation._runs import RunLockedError, discard

PROG = "sklearn-eegfm"
PROTOCOLS = ("within-subject", "cross-session", "loso", "few-shot")
READERS = ("muse", "eegmmidb")
DEFAULT_OUT = "sklearn_eegfm_results"
PARTIAL = "results_partial.csv"


class CLIError(Exception):
    """A user error: reported as one line on stderr, exit code 2, no traceback."""


def _out(text="", *, err=False):
    stream = sys.stderr if err else sys.stdout
    stream.write(f"{text}\n")
    stream.flush()


# --------------------------------------------------------------------------- parsing
def _comma_list(text):
    items = [t.strip() for t in text.split(",") if t.strip()]
    if not items:
        raise argparse.ArgumentTypeError("expected a comma-separated list, e.g. a,b")
    return tuple(items)


def _positive_ints(text):
    try:
        values = tuple(int(t) for t in _comma_list(text))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected integers like 1,2,5,10; got {text!r}"
        ) from None
    if any(v < 1 for v in values):
        raise argparse.ArgumentTypeError(f"expected positive integers; got {text!r}")
    return values


def _positive_int(text):
    values = _positive_ints(text)
    if len(values) != 1:
        raise argparse.ArgumentTypeError(f"expected one positive integer; got {text!r}")
    return values[0]


def _n_jobs(text):
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an integer; got {text!r}") from None
    if value == 0:
        raise argparse.ArgumentTypeError("0 jobs: use a positive number or -1 (all cores)")
    return value


def _add_compare(subparsers):
    p = subparsers.add_parser(
        "compare",
        help="compare foundation-model probes with baselines",
        description=(
            "Compare foundation-model probes with Riemannian, ERP-feature and "
            "from-scratch baselines under one evaluation protocol. Without --data, runs "
            "offline on the built-in visual P300 demo (3 subjects, 4 Muse channels)."
        ),
    )
    data = p.add_argument_group("data")
    data.add_argument(
        "--data",
        metavar="PATH",
        help="folder, file or glob of recordings (default: the built-in P300 demo)",
    )
    data.add_argument(
        "--reader",
        choices=READERS,
        help="how to read --data: Muse P300 CSVs (labels: target) or PhysioNet EEGMMIDB "
        "EDFs, imagined left/right fist (labels: label); default muse",
    )
    run = p.add_argument_group("comparison")
    run.add_argument("--protocol", choices=PROTOCOLS, default="loso", help="default: loso")
    run.add_argument(
        "--pipelines",
        type=_comma_list,
        metavar="A,B",
        help="pipelines to run (default: all of xdawn+ts, erp-features, eegnet, fm-<model>)",
    )
    run.add_argument(
        "--models",
        type=_comma_list,
        default=("cbramod",),
        metavar="M,N",
        help="foundation models to probe, each giving a pipeline fm-<model> (default: cbramod)",
    )
    run.add_argument(
        "--weights",
        metavar="FOLDER|random",
        help="a weights folder (used as $SKLEARN_EEGFM_HOME for this run) or 'random'; "
        "default: pretrained weights from the local cache where present, else random",
    )
    run.add_argument("--seeds", type=_positive_int, default=1, metavar="N", help="default: 1")
    run.add_argument(
        "--shots",
        type=_positive_ints,
        default=(1, 2, 5, 10),
        metavar="1,2,5,10",
        help="few-shot: labelled target examples per class",
    )
    run.add_argument(
        "--metric",
        default="roc_auc",
        help="metric of the plots and paired statistics (default: roc_auc)",
    )
    run.add_argument("--n-jobs", type=_n_jobs, default=1, metavar="N", help="parallel folds")
    # Undocumented: a stratified subsample per subject, for tests and quick looks.
    run.add_argument("--max-epochs-per-subject", type=_positive_int, help=argparse.SUPPRESS)
    out = p.add_argument_group("output")
    out.add_argument(
        "--out",
        default=DEFAULT_OUT,
        metavar="DIR",
        help=f"output folder (default: ./{DEFAULT_OUT})",
    )
    out.add_argument(
        "--resume",
        action="store_true",
        help=f"continue an interrupted run from DIR/{PARTIAL}",
    )
    out.add_argument(
        "--keep-errors",
        action="store_true",
        help="with --resume, keep folds that raised instead of retrying them",
    )
    out.add_argument("-q", "--quiet", action="store_true", help="no progress messages")
    p.set_defaults(func=run_compare)
    return p


def build_parser():
    """Build the ``sklearn-eegfm`` argument parser.

    Returns
    -------
    parser : argparse.ArgumentParser
        The parser, one subparser per subcommand.

    Examples
    --------
    >>> from sklearn_eegfm.cli import build_parser
    >>> args = build_parser().parse_args(["compare", "--protocol", "few-shot"])
    >>> args.protocol, args.shots
    ('few-shot', (1, 2, 5, 10))
    """
    from ._version import __version__

    parser = argparse.ArgumentParser(
        prog=PROG, description="EEG foundation models as scikit-learn estimators."
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    _add_compare(subparsers)
    return parser


# ------------------------------------------------------------------------------ data
def _dataset_name(args):
    """Name the data for the results (compare checks it against pretraining corpora)."""
    if args.data is None:
        return "p300-demo"
    return "eegmmidb" if args.reader == "eegmmidb" else "muse-p300"


def _load(args):
    """Read the epochs and their labels."""
    if args.data is None:
        from .datasets import load_p300_demo

        epochs = load_p300_demo(tmax=1.0)
        return epochs, epochs.metadata["target"].to_numpy()
    if args.reader == "eegmmidb":
        from .datasets import load_eegmmidb

        epochs = load_eegmmidb(args.data)
        return epochs, epochs.metadata["label"].to_numpy()
    from .datasets import read_muse_csv

    # 1-s epochs after the flash: long enough for models with 1-s patches.
    epochs = read_muse_csv(args.data, tmax=1.0)
    return epochs, epochs.metadata["target"].to_numpy()


def subsample_per_subject(subjects, y, n_max):
    """Pick at most ``n_max`` epochs per subject, stratified and deterministic.

    Each class keeps its share of the subject's epochs (at least one epoch), taken
    evenly spaced in recording order, so that the slice spans the whole session.

    Parameters
    ----------
    subjects : array-like
        Subject of each epoch.
    y : array-like
        Label of each epoch.
    n_max : int
        Most epochs kept per subject.

    Returns
    -------
    idx : ndarray of int
        Sorted indices of the kept epochs.

    Examples
    --------
    >>> from sklearn_eegfm.cli import subsample_per_subject
    >>> subsample_per_subject([1] * 6 + [2] * 2, [0, 0, 0, 0, 1, 1, 0, 1], 3)
    array([0, 3, 4, 6, 7])
    """
    subjects, y = np.asarray(subjects), np.asarray(y)
    keep = []
    for subject in np.unique(subjects):
        rows = np.flatnonzero(subjects == subject)
        if len(rows) <= n_max:
            keep.append(rows)
            continue
        classes, counts = np.unique(y[rows], return_counts=True)
        quota = np.maximum(1, np.floor(n_max * counts / counts.sum())).astype(int)
        # Hand the rounding remainder to the classes that lost most to the floor.
        short = n_max - quota.sum()
        for c in np.argsort(-(n_max * counts / counts.sum() - quota))[: max(short, 0)]:
            quota[c] += 1
        for cls, n in zip(classes, np.minimum(quota, counts)):
            members = rows[y[rows] == cls]
            keep.append(members[np.linspace(0, len(members) - 1, n).round().astype(int)])
    return np.sort(np.concatenate(keep))


# ------------------------------------------------------------------------- pipelines
@contextlib.contextmanager
def _environment(**values):
    """Set environment variables for the duration of the block, then restore them."""
    old = {k: os.environ.get(k) for k in values}
    os.environ.update({k: str(v) for k, v in values.items() if v is not None})
    try:
        yield
    finally:
        for key, value in old.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def _weights_plan(models, weights):
    """Map each model to ``"auto"`` (a cached checkpoint exists) or None (random init).

    Only the local cache is looked at, so that the command never goes online.
    """
    from .models import get_contract, home_dir
    from .models._weights import find_cached

    plan = {}
    for model in models:
        contract = get_contract(model)
        cached = None if weights == "random" else find_cached(contract)
        if cached is None and weights not in (None, "random"):
            raise CLIError(
                f"--weights {weights}: no {contract.name} checkpoint there (looked for "
                f"{list(contract.hub_files)} under {home_dir()}, flat or in the hub layout)."
            )
        plan[contract.name] = "auto" if cached is not None else None
    return plan


def _pipelines(harness, args):
    """Build the requested pipelines by name and say which models run with random weights.

    Names follow :mod:`sklearn_eegfm.evaluation.pipelines` (``fm-<model>``,
    ``<base>+<adapter>``, ...); without ``--pipelines`` the baselines run beside one
    ``fm-<model>`` probe per ``--models`` entry.
    """
    if args.pipelines is not None:
        names = list(dict.fromkeys(args.pipelines))
    else:
        from .models import get_contract

        names = [*harness.DEFAULT_BASELINES, *(f"fm-{get_contract(m).name}" for m in args.models)]
    needs, unknown = {}, []
    for name in names:
        try:
            needs[name] = harness.pipeline_model(name)
        except ValueError:
            unknown.append(name)
    if unknown:
        raise CLIError(
            f"Unknown pipeline(s) {unknown}; available: {harness.describe_names()} "
            "(e.g. --pipelines xdawn+ts,fm-labram)."
        )
    models = list(dict.fromkeys(m for m in needs.values() if m is not None))
    plan = _weights_plan(models, args.weights)
    pipes = {name: harness.make_named_pipeline(name, weights=plan, fast=True) for name in names}
    random_names = [name for name, model in needs.items() if model and plan[model] is None]
    return pipes, random_names


# ------------------------------------------------------------------------------- run
def _harness():
    """Import the evaluation package (a function, so that tests can stand in for it)."""
    from . import evaluation

    return evaluation


def _format_summary(summary):
    """One row per protocol, pipeline (and k); one "mean ± std" column per metric."""
    table = summary.copy()
    cell = table["mean"].map("{:.3f}".format) + " ± " + table["std"].map("{:.3f}".format)
    table["cell"] = cell.str.replace("nan", "-")
    index = ["protocol", "pipeline"]
    if table["k_shot"].notna().any():
        table["k"] = table["k_shot"].map(lambda k: "" if np.isnan(k) else f"{k:g}")
        index.append("k")
    wide = table.pivot_table(index=index, columns="metric", values="cell", aggfunc="first")
    wide = wide[list(table["metric"].unique())]  # the metrics in the order they were asked
    order = {p: i for i, p in enumerate(table["pipeline"].unique())}
    wide = wide.sort_index(level="pipeline", key=lambda s: s.map(order), sort_remaining=False)
    extra = table.groupby(index, sort=False).agg(n=("n", "max"), weights=("weights", "first"))
    return wide.join(extra).to_string()


def _format_stats(stats, order):
    """Format the paired statistics, pipelines in the order they were asked for."""
    if stats.empty:
        return "(no pairs to compare)"
    rank = {name: i for i, name in enumerate(order)}
    keys = [c for c in ("protocol", "k_shot") if c in stats.columns] + ["rank_"]
    stats = stats.assign(rank_=stats["pipeline"].map(rank)).sort_values(keys)
    columns = [
        c
        for c in (
            "protocol", "k_shot", "pipeline", "baseline", "mean", "baseline_mean", "mean_diff",
            "ci_low", "ci_high", "p_value", "effect_size", "n_pairs", "test",
        )
        if c in stats.columns and not (c == "k_shot" and stats[c].isna().all())
    ]  # fmt: skip
    return stats[columns].to_string(index=False, float_format="{:.3f}".format)


def _save_plots(results, out, metric, protocol):
    """Write the PNGs; returns their names (none when matplotlib is missing)."""
    try:
        from matplotlib.figure import Figure
    except ImportError:
        _out(
            "note: plots skipped, matplotlib is missing (pip install 'sklearn-eegfm[viz]')",
            err=True,
        )
        return []
    from . import viz

    # Figures made without pyplot: no GUI backend, no global state, nothing to close.
    n_pipes = results["pipeline"].nunique()
    plots = [
        ("subject_scores.png", viz.plot_subject_scores, (max(5.0, 1.4 * n_pipes + 2), 4.5)),
        ("mean_scores.png", viz.plot_mean_scores, (max(5.0, 1.0 * n_pipes + 2), 4.5)),
    ]
    if protocol == "few-shot":
        plots.append(("learning_curve.png", viz.plot_learning_curve, (6.5, 4.5)))
    written = []
    for name, plot, size in plots:
        fig = Figure(figsize=size, layout="constrained")
        plot(results, metric=metric, ax=fig.subplots())
        fig.savefig(out / name, dpi=120)
        written.append(name)
    return written


def _report_errors(results):
    failed = results.drop_duplicates(["pipeline", "seed", "subject", "session", "fold", "k_shot"])
    failed = failed[failed["error"].fillna("") != ""]
    if len(failed):
        first = failed.iloc[0]
        _out(
            f"warning: {len(failed)} fold(s) raised and are left out (see the 'error' column "
            f"of results.csv); first: {first['pipeline']}: {first['error']}",
            err=True,
        )
    return len(failed)


def _check_resumable(partial, protocol, dataset):
    import pandas as pd

    previous = pd.read_csv(partial, usecols=["protocol", "dataset"])
    other = (set(previous["protocol"]) - {protocol}) | (set(previous["dataset"]) - {dataset})
    if other:
        raise CLIError(
            f"{partial} holds another run ({sorted(map(str, other))}); drop --resume or "
            "choose another --out."
        )


def _counts(y):
    values, counts = np.unique(y, return_counts=True)
    return ", ".join(f"{v}: {n}" for v, n in zip(values.tolist(), counts.tolist()))


def _check_paths(args):
    """Fail fast on paths that do not exist, before anything is loaded or built.

    Returns
    -------
    weights_home : Path | None
        The ``--weights`` folder, or None.
    """
    if args.reader is not None and args.data is None:
        raise CLIError("--reader needs --data PATH.")
    is_glob = args.data is not None and any(ch in args.data for ch in "*?[")
    if args.data is not None and not is_glob and not Path(args.data).expanduser().exists():
        raise CLIError(f"--data {args.data}: no such file or folder.")
    if args.weights in (None, "random"):
        return None
    weights_home = Path(args.weights).expanduser()
    if not weights_home.is_dir():
        raise CLIError(f"--weights {args.weights}: not a folder (give a folder or 'random').")
    return weights_home.resolve()


def run_compare(args):
    """Run the ``compare`` subcommand.

    Parameters
    ----------
    args : argparse.Namespace
        Parsed options (see ``sklearn-eegfm compare --help``).

    Returns
    -------
    code : int
        0 on success, 1 when every fold raised.
    """
    from .evaluation._runs import lock_folder

    _check_paths(args)
    # One run per output folder: another would overwrite or resume from this one's rows.
    with lock_folder(Path(args.out).expanduser()):
        return _run_compare(args)


def _run_compare(args):
    from .models import RandomWeightsWarning

    say = (lambda *a, **k: None) if args.quiet else _out
    weights_home = _check_paths(args)
    out = Path(args.out).expanduser()
    partial = out / PARTIAL
    dataset = _dataset_name(args)
    if args.resume and partial.exists():
        _check_resumable(partial, args.protocol, dataset)
    harness = _harness()
    if args.metric not in harness.METRICS:
        raise CLIError(f"--metric {args.metric}: choose one of {', '.join(harness.METRICS)}.")
    with _environment(SKLEARN_EEGFM_HOME=weights_home):
        pipes, random_names = _pipelines(harness, args)
        epochs, y = _load(args)
        for name in random_names:
            _out(f"note: {name} uses RANDOM weights (not pretrained); see --weights.", err=True)
        if args.max_epochs_per_subject:
            subjects = epochs.metadata["subject"].to_numpy()
            idx = subsample_per_subject(subjects, y, args.max_epochs_per_subject)
            epochs, y = epochs[idx], y[idx]
        say(
            f"{dataset}: {len(epochs)} epochs, {epochs.metadata['subject'].nunique()} subjects, "
            f"{len(epochs.ch_names)} channels at {epochs.info['sfreq']:g} Hz, "
            f"classes {_counts(y)}"
        )
        say(f"{args.protocol}: {', '.join(pipes)}")
        out.mkdir(parents=True, exist_ok=True)
        if partial.exists() and args.resume:
            say(f"resuming from {partial}")
        elif partial.exists():
            discard(partial)  # a fresh run: results of an older one must not leak in
        with warnings.catch_warnings():
            # Said once above; each fold would repeat it (and pytest -W error turns it
            # into a failed fold).
            warnings.simplefilter("ignore", RandomWeightsWarning)
            results = harness.compare(
                pipes,
                epochs,
                y,
                protocol=args.protocol,
                shots=args.shots,
                n_seeds=args.seeds,
                n_jobs=args.n_jobs,
                results_path=partial,
                dataset=dataset,
                keep_errors=args.keep_errors,
                verbose=not args.quiet,
            )
    return _write_outputs(harness, results, args, out, partial, say)


def _write_outputs(harness, results, args, out, partial, say):
    results.to_csv(out / "results.csv", index=False)  # first: nothing computed gets lost
    summary = harness.summarize(results)
    summary.to_csv(out / "summary.csv", index=False)
    n_failed = _report_errors(results)
    if results["score"].notna().sum() == 0:
        _out("error: every fold raised; nothing to summarise.", err=True)
        return 1
    stats = harness.paired_stats(results, metric=args.metric)
    stats.to_csv(out / "stats.csv", index=False)
    _out("\nSummary (mean ± std over folds and seeds):")
    _out(_format_summary(summary))
    _out(f"\nPaired statistics ({args.metric}, against the best baseline, per subject):")
    _out(_format_stats(stats, list(results["pipeline"].unique())))
    plots = _save_plots(results, out, args.metric, args.protocol)
    discard(partial)  # everything is in results.csv now
    files = ["results.csv", "summary.csv", "stats.csv", *plots]
    say(
        f"\nWrote {', '.join(files)} to {out}"
        + (f" ({n_failed} errored folds)" if n_failed else "")
    )
    return 0


# ------------------------------------------------------------------------------ main
def main(argv=None):
    """Run the ``sklearn-eegfm`` command line.

    Parameters
    ----------
    argv : list of str | None
        Arguments without the program name; ``sys.argv[1:]`` when None.

    Returns
    -------
    code : int
        0 on success, 2 on a usage error (one line on stderr, no traceback), 1 when the
        run produced no score, 130 when interrupted.

    Examples
    --------
    >>> from sklearn_eegfm.cli import main
    >>> main(["compare", "--out", "results", "--protocol", "few-shot"])  # doctest: +SKIP
    0
    """
    from .models import WeightsNotFoundError

    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exit_:  # --help, --version, or a usage error already printed
        return int(exit_.code or 0)
    try:
        return args.func(args)
    except (CLIError, FileNotFoundError, WeightsNotFoundError, ValueError, RunLockedError) as err:
        _out(f"{PROG} {args.command}: error: {err}", err=True)
        return 2
    except KeyboardInterrupt:
        hint = f" rerun with --resume --out {args.out} to continue" if "out" in args else ""
        _out(f"\n{PROG} {args.command}: interrupted;{hint}.", err=True)
        return 130


if __name__ == "__main__":
    raise SystemExit(main())
