"""EEG foundation models, tokenizers and test-time adaptation for scikit-learn and MNE."""

from ._data import EpochsData
from ._version import __version__
from .adaptation import (
    EuclideanAlignment,
    LAMEAdapter,
    NormStatsAdapter,
    RiemannianRecentering,
    T3AAdapter,
    TENTAdapter,
)
from .baselines import (
    BandPower,
    ERPFeatures,
    MeanAmplitudeWindows,
    SpecialistClassifier,
    make_riemannian_pipeline,
)
from .models import (
    FMEmbedder,
    LinearProbe,
    RandomWeightsWarning,
    check_epochs,
    download,
    get_contract,
    list_models,
)
from .utils._sys_info import sys_info

__all__ = [
    "TENTAdapter",
    "T3AAdapter",
    "RiemannianRecentering",
    "NormStatsAdapter",
    "LAMEAdapter",
    "EuclideanAlignment",
    "BandPower",
    "ERPFeatures",
    "EpochsData",
    "FMEmbedder",
    "LinearProbe",
    "MeanAmplitudeWindows",
    "RandomWeightsWarning",
    "SpecialistClassifier",
    "__version__",
    "check_epochs",
    "download",
    "get_contract",
    "list_models",
    "make_riemannian_pipeline",
    "sys_info",
]
