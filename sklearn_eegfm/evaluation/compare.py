"""compare(): run pipelines under a protocol and return one tidy results table."""

from __future__ import annotations

import os
import time
import traceback
from pathlib import Path

import numpy as np

from . import _runs
from .protocols import make_splits

METRICS = ("balanced_accuracy", "roc_auc", "kappa", "f1_weighted")
COLUMNS = [
    "dataset",
    "protocol",
    "pipeline",
    "seed",
    "subject",
    "session",
    "fold",
    "k_shot",
    "metric",
    "score",
    "time",
    "predict_time",
    "n_samples",
    "n_train",
    "weights",
    "pretraining_overlap",
    "error",
    # test-time adaptation / alignment (issue 9)
    "adaptation",
    "adaptation_skipped",
    "adaptation_collapsed",
    "adaptation_time",
    "strategy",
    "n_trainable_params",
]
# The metadata column that names a test epoch's domain, per protocol: adapters and
# alignments whose ``domain`` is None get it, so that they adapt per subject (LOSO) or
# per session (cross-session) and align each training domain on its own.
PROTOCOL_DOMAIN = {
    "loso": "subject",
    "cross-session": "session",
    "within-subject": "subject",
    "few-shot": "subject",
}
# Other names of the datasets a contract may list as pretraining corpora.
DATASET_ALIASES = {
    "eegmmidb": ("eegmmidb", "physionet mi", "physionet motor", "physiomi", "eegbci"),
    "tueg": ("tueg", "tuh eeg"),
}


def _labels(epochs, y):
    if y is not None:
        y = np.asarray(y)
    else:
        meta = getattr(epochs, "metadata", None)
        if meta is not None and "label" in meta:
            y = meta["label"].to_numpy()
        elif hasattr(epochs, "events") and hasattr(epochs, "event_id"):
            names = {v: k for k, v in epochs.event_id.items()}
            y = np.array([names[c] for c in epochs.events[:, 2]])
        else:
            raise ValueError(
                "No labels: pass y=..., or Epochs with a metadata 'label' column or events."
            )
    if len(y) != len(epochs):
        raise ValueError(f"y has {len(y)} labels for {len(epochs)} epochs.")
    if any(v is None or (isinstance(v, float) and np.isnan(v)) for v in y.tolist()):
        raise ValueError("Some labels are missing (None/NaN); drop those epochs first.")
    return y


def _groups(epochs, values, column, required):
    if values is not None:
        values = np.asarray(values)
    else:
        meta = getattr(epochs, "metadata", None)
        if meta is not None and column in meta:
            values = meta[column].to_numpy()
        elif required:
            raise ValueError(
                f"The protocol needs each epoch's {column}: pass {column}s=... or Epochs "
                f"with a metadata '{column}' column."
            )
        else:
            values = np.zeros(len(epochs), int)
    if len(values) != len(epochs):
        raise ValueError(f"{column}s has {len(values)} entries for {len(epochs)} epochs.")
    return values


def _with_domains(X, subjects, sessions):
    """EpochsData whose metadata hold the subject and session used by the protocol.

    Adapters and alignments read each epoch's domain from these columns, also when
    the domains were given as arrays rather than metadata.
    """
    import dataclasses

    import pandas as pd

    def load_metadata():
        meta = X.metadata
        meta = pd.DataFrame(index=range(len(X))) if meta is None else meta.copy()
        meta["subject"], meta["session"] = subjects, sessions
        return meta.reset_index(drop=True)

    return dataclasses.replace(
        X, ch_names=list(X.ch_names), notes=list(X.notes), _metadata_loader=load_metadata
    )


def _seed_estimator(estimator, seed):
    """Set every random_state in the (nested) estimator to ``seed``."""
    params = estimator.get_params(deep=True)
    seeded = {k: seed for k in params if k == "random_state" or k.endswith("__random_state")}
    return estimator.set_params(**seeded) if seeded else estimator


def _with_cache(estimator, cache):
    from sklearn.base import clone

    params = estimator.get_params(deep=True)
    keys = {k: str(cache) for k in params if k == "cache" or k.endswith("__cache")}
    return clone(estimator).set_params(**keys) if keys else estimator


def _nested(estimator):
    """Yield the fitted estimator and every one nested in it, outer first.

    Nested are pipeline steps, the estimator an adapter wraps (``estimator_``) and a
    probe's embedder (``embedder_``).
    """
    stack = [estimator]
    while stack:
        est = stack.pop()
        yield est
        inner = [*getattr(est, "named_steps", {}).values()]
        inner += [e for e in (getattr(est, n, None) for n in ("estimator_", "embedder_")) if e]
        stack.extend(reversed(inner))


def _foundation_steps(estimator):
    """Fitted steps that hold a foundation model (they expose ``pretrained_``)."""
    return [est for est in _nested(estimator) if hasattr(est, "pretrained_")]


def _overlap(dataset, steps):
    names = DATASET_ALIASES.get(dataset.lower(), (dataset.lower(),))
    for step in steps:
        contract = getattr(step, "contract_", None) or getattr(
            getattr(step, "embedder_", None), "contract_", None
        )
        corpora = " | ".join(getattr(contract, "pretraining", ())).lower()
        if any(n and n in corpora for n in names):
            return True
    return False


def _set_domain(estimator, column):
    """Give every nested ``domain`` parameter left at None the protocol's column."""
    params = estimator.get_params(deep=True)
    keys = {
        k: column
        for k, v in params.items()
        if (k == "domain" or k.endswith("__domain")) and v is None
    }
    return estimator.set_params(**keys) if keys and column else estimator


def _adaptation_summary(estimator):
    """Adapters and alignments inside a fitted estimator, and what their reports say."""
    names, reports = [], []
    for est in _nested(estimator):
        report = getattr(est, "adaptation_report_", None)
        if report is None:
            report = getattr(est, "alignment_report_", None)
        if report is not None:
            # A stretching recentering is a different method from plain recentering.
            names.append(type(est).__name__ + ("(stretch)" if getattr(est, "stretch", 0) else ""))
            reports.extend(r for r in report.values() if not r.get("source"))
    return {
        "adaptation": "+".join(reversed(names)) or "none",
        "adaptation_skipped": any(r.get("skipped", False) for r in reports),
        "adaptation_collapsed": any(r.get("collapsed", False) for r in reports),
        "adaptation_time": float(sum(r.get("time", 0.0) for r in reports)),
    }


def _training(steps):
    """How the foundation model was adapted, and how many parameters were trained."""
    for step in steps:
        if hasattr(step, "strategy_"):  # FMClassifier, RidgeProbe
            return step.strategy_, step.n_trainable_params_
        head = getattr(step, "head_", None)  # LinearProbe: frozen backbone, a logistic head
        if head is not None and hasattr(head, "coef_"):
            return "frozen", int(head.coef_.size + np.size(head.intercept_))
    return ("frozen" if steps else "n/a"), np.nan


def _scores(estimator, X, y_true, classes, metrics):
    from sklearn.metrics import (
        balanced_accuracy_score,
        cohen_kappa_score,
        f1_score,
        roc_auc_score,
    )

    proba = None
    if hasattr(estimator, "adaptation_report_"):
        # Adapt once: the adapted labels are the argmax of the adapted probabilities.
        proba = estimator.predict_proba(X)
        y_pred = estimator.classes_[proba.argmax(axis=1)]
    else:
        y_pred = estimator.predict(X)
    out = {}
    for metric in metrics:
        if metric == "balanced_accuracy":
            out[metric] = balanced_accuracy_score(y_true, y_pred)
        elif metric == "kappa":
            out[metric] = cohen_kappa_score(y_true, y_pred)
        elif metric == "f1_weighted":
            out[metric] = f1_score(y_true, y_pred, average="weighted", zero_division=0)
        elif metric == "roc_auc":
            if len(np.unique(y_true)) < 2:
                out[metric] = np.nan  # undefined on a one-class test fold
                continue
            proba = estimator.predict_proba(X) if proba is None else proba
            order = list(estimator.classes_)
            if len(classes) == 2:
                out[metric] = roc_auc_score(y_true == order[1], proba[:, 1])
            else:
                out[metric] = roc_auc_score(y_true, proba, multi_class="ovr", labels=order)
    return out


def _run_fold(name, estimator, X, y, split, seed, metrics, context):
    """Fit and score one pipeline on one fold; errors become a row, not a crash."""
    from sklearn.base import clone

    base = {
        **context,
        "pipeline": name,
        "seed": seed,
        "subject": split.subject,
        "session": split.session,
        "fold": split.fold,
        "k_shot": np.nan if split.k_shot is None else split.k_shot,
        "n_samples": len(split.test),
        "n_train": len(split.train),
    }
    est = _seed_estimator(clone(estimator), seed)
    est = _set_domain(est, PROTOCOL_DOMAIN.get(context["protocol"]))
    try:
        t0 = time.perf_counter()
        est.fit(X[split.train], y[split.train])
        fit_time = time.perf_counter() - t0
        t0 = time.perf_counter()
        scores = _scores(est, X[split.test], y[split.test], np.unique(y), metrics)
        predict_time = time.perf_counter() - t0
        steps = _foundation_steps(est)
        weights = (
            "n/a"
            if not steps
            else ("pretrained" if all(s.pretrained_ for s in steps) else "random")
        )
        extra = {
            "time": fit_time,
            "predict_time": predict_time,
            "weights": weights,
            "pretraining_overlap": _overlap(context["dataset"], steps),
            "error": "",
            **_adaptation_summary(est),
        }
        extra["strategy"], extra["n_trainable_params"] = _training(steps)
    except Exception as err:  # noqa: BLE001  (a crashing pipeline is a result too)
        last = traceback.extract_tb(err.__traceback__)[-1]
        scores = dict.fromkeys(metrics, np.nan)
        extra = {
            "time": np.nan,
            "predict_time": np.nan,
            "weights": "unknown",
            "pretraining_overlap": False,
            "error": f"{type(err).__name__}: {err} ({Path(last.filename).name}:{last.lineno})",
            "adaptation": "unknown",
            "adaptation_skipped": False,
            "adaptation_collapsed": False,
            "adaptation_time": np.nan,
            "strategy": "",
            "n_trainable_params": np.nan,
        }
    return [{**base, **extra, "metric": m, "score": float(v)} for m, v in scores.items()]


def _save(frame, results_path):
    # Write-then-rename: an interrupted run never leaves a half-written table.
    path = Path(results_path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(f".{os.getpid()}.tmp")
    frame.to_csv(tmp, index=False)
    os.replace(tmp, path)


def compare(
    pipelines,
    epochs,
    y=None,
    *,
    protocol="loso",
    subjects=None,
    sessions=None,
    n_splits=5,
    shots=(1, 2, 5, 10),
    n_draws=5,
    few_shot_source=False,
    n_seeds=1,
    metrics=METRICS,
    n_jobs=1,
    results_path=None,
    cache=None,
    dataset="custom",
    random_state=0,
    keep_errors=False,
    verbose=False,
):
    """Compare pipelines on epochs under an evaluation protocol.

    Every pipeline sees exactly the same folds (and, for few-shot, the same k labelled
    examples). Each fold is fitted on a fresh clone whose ``random_state`` parameters
    are set to the seed, with NumPy's, Python's and torch's global generators seeded
    from the fold, so runs are reproducible: scores are equal for any ``n_jobs`` and
    after a resume. One tolerance remains for foundation-model pipelines: the
    embedding of an epoch depends, at float32 rounding level, on which other epochs
    share its batch (up to 2e-5 absolute measured on CBraMod, batch of 40 vs one at
    a time), and workers or resumed runs with their own in-memory caches may batch
    epochs differently. Rarely, a prediction then flips and a score moves (by up to
    0.004 in the cases seen); pass ``n_jobs=1`` and resume nothing for bit-equal runs.

    Parameters
    ----------
    pipelines : dict of str to estimator
        Named scikit-learn classifiers that accept the epochs (e.g. from
        :func:`default_pipelines`).
    epochs : mne.Epochs | EpochsData | tuple
        The data; metadata columns ``subject``/``session``/``label`` are used when the
        corresponding arguments are None. A ``(paradigm, dataset)`` pair of MOABB
        objects is loaded with :func:`load_moabb` (``dataset`` then defaults to the
        MOABB dataset's code).
    y : array-like | None
        Labels; None reads ``metadata["label"]``, else the event names.
    protocol : "within-subject" | "cross-session" | "loso" | "few-shot"
        See :func:`~sklearn_eegfm.evaluation.protocols.make_splits`.
    subjects, sessions : array-like | None
        Subject and session per epoch (None reads the metadata).
    n_splits, shots, n_draws, few_shot_source :
        Protocol settings (see :func:`make_splits`).
    n_seeds : int
        Repeats with seeds ``random_state, random_state + 1, ...`` (model
        initialisation, splits and few-shot draws).
    metrics : sequence of str
        Among ``"balanced_accuracy"``, ``"roc_auc"`` (one-vs-rest when multiclass),
        ``"kappa"``, ``"f1_weighted"``.
    n_jobs : int
        Folds run in parallel through joblib; ``joblib.parallel_config("dask")`` runs
        them on a dask cluster.
    results_path : str | Path | None
        CSV written after every finished fold; a run restarted with the same path
        skips the folds already there. A record of the run (data fingerprint,
        pipelines and their parameters, protocol, seeds, metrics, package version) is
        kept beside it (``<results_path>.run.json``): resuming with another
        configuration is an error that says what differs. Rows read back are
        validated (malformed, unknown or duplicated rows and folds with missing
        metrics are dropped and recomputed), and the file is locked while the run
        writes it (another live run gets an error naming its process).
    cache : str | Path | None
        A folder for the embedding caches of every pipeline (their ``cache``
        parameters), so that parallel workers and later runs share embeddings; None
        keeps each pipeline's own setting (in memory, per process).
    dataset : str
        Name of the data set, checked against each model's pretraining corpora
        (``pretraining_overlap``).
    random_state : int
        Base seed.
    keep_errors : bool
        When resuming, keep the rows of folds that raised instead of retrying them.
    verbose : bool
        Show a progress bar over folds.

    Returns
    -------
    results : pandas.DataFrame
        One row per pipeline x fold x metric, with MOABB's column names where they
        overlap (``score``, ``time``, ``subject``, ``session``, ``pipeline``,
        ``n_samples``) plus ``weights`` ("pretrained", "random" or "n/a") and
        ``error`` (empty unless the fold crashed).

    Examples
    --------
    >>> from sklearn_eegfm.datasets import load_p300_demo
    >>> from sklearn_eegfm.evaluation import compare, default_pipelines
    >>> epochs = load_p300_demo(tmax=1.0)
    >>> pipes = default_pipelines(models=("cbramod",), weights=None, fast=True)
    >>> results = compare(pipes, epochs, protocol="loso")  # doctest: +SKIP
    """
    import pandas as pd
    from joblib import Parallel, delayed

    from .._data import EpochsData

    if isinstance(epochs, tuple) and len(epochs) == 2:
        from .moabb import load_moabb

        paradigm, moabb_dataset = epochs
        epochs = load_moabb(paradigm, moabb_dataset)
        dataset = moabb_dataset.code if dataset == "custom" else dataset
    if not isinstance(pipelines, dict) or not pipelines:
        raise ValueError("pipelines must be a non-empty dict of name -> estimator.")
    bad = [n for n, p in pipelines.items() if not hasattr(p, "fit") or not hasattr(p, "predict")]
    if bad:
        raise TypeError(f"Pipelines {bad} are not classifiers (no fit/predict).")
    unknown = [m for m in metrics if m not in METRICS]
    if unknown:
        raise ValueError(f"Unknown metrics {unknown}; choose from {list(METRICS)}.")
    y = _labels(epochs, y)
    subjects = _groups(epochs, subjects, "subject", protocol != "within-subject")
    sessions = _groups(epochs, sessions, "session", protocol == "cross-session")
    X = epochs if isinstance(epochs, EpochsData) else EpochsData.from_epochs(epochs)
    X = _with_domains(X, subjects, sessions)
    if cache is not None:
        pipelines = {name: _with_cache(est, cache) for name, est in pipelines.items()}
    seeds = [random_state + i for i in range(n_seeds)]
    plan = [
        (seed, split)
        for seed in seeds
        for split in make_splits(
            protocol,
            y,
            subjects,
            sessions,
            n_splits=n_splits,
            shots=shots,
            n_draws=n_draws,
            few_shot_source=few_shot_source,
            random_state=seed,
        )
    ]
    planned = {
        _runs.fold_key(name, seed, split.subject, split.session, split.fold, split.k_shot)
        for seed, split in plan
        for name in pipelines
    }
    record = _runs.run_record(
        pipelines=pipelines,
        X=X,
        y=y,
        subjects=subjects,
        sessions=sessions,
        dataset=dataset,
        protocol=protocol,
        settings={
            "n_splits": n_splits,
            "shots": shots,
            "n_draws": n_draws,
            "few_shot_source": few_shot_source,
        },
        seeds=seeds,
        metrics=metrics,
    )
    # Locks results_path, checks its run record and reads back its valid rows.
    run = _runs.ResumableRun(results_path, record, planned, list(metrics), COLUMNS, keep_errors)
    previous, done = run.previous, run.done
    tasks = [
        (name, est, seed, split)
        for seed, split in plan
        for name, est in pipelines.items()
        if _runs.fold_key(name, seed, split.subject, split.session, split.fold, split.k_shot)
        not in done
    ]
    context = {"dataset": dataset, "protocol": protocol}
    rows = [] if previous is None else previous.to_dict("records")
    from tqdm.auto import tqdm

    runner = Parallel(n_jobs=n_jobs, return_as="generator", **_runs.parallel_options())(
        delayed(_runs.PinnedFold(_run_fold))(name, est, X, y, split, seed, metrics, context)
        for name, est, seed, split in tasks
    )
    for fold_rows in tqdm(run.guard(runner), total=len(tasks), disable=not verbose, desc="folds"):
        rows.extend(fold_rows)
        if results_path is not None:
            _save(pd.DataFrame(rows, columns=COLUMNS), results_path)
    results = pd.DataFrame(rows, columns=COLUMNS)
    order = {name: i for i, name in enumerate(pipelines)}
    return results.sort_values(
        ["seed", "fold", "pipeline"],
        key=lambda c: c.map(order) if c.name == "pipeline" else c,
        kind="stable",
    ).reset_index(drop=True)
