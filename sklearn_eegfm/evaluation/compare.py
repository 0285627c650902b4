"""compare(): run pipelines under a protocol and return one tidy results table.

compare() composes three parts, each usable alone: the plan (:mod:`._plan`: the data,
and every pipeline x fold x seed task with its key), the resumable run (:mod:`._runs`:
the results file, its record and lock, what is done) and the executor
(:mod:`._executor`: joblib, any backend, generators seeded per task). One task is
fitted and scored by :func:`._fold.run_fold`.
"""

from __future__ import annotations

from . import _fold
from ._executor import Executor
from ._plan import make_plan, prepare_data
from ._runs import ResumableRun

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


def _with_cache(estimator, cache):
    from sklearn.base import clone

    params = estimator.get_params(deep=True)
    keys = {k: str(cache) for k in params if k == "cache" or k.endswith("__cache")}
    return clone(estimator).set_params(**keys) if keys else estimator


def _check_pipelines(pipelines, metrics):
    if not isinstance(pipelines, dict) or not pipelines:
        raise ValueError("pipelines must be a non-empty dict of name -> estimator.")
    bad = [n for n, p in pipelines.items() if not hasattr(p, "fit") or not hasattr(p, "predict")]
    if bad:
        raise TypeError(f"Pipelines {bad} are not classifiers (no fit/predict).")
    unknown = [m for m in metrics if m not in METRICS]
    if unknown:
        raise ValueError(f"Unknown metrics {unknown}; choose from {list(METRICS)}.")


def _in_pipeline_order(results, pipelines):
    order = {name: i for i, name in enumerate(pipelines)}
    return results.sort_values(
        ["seed", "fold", "pipeline"],
        key=lambda c: c.map(order) if c.name == "pipeline" else c,
        kind="stable",
    ).reset_index(drop=True)


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
    from tqdm.auto import tqdm

    if isinstance(epochs, tuple) and len(epochs) == 2:
        from .moabb import load_moabb

        paradigm, moabb_dataset = epochs
        epochs = load_moabb(paradigm, moabb_dataset)
        dataset = moabb_dataset.code if dataset == "custom" else dataset
    _check_pipelines(pipelines, metrics)
    data = prepare_data(epochs, y, subjects, sessions, protocol=protocol)
    if cache is not None:
        pipelines = {name: _with_cache(est, cache) for name, est in pipelines.items()}
    plan = make_plan(
        pipelines,
        data,
        protocol=protocol,
        settings={
            "n_splits": n_splits,
            "shots": shots,
            "n_draws": n_draws,
            "few_shot_source": few_shot_source,
        },
        seeds=[random_state + i for i in range(n_seeds)],
        dataset=dataset,
        metrics=list(metrics),
    )
    context = {"dataset": dataset, "protocol": protocol}
    # Locks results_path, checks its run record and reads back its valid rows.
    with ResumableRun(
        results_path, plan.record, plan.keys, list(metrics), COLUMNS, keep_errors
    ) as run:
        tasks = run.remaining(plan.tasks)
        done = Executor(n_jobs).map(_fold.run_fold, tasks, data, list(metrics), context)
        for _task, rows in tqdm(done, total=len(tasks), disable=not verbose, desc="folds"):
            run.add(rows)
    return _in_pipeline_order(run.frame(), pipelines)
