"""The ``sklearn-eegfm`` command line: a thin layer over the Python API.

``sklearn-eegfm compare`` answers "does a foundation model beat my baselines on these
data?" in one command: it reads the data through the reader registry of
:mod:`sklearn_eegfm.datasets` (the built-in P300 demo, saved epochs, any recording
:func:`mne.io.read_raw` reads, BIDS, MOABB, and the Muse and EEGMMIDB presets), picks
the baselines of the paradigm, runs :func:`sklearn_eegfm.evaluation.compare`, prints the
summary and the paired statistics, and writes tables, plots and ``report.html`` to
``--out``. ``sklearn-eegfm weights`` lists, downloads and verifies checkpoints.
"""

from __future__ import annotations

import argparse
import os
import re
import shlex
import sys
import warnings
from pathlib import Path

from .datasets._registry import subsample_per_subject  # noqa: F401  (public here before)
from .evaluation._runs import RunLockedError, discard
from .utils._display import count

PROG = "sklearn-eegfm"
PROTOCOLS = ("within-subject", "cross-session", "loso", "few-shot")
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


def model_choices():
    """Return the names ``--models`` accepts: every model of the registry, read now.

    Returns
    -------
    names : list of str
        Sorted model names (a model registered at run time included).
    """
    from .models import CONTRACTS

    return sorted(CONTRACTS)


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


def _add_data_options(p):
    from .datasets import DATA_ARGUMENTS

    types = {"ints": _positive_ints, "list": _comma_list, "float": float}
    data = p.add_argument_group("data (default: the built-in P300 demo)")
    for flag, options in DATA_ARGUMENTS:
        options = dict(options)
        if "type" in options:
            options["type"] = types[options["type"]]
        data.add_argument(flag, **options)
    data.add_argument(
        "--recipe",
        metavar="MODEL",
        help="prepare each continuous recording as MODEL's authors did (their "
        "re-reference, filters and resampling, sklearn_eegfm.apply_recipe) before "
        "epoching, in place of the paradigm's band-pass (--l-freq/--h-freq still apply "
        "after it); every model of the run must share that recipe",
    )


def _add_compare(subparsers):
    p = subparsers.add_parser(
        "compare",
        help="compare foundation-model probes with baselines",
        description=(
            "Compare foundation-model probes with the paradigm's baselines (ERP: "
            "xdawn+ts, erp-features; motor imagery: csp, cov+ts; both: eegnet) under one "
            "evaluation protocol, and write tables, plots and report.html. Without --data, "
            "runs offline on the built-in visual P300 demo."
        ),
    )
    _add_data_options(p)
    run = p.add_argument_group("comparison")
    run.add_argument("--protocol", choices=PROTOCOLS, default="loso", help="default: loso")
    run.add_argument(
        "--pipelines",
        type=_comma_list,
        metavar="A,B",
        help="pipelines to run (default: the paradigm's baselines and fm-<model> per model)",
    )
    run.add_argument(
        "--models",
        type=_comma_list,
        default=("cbramod",),
        metavar="M,N",
        help="foundation models to probe, each giving a pipeline fm-<model>, among "
        f"{', '.join(model_choices())} (default: cbramod)",
    )
    run.add_argument(
        "--weights",
        metavar="FOLDER|random",
        help="a weights folder (searched like $SKLEARN_EEGFM_HOME, for this run) or 'random'; "
        "default: pretrained weights from the local cache, else from the hub (downloaded "
        "once, before the folds), else random; one line per model says which and why",
    )
    run.add_argument(
        "--sessions-from",
        metavar="COLUMN",
        help="metadata column whose values are the sessions (e.g. 'run': each run a "
        "session, for cross-session on one-visit data such as EEGMMIDB)",
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


def _add_weights(subparsers):
    p = subparsers.add_parser(
        "weights",
        help="list, download or verify pretrained checkpoints",
        description="What each model needs, where it is looked for and what is present "
        "(with sha256 and licence). Only 'download' goes online.",
    )
    p.add_argument("action", choices=("list", "download", "verify"), nargs="?", default="list")
    p.add_argument("models", nargs="*", metavar="MODEL", help="models (default: all)")
    p.set_defaults(func=run_weights)
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
    _add_weights(subparsers)
    return parser


# ------------------------------------------------------------------------------ data
def _load(args):
    """Read the data through the registry; returns a :class:`~datasets.LoadedData`.

    ``args.preprocess`` (made from ``--recipe``) runs on each continuous recording before
    epoching.
    """
    from .datasets import DATA_ARGUMENTS, DataOptions, load_data

    fields = [flag[2:].replace("-", "_") for flag, _ in DATA_ARGUMENTS]
    options = {k: getattr(args, k, None) for k in fields}
    return load_data(DataOptions(**options, preprocess=getattr(args, "preprocess", None)))


def _run_models(harness, args):
    """Return the foundation models the run's pipelines need, before any data is read."""
    if args.pipelines is None:
        return list(args.models)
    return [m for m in map(harness.pipeline_model, args.pipelines) if m is not None]


def _recipe(harness, args):
    """Turn ``--recipe MODEL`` into the preparation of each recording, and its note.

    One recording is prepared one way per run, so every model of the run must share the
    recipe (CBraMod, CodeBrain, EEG-DINO and REVE share CBraMod's EEGMMIDB recipe);
    models whose authors prepared data differently are refused with the fix.

    Returns
    -------
    preprocess : callable | None
        ``preprocess(raw) -> raw``: :func:`~sklearn_eegfm.models.apply_recipe` in place.
    note : str | None
        What was done, for the console and the report.
    """
    if getattr(args, "recipe", None) is None:
        return None, None
    from functools import partial

    from .models import apply_recipe, get_contract

    contract = get_contract(args.recipe)
    name = contract.name
    if not contract.recipe and not contract.recipe_source:
        raise CLIError(
            f"--recipe {args.recipe}: {name}'s authors' preparation of continuous recordings "
            "is not recorded in its contract. Leave --recipe out (the paradigm's band-pass "
            "applies), or prepare the recordings yourself with --l-freq/--h-freq/--resample."
        )
    if args.resample is not None and any(m == "resample" for m, _ in contract.recipe):
        rate = dict(contract.recipe)["resample"]["sfreq"]
        raise CLIError(
            f"--recipe {name} resamples each recording to {rate:g} Hz, as its authors did; "
            "drop --resample."
        )
    others = {}
    for model in _run_models(harness, args):
        other = get_contract(model)
        if other.recipe != contract.recipe:
            others[other.name] = "; ".join(other.recipe_lines()[:-1] or ["unknown"])
    if others:
        listed = ", ".join(f"{m} ({steps})" for m, steps in others.items())
        raise CLIError(
            f"--recipe {name}: the run's models {listed} were prepared differently by their "
            "authors, and one recording is prepared one way per run. Run each in its own "
            f"command with its own --recipe (e.g. --models {next(iter(others))} --recipe "
            f"{next(iter(others))}), or leave --recipe out."
        )
    steps = "; ".join(contract.recipe_lines()[:-1]) or "nothing: they did not filter"
    note = (
        f"--recipe {name}: each recording prepared before epoching as {name}'s authors did "
        f"({steps}; {contract.recipe_source}), instead of the paradigm's band-pass"
    )
    return partial(apply_recipe, model=name, copy=False, verbose=False), note


def _sessions_from(meta, column):
    """Use a metadata column as the sessions (in place)."""
    if column not in meta.columns:
        raise CLIError(
            f"--sessions-from {column}: no such metadata column; the data have "
            f"{', '.join(map(str, meta.columns))}."
        )
    meta["session"] = meta[column]


def _check_protocol(protocol, meta):
    """Refuse a protocol the data cannot support, naming one that they can."""
    n_subjects = meta["subject"].nunique()
    if protocol == "loso" and n_subjects < 2:
        raise CLIError(
            f"--protocol loso needs two subjects or more; the data hold one "
            f"({meta['subject'].iloc[0]}). Use --protocol within-subject (cross-validation "
            "within the subject)"
            + (" or --protocol cross-session." if meta["session"].nunique() > 1 else ".")
        )
    if protocol == "cross-session" and meta.groupby("subject")["session"].nunique().max() < 2:
        other = " or --protocol loso" if n_subjects > 1 else ""
        raise CLIError(
            "--protocol cross-session needs a subject with two sessions or more; each "
            f"subject here has one. Use --protocol within-subject{other}; sessions are read "
            "from ses-<id> (BIDS), sessionN folders or --subject-pattern "
            "'(?P<subject>...)(?P<session>...)'"
            + (
                ", or take them from the runs with --sessions-from run."
                if "run" in meta and meta.groupby("subject")["run"].nunique().max() > 1
                else "."
            )
        )


# ------------------------------------------------------------------------- pipelines
def _weights_plan(models, weights, home=None):
    """Decide, once per model and before any fold, which weights it runs with.

    Pretrained weights whenever they can be had: the ``--weights`` folder ``home`` (searched
    like the local cache, its checkpoint passed to the estimators as a path: the folder is
    an argument, never an environment variable), else the local cache, else the hub
    (downloaded into the cache, so that every fold finds them there); random
    initialisation only when none has them, or with ``--weights random``.

    Returns
    -------
    plan : dict of str to "auto" | str | None
        Model -> the estimators' ``weights`` (a checkpoint path, "auto", or None: random
        init).
    lines : dict of str to str
        Model -> which weights and why, in one line.
    """
    from .models import WeightsNotFoundError, get_contract, home_dir
    from .models._weights import find_cached, resolve_weights

    plan, lines = {}, {}
    for model in models:
        contract = get_contract(model)
        name = contract.name
        if weights == "random":
            plan[name], lines[name] = None, "RANDOM weights, as asked (--weights random)"
            continue
        cached = find_cached(contract, home)
        if cached is not None:
            plan[name] = "auto" if home is None else str(cached)
            where = "the local cache" if home is None else "the --weights folder"
            lines[name] = f"pretrained weights from {where} ({cached})"
            continue
        if weights is not None:
            raise CLIError(
                f"--weights {weights}: no {name} checkpoint there (looked for "
                f"{list(contract.hub_files)} under {home or home_dir()}, flat or in the hub "
                "layout)."
            )
        try:
            source = resolve_weights(contract, "auto")  # not cached: the hub, once
        except WeightsNotFoundError as err:
            plan[name] = None
            lines[name] = f"RANDOM weights (not pretrained): {_first_sentence(str(err))}"
        else:
            plan[name] = "auto"
            lines[name] = (
                f"pretrained weights downloaded from the hub ({contract.hub_repo}) to "
                f"{source.path}"
            )
    return plan, lines


def _first_sentence(text):
    """Keep an error's reason, without the paragraph of fixes that follows it."""
    head = re.split(r"(?<=[.)])\s+(?=[A-Z])", " ".join(text.split()), maxsplit=1)[0]
    return head.rstrip(".") + "; see --weights and `sklearn-eegfm weights`"


def _pipeline_names(harness, args, paradigm):
    if args.pipelines is not None:
        return list(dict.fromkeys(args.pipelines))
    from .models import get_contract

    base = harness.default_baselines(paradigm)
    return [*base, *(f"fm-{get_contract(m).name}" for m in args.models)]


def _pipelines(harness, names, weights, home=None, *, check_only=False):
    """Build the pipelines by name; say per model which weights it runs with and why.

    With ``check_only``, only the names are checked (nothing is looked up or built).
    """
    needs, unknown = {}, []
    for name in names:
        try:
            needs[name] = harness.pipeline_model(name)
        except ValueError:
            unknown.append(name)
    if unknown:
        raise CLIError(
            f"Unknown pipeline(s) {unknown}; available: {harness.describe_names()} "
            "(e.g. --pipelines csp,fm-labram)."
        )
    models = list(dict.fromkeys(m for m in needs.values() if m is not None))
    if check_only:
        return None
    plan, lines = _weights_plan(models, weights, home)
    for name in names:
        release = harness.pipeline_tokenizer(name)
        if release is not None and release not in plan:
            needs[name] = release
            plan[release] = found = _tokenizer_plan(release, weights, home)
            lines[release] = (
                "RANDOM codebooks (no published checkpoint found; see --weights)"
                if found is None
                else "pretrained tokenizer weights from "
                + ("the local cache" if found == "auto" else found)
            )
    pipes = {name: harness.make_named_pipeline(name, weights=plan, fast=True) for name in names}
    return pipes, {m: (plan[m] is not None, lines[m]) for m in plan}, models


def _tokenizer_plan(release, weights, home=None):
    """Plan a published tokenizer's weights: ``"auto"`` or a path, else None (random).

    The checkpoint is looked for in the ``--weights`` folder ``home`` (then passed as its
    path), else in the local cache, then on the hub (downloaded into the cache, once, as
    for the models); without one the codebooks are random.
    """
    from .tokenizers._releases import tokenizer_release
    from .tokenizers.pretrained import WeightsNotFoundError, find_release, resolve_release

    if weights == "random":
        return None
    spec = tokenizer_release(release)
    if home is not None:
        found = find_release(spec, home)
        return None if found is None else str(found)
    try:
        resolve_release(spec, "auto")
    except WeightsNotFoundError:
        return None
    return "auto"


# ------------------------------------------------------------------------------- run
def _harness():
    """Import the evaluation package (a function, so that tests can stand in for it)."""
    from . import evaluation

    return evaluation


def _check_resumable(partial, protocol, dataset):
    import pandas as pd

    previous = pd.read_csv(partial, usecols=["protocol", "dataset"])
    other = (set(previous["protocol"]) - {protocol}) | (set(previous["dataset"]) - {dataset})
    if other:
        raise CLIError(
            f"{partial} holds another run ({sorted(map(str, other))}); drop --resume or "
            "choose another --out."
        )


def _check_paths(args):
    """Fail fast on paths that do not exist; returns the ``--weights`` folder or None."""
    if args.reader is not None and args.data is None:
        raise CLIError("--reader needs --data PATH.")
    is_glob = args.data is not None and any(ch in args.data for ch in "*?[")
    if args.data is not None and not is_glob and not Path(args.data).expanduser().exists():
        raise CLIError(f"--data {args.data}: no such file or folder.")
    if args.bids_root is not None and not Path(args.bids_root).expanduser().is_dir():
        raise CLIError(f"--bids-root {args.bids_root}: no such folder.")
    if args.weights in (None, "random"):
        return None
    weights_home = Path(args.weights).expanduser()
    if not weights_home.is_dir():
        raise CLIError(f"--weights {args.weights}: not a folder (give a folder or 'random').")
    return weights_home.resolve()


def _quiet_worker(warnings_too):
    """Start of each joblib worker: MNE's chatter (and warnings) stay off the progress bar."""
    import mne

    mne.set_log_level("WARNING")
    if warnings_too:
        warnings.simplefilter("ignore")


def _quiet_workers(n_jobs):
    """Keep workers' warnings and MNE logs off the progress bar: they would garble its line.

    The workers are started with :func:`_quiet_worker` (joblib's ``initializer``), so
    that nothing of this process (its environment, its warning filters) changes. A
    ``PYTHONWARNINGS`` the user set is left to rule the workers' warnings.
    """
    import contextlib

    if n_jobs == 1:
        return contextlib.nullcontext()
    import joblib

    keep_user_filters = bool(os.environ.get("PYTHONWARNINGS"))
    return joblib.parallel_config(
        backend="loky", initializer=_quiet_worker, initargs=(not keep_user_filters,)
    )


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
    harness = _harness()
    if args.metric not in harness.METRICS:
        raise CLIError(f"--metric {args.metric}: choose one of {', '.join(harness.METRICS)}.")
    if args.pipelines is not None:  # bad names fail before any data is read
        _pipelines(harness, _pipeline_names(harness, args, None), None, check_only=True)
    args.preprocess, recipe_note = _recipe(harness, args)
    loaded = _load(args)
    if recipe_note is not None:
        loaded.notes.insert(0, recipe_note)
    epochs, y = loaded.epochs, loaded.y
    if args.resume and partial.exists():
        _check_resumable(partial, args.protocol, loaded.dataset)
    if args.max_epochs_per_subject:
        idx = subsample_per_subject(epochs.metadata["subject"], y, args.max_epochs_per_subject)
        epochs, y = epochs[idx], y[idx]
    if args.sessions_from:
        _sessions_from(epochs.metadata, args.sessions_from)
    _check_protocol(args.protocol, epochs.metadata)
    names = _pipeline_names(harness, args, loaded.paradigm)
    pipes, weights_lines, models = _pipelines(harness, names, args.weights, weights_home)
    for note in loaded.notes:
        say(f"note: {note}")
    if loaded.paradigm is None and args.pipelines is None:
        _out("note: paradigm unknown; pass --paradigm erp|mi|resting|ssvep for its baselines.")
    for model, (pretrained, line) in weights_lines.items():
        # Random weights are said even with --quiet: results must not pass as pretrained.
        (say if pretrained else lambda text: _out(text, err=True))(f"{model}: {line}")
    from .evaluation.report import data_summary

    data = data_summary(
        epochs, y, dataset=loaded.dataset, paradigm=loaded.paradigm, reader=loaded.reader,
        notes=loaded.notes,
    )  # fmt: skip
    say(
        f"{loaded.dataset}: {count(len(epochs), 'epoch')}, "
        f"{count(epochs.metadata['subject'].nunique(), 'subject')}, "
        f"{count(len(epochs.ch_names), 'channel')} at {data['sampling rate']}, "
        f"{data['window']}, paradigm {loaded.paradigm or '?'}, classes {data['classes']}"
    )
    say(f"{args.protocol}: {', '.join(pipes)}")
    out.mkdir(parents=True, exist_ok=True)
    if partial.exists() and args.resume:
        say(f"resuming from {partial}")
    elif partial.exists():
        discard(partial)  # a fresh run: results of an older one must not leak in
    import mne

    # MNE's per-fold chatter (CSP's rank estimates...) would bury the progress bar
    # (workers: see _quiet_workers).
    with (
        warnings.catch_warnings(record=True) as caught,
        _quiet_workers(args.n_jobs),
        mne.utils.use_log_level("WARNING"),
    ):
        # Said once above. Other warnings are recorded, not printed over the bar.
        warnings.simplefilter("always")
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
            dataset=loaded.dataset,
            keep_errors=args.keep_errors,
            verbose=not args.quiet,
        )
    # Warnings raised during the folds, once each, after the progress bar.
    for message in dict.fromkeys(str(w.message) for w in caught):
        _out(f"warning: {message}", err=True)
    context = {"data": data, "epochs": epochs, "models": models}
    return _write_outputs(harness, results, args, out, partial, say, context)


def _write_outputs(harness, results, args, out, partial, say, context):
    from .evaluation.report import write_outputs

    results.to_csv(out / "results.csv", index=False)  # first: nothing computed gets lost
    code = write_outputs(
        harness,
        results,
        out,
        metric=args.metric,
        protocol=args.protocol,
        command=" ".join([PROG, *map(shlex.quote, getattr(args, "argv", []))]),
        say=say,
        show=_out,
        warn=lambda text: _out(text, err=True),
        **context,
    )
    if code == 0:
        discard(partial)  # everything is in results.csv now
    return code


# --------------------------------------------------------------------------- weights
def run_weights(args):
    """Run the ``weights`` subcommand: ``list``, ``download`` or ``verify``.

    Parameters
    ----------
    args : argparse.Namespace
        ``action`` and ``models``.

    Returns
    -------
    code : int
        0 when every checkpoint asked for is present (verify: and readable) or
        downloaded, else 1.
    """
    from .models._inventory import weights_command

    if args.action == "download" and not args.models:
        raise CLIError("weights download needs model names, e.g. weights download cbramod.")
    text, code = weights_command(args.action, args.models)
    _out(text)
    return code


# ------------------------------------------------------------------------------ main
def _cli_words(message):
    """Spell Python keyword hints as the command line's options."""
    return re.sub(
        r"\b(protocol|shots|n_splits)=['\"]?([\w-]+)['\"]?",
        lambda m: f"--{m.group(1).replace('_', '-')} {m.group(2)}",
        message,
    )


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

    argv = sys.argv[1:] if argv is None else list(argv)
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exit_:  # --help, --version, or a usage error already printed
        return int(exit_.code or 0)
    args.argv = argv
    try:
        return args.func(args)
    except (CLIError, FileNotFoundError, WeightsNotFoundError, ValueError, RunLockedError) as err:
        message = " ".join(_cli_words(str(err)).split())
        _out(f"{PROG} {args.command}: error: {message}", err=True)
        return 2
    except KeyboardInterrupt:
        hint = f" rerun with --resume --out {args.out} to continue" if "out" in args else ""
        _out(f"\n{PROG} {args.command}: interrupted;{hint}.", err=True)
        return 130


if __name__ == "__main__":
    raise SystemExit(main())
