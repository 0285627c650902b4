"""Summaries and paired statistics of a :func:`compare` results table."""

from __future__ import annotations

import numpy as np

# Shared with viz.py, which sits below evaluation/: the column semantics live below both.
from .._scores import METRIC_RANGES, overlap_flags

_KEYS = ["protocol", "pipeline", "k_shot", "metric"]
#: Significance level against which the smallest achievable p-value is flagged.
ALPHA = 0.05


def pairing_unit(protocol):
    """Name the unit of one pair: ``"session"`` for cross-session, else ``"subject"``.

    Parameters
    ----------
    protocol : str
        The evaluation protocol.

    Returns
    -------
    unit : str
        ``"session"`` or ``"subject"``.
    """
    return "session" if protocol == "cross-session" else "subject"


def smallest_p(n_pairs):
    """Smallest two-sided p-value an exact paired test can give with ``n_pairs`` pairs.

    Both the sign-flip permutation test and Wilcoxon's exact signed-rank test reach
    at best ``2 / 2**n`` (every pair in the same direction).

    Parameters
    ----------
    n_pairs : int
        Number of pairs.

    Returns
    -------
    p : float
        ``2 ** (1 - n_pairs)``, at most 1.

    Examples
    --------
    >>> from sklearn_eegfm.evaluation.results import smallest_p
    >>> smallest_p(3), smallest_p(6)
    (0.25, 0.03125)
    """
    return float(min(1.0, 2.0 ** (1 - int(n_pairs))))


def summarize(results):
    """Mean and standard deviation per protocol, pipeline, k and metric.

    Parameters
    ----------
    results : pandas.DataFrame
        Output of :func:`compare`.

    Returns
    -------
    summary : pandas.DataFrame
        Columns ``protocol, pipeline, k_shot, metric, mean, std, n, n_errors, weights,
        pretraining_overlap``; ``mean``/``std`` over folds and seeds (errored folds
        excluded and counted); rows sorted by protocol, pipeline (as run) and numeric k.
    """
    import pandas as pd

    rows = []
    for key, group in results.groupby(_KEYS, dropna=False, sort=False):
        scores = group["score"].dropna()
        rows.append(
            {
                **dict(zip(_KEYS, key)),
                "mean": scores.mean() if len(scores) else np.nan,
                "std": scores.std(ddof=1) if len(scores) > 1 else np.nan,
                "n": len(scores),
                "n_errors": int((group["error"].fillna("") != "").sum()),
                "weights": ",".join(sorted(set(group["weights"].astype(str)))),
                "pretraining_overlap": bool(
                    (group["pretraining_overlap"].astype(str).str.lower() == "true").any()
                )
                if "pretraining_overlap" in group
                else False,
            }
        )
    summary = pd.DataFrame(rows)
    if summary.empty:
        return summary
    # Few-shot budgets in numeric order (1, 2, 5, 10), pipelines in the order run.
    order = {p: i for i, p in enumerate(summary["pipeline"].unique())}
    summary = summary.sort_values(
        ["protocol", "pipeline", "k_shot"],
        key=lambda c: c.map(order) if c.name == "pipeline" else c,
        kind="stable",
    )
    return summary.reset_index(drop=True)


def _subject_scores(results, metric):
    """Mean score per (protocol, k_shot, pipeline, unit) where unit pairs the folds."""
    sub = results[(results["metric"] == metric) & results["score"].notna()].copy()
    # Paired units: subjects, or (subject, session) for cross-session.
    sub["unit"] = sub["subject"].astype(str)
    cross = sub["protocol"] == "cross-session"
    sub.loc[cross, "unit"] = (
        sub.loc[cross, "subject"].astype(str) + "/" + sub.loc[cross, "session"].astype(str)
    )
    return sub.groupby(["protocol", "k_shot", "pipeline", "unit"], dropna=False)["score"].mean()


def _paired_test(diff, rng, n_boot, metric):
    from scipy import stats

    n = len(diff)
    if n < 2:  # no spread, no null distribution: nothing to test
        return "none (fewer than 2 pairs)", np.nan, np.nan, (np.nan, np.nan), np.nan
    boot = rng.choice(diff, size=(n_boot, n), replace=True).mean(axis=1)
    lo, hi = METRIC_RANGES.get(metric, (-np.inf, np.inf))
    ci = np.clip(np.percentile(boot, [2.5, 97.5]), lo - hi, hi - lo)
    sd = diff.std(ddof=1) if n > 1 else np.nan
    # Equal differences leave only rounding noise as spread: no effect size, not 1e15.
    effect = diff.mean() / sd if np.isfinite(sd) and sd > 1e-9 else np.nan
    if n >= 6 and np.any(diff != 0):
        res = stats.wilcoxon(diff)
        return "wilcoxon", float(res.statistic), float(res.pvalue), ci, effect
    # Few pairs: exact sign-flip permutation test of the mean difference.
    signs = np.array(np.meshgrid(*[[-1, 1]] * n)).reshape(n, -1).T if n else np.zeros((1, 0))
    null = np.abs((signs * diff).mean(axis=1))
    p = float(np.mean(null >= abs(diff.mean()) - 1e-12)) if n else np.nan
    return "sign-flip permutation", float(diff.mean()), p, ci, effect


def paired_stats(results, metric="roc_auc", baseline=None, n_boot=2000, random_state=0):
    """Paired comparison of every pipeline with the best baseline, across subjects.

    Scores are first averaged per subject (per subject and session for
    cross-session: the pairs are then sessions, and the ``unit`` column says so), so
    that each unit counts once. With fewer than 2 pairs no test is run (``test`` says
    so; p-value, interval and effect size are NaN). ``min_p`` is the smallest p-value
    the test can reach with that many pairs (``2 / 2**n``): ``underpowered`` flags rows
    where it is above 0.05, i.e. where no result could be significant. Intervals are
    clipped to the range of differences the metric allows. The baseline is the pipeline
    with the best mean among those without a foundation model (``weights == "n/a"``)
    unless given. The test is Wilcoxon's signed-rank test with 6 or more pairs and an
    exact sign-flip permutation test below that; the effect size is Cohen's d_z and
    the 95 % interval of the mean difference is a percentile bootstrap.

    Parameters
    ----------
    results : pandas.DataFrame
        Output of :func:`compare`.
    metric : str
        The metric to compare.
    baseline : str | None
        Baseline pipeline name.
    n_boot : int
        Bootstrap resamples.
    random_state : int
        Seed of the bootstrap.

    Returns
    -------
    stats : pandas.DataFrame
        One row per protocol, k and pipeline: ``baseline, mean, baseline_mean,
        mean_diff, ci_low, ci_high, test, statistic, p_value, effect_size, n_pairs,
        unit, min_p, underpowered, pretraining_overlap``.
    """
    import pandas as pd

    per_unit = _subject_scores(results, metric)
    if per_unit.empty:
        raise ValueError(f"No scores for metric {metric!r} in the results.")
    rng = np.random.default_rng(random_state)
    plain = set(results.loc[results["weights"] == "n/a", "pipeline"])
    overlap = overlap_flags(results)
    rows = []
    for (protocol, k), block in per_unit.groupby(level=["protocol", "k_shot"], dropna=False):
        table = block.droplevel(["protocol", "k_shot"]).unstack("pipeline")
        means = table.mean()
        base = baseline
        if base is None:
            candidates = means[[p for p in means.index if p in plain]]
            base = candidates.idxmax() if len(candidates) else means.idxmax()
        if base not in table:
            raise ValueError(f"Baseline {base!r} is not among the pipelines {list(table)}.")
        for pipe in table.columns:
            if pipe == base:
                continue
            pair = table[[pipe, base]].dropna()
            diff = (pair[pipe] - pair[base]).to_numpy()
            if len(diff) == 0:
                continue
            test, statistic, p, ci, effect = _paired_test(diff, rng, n_boot, metric)
            rows.append(
                {
                    "protocol": protocol,
                    "k_shot": k,
                    "pipeline": pipe,
                    "baseline": base,
                    "metric": metric,
                    "mean": pair[pipe].mean(),
                    "baseline_mean": pair[base].mean(),
                    "mean_diff": diff.mean(),
                    "ci_low": ci[0],
                    "ci_high": ci[1],
                    "test": test,
                    "statistic": statistic,
                    "p_value": p,
                    "effect_size": effect,
                    "n_pairs": len(diff),
                    "unit": pairing_unit(protocol),
                    "min_p": smallest_p(len(diff)),
                    "underpowered": smallest_p(len(diff)) > ALPHA,
                    "pretraining_overlap": overlap.get(pipe, False),
                }
            )
    return pd.DataFrame(rows)
