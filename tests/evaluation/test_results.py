"""summarize() and paired_stats(): statistics that say what they can and cannot show."""

import numpy as np
import pytest

from sklearn_eegfm.evaluation import paired_stats, summarize
from sklearn_eegfm.evaluation.results import smallest_p


def test_no_test_with_one_pair(make_results):
    stats = paired_stats(make_results(subjects=(1,)))
    row = stats.iloc[0]
    assert row["n_pairs"] == 1 and row["test"].startswith("none")
    assert np.isnan(row["p_value"]) and np.isnan(row["ci_low"]) and np.isnan(row["effect_size"])
    assert row["min_p"] == 1.0 and row["underpowered"]
    assert row["mean_diff"] > 0  # the difference itself is still reported


def test_smallest_p_is_stated_and_flagged(make_results):
    assert smallest_p(3) == 0.25 and smallest_p(5) == 0.0625 and smallest_p(6) == 0.03125
    stats = paired_stats(make_results(subjects=(1, 2, 3)))
    row = stats.iloc[0]
    # all three subjects favour fm-labram: the exact test's best p is 2/8, and no better
    assert row["p_value"] == pytest.approx(0.25) and row["min_p"] == 0.25
    assert row["underpowered"] and row["unit"] == "subject"
    six = paired_stats(make_results(subjects=range(1, 7))).iloc[0]
    assert six["min_p"] == 0.03125 and not six["underpowered"]


def test_cross_session_pairs_sessions_and_says_so(make_results):
    res = make_results(subjects=(1, 2), sessions=(1, 2), protocol="cross-session")
    row = paired_stats(res).iloc[0]
    assert row["unit"] == "session" and row["n_pairs"] == 4


def test_interval_stays_in_the_metric_range(make_results):
    res = make_results(subjects=(1, 2, 3, 4))
    res.loc[res["pipeline"] == "fm-labram", "score"] = 1.0
    res.loc[res["pipeline"] == "xdawn+ts", "score"] = [0.0, 0.0, 0.0, 0.2]
    row = paired_stats(res).iloc[0]
    assert -1.0 <= row["ci_low"] <= row["ci_high"] <= 1.0


def test_overlap_is_carried_to_summary_and_stats(make_results):
    res = make_results()
    summary = summarize(res)
    flags = dict(zip(summary["pipeline"], summary["pretraining_overlap"]))
    assert flags == {"xdawn+ts": False, "fm-labram": True}
    assert paired_stats(res).iloc[0]["pretraining_overlap"]
    # read back from a CSV, the flag is a string
    res["pretraining_overlap"] = res["pretraining_overlap"].astype(str)
    assert summarize(res)["pretraining_overlap"].tolist() == [False, True]


def test_few_shot_k_sorts_numerically(make_results):
    res = make_results(protocol="few-shot", shots=(10.0, 1.0, 5.0, 2.0))
    summary = summarize(res)
    for _, rows in summary.groupby("pipeline"):
        assert rows["k_shot"].tolist() == [1.0, 2.0, 5.0, 10.0]
    assert paired_stats(res)["k_shot"].tolist() == [1.0, 2.0, 5.0, 10.0]


def test_equal_differences_give_no_effect_size(make_results):
    res = make_results(subjects=(1, 2))
    res.loc[res["pipeline"] == "xdawn+ts", "score"] = [0.58, 0.58]
    res.loc[res["pipeline"] == "fm-labram", "score"] = [0.38, 0.38 + 1e-16]
    row = paired_stats(res).iloc[0]
    assert row["mean_diff"] == pytest.approx(-0.2) and np.isnan(row["effect_size"])
