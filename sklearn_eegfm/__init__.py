"""EEG foundation models, tokenizers and test-time adaptation for scikit-learn and MNE."""

from ._version import __version__
from .models import (
    FMEmbedder,
    LinearProbe,
    RandomWeightsWarning,
    download,
    get_contract,
    list_models,
)
from .utils._sys_info import sys_info

__all__ = [
    "FMEmbedder",
    "LinearProbe",
    "RandomWeightsWarning",
    "__version__",
    "download",
    "get_contract",
    "list_models",
    "sys_info",
]
