"""Foundation models as scikit-learn estimators: contracts, weights, embedder, probe."""

from .._checkpoints import CheckpointError, WeightsNotFoundError, home_dir
from ._cache import CacheWarning, EmbeddingCache
from ._contract import FMContract
from ._coverage import ChannelCoverageWarning
from ._inventory import download, weights_inventory
from ._network_cache import NetworkCache
from ._registry import CONTRACTS, get_contract, list_models, register_model
from .check import check_epochs
from .embedder import FMEmbedder, RandomWeightsWarning
from .finetune import FMClassifier
from .probe import LinearProbe
from .ridge import RidgeProbe

__all__ = [
    "CONTRACTS",
    "CacheWarning",
    "ChannelCoverageWarning",
    "EmbeddingCache",
    "CheckpointError",
    "FMClassifier",
    "FMContract",
    "FMEmbedder",
    "LinearProbe",
    "NetworkCache",
    "RandomWeightsWarning",
    "RidgeProbe",
    "WeightsNotFoundError",
    "check_epochs",
    "download",
    "get_contract",
    "home_dir",
    "list_models",
    "register_model",
    "weights_inventory",
]
