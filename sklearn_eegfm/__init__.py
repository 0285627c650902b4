"""EEG foundation models, tokenizers and test-time adaptation for scikit-learn and MNE."""

from ._version import __version__
from .utils._sys_info import sys_info

__all__ = ["__version__", "sys_info"]
