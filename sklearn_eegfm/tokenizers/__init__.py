"""EEG tokenizers as scikit-learn estimators: codes, reconstructions, bags of tokens."""

from .bag import BagOfTokens
from .kmeans import PatchKMeansTokenizer
from .pretrained import LaBraMTokenizer
from .vq import RVQTokenizer, VQTokenizer

__all__ = [
    "BagOfTokens",
    "LaBraMTokenizer",
    "PatchKMeansTokenizer",
    "RVQTokenizer",
    "VQTokenizer",
]
