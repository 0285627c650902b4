"""One task: fit a pipeline on a fold's training epochs, score it on its test epochs.

A crashing pipeline is a result too: its error becomes the fold's rows. Besides the
scores, each row says what was evaluated (pretrained or random weights, overlap of the
data with the model's pretraining corpora, test-time adaptation, fine-tuning strategy).
"""

from __future__ import annotations

import time
import traceback
from pathlib import Path

import numpy as np

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


def _seed_estimator(estimator, seed):
    """Set every random_state in the (nested) estimator to ``seed``."""
    params = estimator.get_params(deep=True)
    seeded = {k: seed for k in params if k == "random_state" or k.endswith("__random_state")}
    return estimator.set_params(**seeded) if seeded else estimator


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


def run_fold(task, data, metrics, context):
    """Fit and score one pipeline on one fold; errors become rows, not a crash.

    Parameters
    ----------
    task : Task
        The pipeline, its seed and the fold.
    data : EvaluationData
        Epochs, labels and domains.
    metrics : list of str
        Metric names.
    context : dict
        ``dataset`` and ``protocol`` names, copied into every row.

    Returns
    -------
    rows : list of dict
        One row per metric.
    """
    from sklearn.base import clone

    name, estimator, seed, split = task.pipeline, task.estimator, task.seed, task.split
    X, y = data.X, data.y
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
        scores, extra = dict.fromkeys(metrics, np.nan), _error_columns(err)
    return [{**base, **extra, "metric": m, "score": float(v)} for m, v in scores.items()]


def _error_columns(err):
    """Fill the columns of a fold that raised ``err``: where, and nothing measured."""
    last = traceback.extract_tb(err.__traceback__)[-1]
    return {
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
