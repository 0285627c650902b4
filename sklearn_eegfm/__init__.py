"""EEG foundation models, tokenizers and test-time adaptation for scikit-learn and MNE."""

from ._data import AmplitudeWarning, EpochsData
from ._reference_pipelines import make_riemannian_pipeline
from ._version import __version__
from .adaptation import (
    EATAAdapter,
    EuclideanAlignment,
    LAMEAdapter,
    LatencyAlignment,
    NormStatsAdapter,
    RiemannianRecentering,
    SARAdapter,
    SHOTAdapter,
    T3AAdapter,
    TENTAdapter,
)
from .baselines import (
    BandPower,
    ERPFeatures,
    MeanAmplitudeWindows,
    SpecialistClassifier,
)
from .models import (
    FMClassifier,
    FMEmbedder,
    LinearProbe,
    RandomWeightsWarning,
    RidgeProbe,
    check_epochs,
    download,
    get_contract,
    list_models,
)
from .tokenizers import (
    BagOfTokens,
    LaBraMTokenizer,
    PatchKMeansTokenizer,
    RVQTokenizer,
    VQTokenizer,
)
from .utils._sys_info import sys_info

__all__ = [
    "AmplitudeWarning",
    "BagOfTokens",
    "BandPower",
    "EATAAdapter",
    "ERPFeatures",
    "EpochsData",
    "EuclideanAlignment",
    "LatencyAlignment",
    "FMClassifier",
    "FMEmbedder",
    "LAMEAdapter",
    "LaBraMTokenizer",
    "LinearProbe",
    "MeanAmplitudeWindows",
    "NormStatsAdapter",
    "PatchKMeansTokenizer",
    "RVQTokenizer",
    "RandomWeightsWarning",
    "RidgeProbe",
    "RiemannianRecentering",
    "SARAdapter",
    "SHOTAdapter",
    "SpecialistClassifier",
    "T3AAdapter",
    "TENTAdapter",
    "VQTokenizer",
    "__version__",
    "check_epochs",
    "download",
    "get_contract",
    "list_models",
    "make_riemannian_pipeline",
    "sys_info",
]
