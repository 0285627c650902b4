"""Comparison harness: protocols, the compare() runner, summaries and statistics."""

from .compare import METRICS, compare
from .pipelines import default_pipelines
from .protocols import PROTOCOLS, Split, make_splits
from .results import paired_stats, summarize

__all__ = [
    "METRICS",
    "PROTOCOLS",
    "Split",
    "compare",
    "default_pipelines",
    "make_splits",
    "paired_stats",
    "summarize",
]
