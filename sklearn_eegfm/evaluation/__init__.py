"""Comparison harness: protocols, the compare() runner, summaries and statistics."""

from .compare import METRICS, compare
from .moabb import load_moabb
from .pipelines import default_pipelines
from .protocols import PROTOCOLS, Split, make_splits
from .results import paired_stats, summarize

__all__ = [
    "METRICS",
    "PROTOCOLS",
    "Split",
    "compare",
    "default_pipelines",
    "load_moabb",
    "make_splits",
    "paired_stats",
    "summarize",
]
