"""EEG foundation models, tokenizers and test-time adaptation for scikit-learn and MNE."""

from ._data import EpochsData
from ._version import __version__
from .baselines import (
    BandPower,
    ERPFeatures,
    MeanAmplitudeWindows,
    SpecialistClassifier,
    make_riemannian_pipeline,
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
from .utils._sys_info import sys_info

__all__ = [
    "BandPower",
    "ERPFeatures",
    "EpochsData",
    "FMClassifier",
    "FMEmbedder",
    "LinearProbe",
    "MeanAmplitudeWindows",
    "RandomWeightsWarning",
    "RidgeProbe",
    "SpecialistClassifier",
    "__version__",
    "check_epochs",
    "download",
    "get_contract",
    "list_models",
    "make_riemannian_pipeline",
    "sys_info",
]
