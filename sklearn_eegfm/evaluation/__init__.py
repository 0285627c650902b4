"""Comparison harness: protocols, the compare() runner, summaries and statistics."""

from .compare import METRICS, compare
from .moabb import load_moabb
from .pipelines import (
    DEFAULT_BASELINES,
    PARADIGM_BASELINES,
    default_baselines,
    default_pipelines,
    describe_names,
    make_named_pipeline,
    pipeline_model,
    pipeline_tokenizer,
)
from .protocols import PROTOCOLS, Split, make_splits
from .report import write_report
from .results import paired_stats, summarize

__all__ = [
    "DEFAULT_BASELINES",
    "PARADIGM_BASELINES",
    "METRICS",
    "PROTOCOLS",
    "Split",
    "compare",
    "default_baselines",
    "default_pipelines",
    "describe_names",
    "load_moabb",
    "make_named_pipeline",
    "make_splits",
    "paired_stats",
    "pipeline_model",
    "pipeline_tokenizer",
    "summarize",
    "write_report",
]
