"""EEG tokenizers as scikit-learn estimators: codes, reconstructions, bags of tokens."""

from .bag import BagOfTokens
from .kmeans import PatchKMeansTokenizer

__all__ = ["BagOfTokens", "PatchKMeansTokenizer"]
