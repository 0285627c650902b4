"""Foundation models as scikit-learn estimators: contracts, weights, embedder, probe."""

from .._checkpoints import CheckpointError, WeightsNotFoundError, home_dir
from ._cache import CacheWarning
from ._contracts import CONTRACTS, FMContract, get_contract, list_models
from ._coverage import ChannelCoverageWarning
from ._inventory import weights_inventory
from ._weights import download
from .check import check_epochs
from .embedder import FMEmbedder, RandomWeightsWarning
from .finetune import FMClassifier
from .probe import LinearProbe
from .ridge import RidgeProbe

__all__ = [
    "CONTRACTS",
    "CacheWarning",
    "ChannelCoverageWarning",
    "CheckpointError",
    "FMClassifier",
    "FMContract",
    "FMEmbedder",
    "LinearProbe",
    "RandomWeightsWarning",
    "RidgeProbe",
    "WeightsNotFoundError",
    "check_epochs",
    "download",
    "get_contract",
    "home_dir",
    "list_models",
    "weights_inventory",
]
