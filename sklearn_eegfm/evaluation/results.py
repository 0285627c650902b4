"""Summaries and paired statistics of a :func:`compare` results table."""

from __future__ import annotations

import numpy as np

_KEYS = ["protocol", "pipeline", "k_shot", "metric"]


def summarize(results):
    """Mean and standard deviation per protocol, pipeline, k and metric.

    Parameters
    ----------
    results : pandas.DataFrame
        Output of :func:`compare`.

    Returns
    -------
    summary : pandas.DataFrame
        Columns ``protocol, pipeline, k_shot, metric, mean, std, n, n_errors, weights``;
        ``mean``/``std`` over folds and seeds (errored folds excluded and counted).
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
            }
        )
    return pd.DataFrame(rows)


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


def _paired_test(diff, rng, n_boot):
    from scipy import stats

    n = len(diff)
    boot = rng.choice(diff, size=(n_boot, n), replace=True).mean(axis=1)
    ci = np.percentile(boot, [2.5, 97.5])
    sd = diff.std(ddof=1) if n > 1 else np.nan
    effect = diff.mean() / sd if sd and np.isfinite(sd) and sd > 0 else np.nan
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
    cross-session), so that each subject counts once. The baseline is the pipeline
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
        mean_diff, ci_low, ci_high, test, statistic, p_value, effect_size, n_pairs``.
    """
    import pandas as pd

    per_unit = _subject_scores(results, metric)
    if per_unit.empty:
        raise ValueError(f"No scores for metric {metric!r} in the results.")
    rng = np.random.default_rng(random_state)
    plain = set(results.loc[results["weights"] == "n/a", "pipeline"])
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
            test, statistic, p, ci, effect = _paired_test(diff, rng, n_boot)
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
                }
            )
    return pd.DataFrame(rows)
