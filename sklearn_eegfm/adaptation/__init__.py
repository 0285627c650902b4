"""Test-time adaptation and per-domain alignment.

Adapters wrap a classifier: ``fit`` trains it on labelled source data, ``predict``
adapts a copy per target domain on unlabelled test epochs. Alignments are transformers
placed at the front of any pipeline.
"""

from ._base import AdaptationCollapseWarning, AdaptationSkippedWarning, BaseAdapter
from .alignment import EuclideanAlignment, RiemannianRecentering
from .eata import EATAAdapter
from .lame import LAMEAdapter
from .latency import LatencyAlignment
from .norm_stats import NormStatsAdapter
from .sar import SARAdapter
from .shot import SHOTAdapter
from .t3a import T3AAdapter
from .tent import TENTAdapter

__all__ = [
    "AdaptationCollapseWarning",
    "AdaptationSkippedWarning",
    "BaseAdapter",
    "EATAAdapter",
    "EuclideanAlignment",
    "LAMEAdapter",
    "LatencyAlignment",
    "NormStatsAdapter",
    "RiemannianRecentering",
    "SARAdapter",
    "SHOTAdapter",
    "T3AAdapter",
    "TENTAdapter",
]
