"""Fixtures of the evaluation tests: a small tidy results table of compare()'s schema."""

import numpy as np
import pandas as pd
import pytest


def _make_results(
    subjects=(1, 2, 3),
    pipelines=("xdawn+ts", "fm-labram"),
    protocol="loso",
    sessions=(1,),
    shots=(np.nan,),
    overlap=("fm-labram",),
    seed=0,
):
    rng = np.random.default_rng(seed)
    rows = []
    for pipe in pipelines:
        for s in subjects:
            for ses in sessions:
                for k in shots:
                    base = 0.9 if pipe == "fm-labram" else 0.7
                    rows.append(
                        {
                            "dataset": "eegmmidb", "protocol": protocol, "pipeline": pipe,
                            "seed": 0, "subject": s, "session": ses, "fold": 0, "k_shot": k,
                            "metric": "roc_auc", "score": min(1.0, base + rng.uniform(0, 0.1)),
                            "weights": "n/a" if pipe == "xdawn+ts" else "pretrained",
                            "pretraining_overlap": pipe in overlap, "error": "",
                        }
                    )  # fmt: skip
    return pd.DataFrame(rows)


@pytest.fixture
def make_results():
    """Factory of results tables (scores in 0.7-1.0, fm-labram ahead, LaBraM overlap)."""
    return _make_results
