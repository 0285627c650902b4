"""EEG tokenizers as scikit-learn estimators: codes, reconstructions, bags of tokens."""

from .bag import BagOfTokens
from .biocodec import BioCodecTokenizer
from .kmeans import PatchKMeansTokenizer
from .pretrained import LaBraMTokenizer
from .tfm import TFMTokenizer
from .vq import RVQTokenizer, VQTokenizer

__all__ = [
    "BagOfTokens",
    "BioCodecTokenizer",
    "LaBraMTokenizer",
    "PatchKMeansTokenizer",
    "RVQTokenizer",
    "TFMTokenizer",
    "VQTokenizer",
]
