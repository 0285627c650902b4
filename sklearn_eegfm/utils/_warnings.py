"""Warnings attributed to the user's line, not to the library frame that raised them."""

from __future__ import annotations

import os
import sys
import warnings
from pathlib import Path

# Packages whose frames stand between the user and the warning: this package, and the
# scikit-learn and joblib machinery (pipelines, set_output wrappers, cross-validation)
# that calls our estimators.
_LIBRARY_PACKAGES = ("sklearn_eegfm", "sklearn", "joblib")


class RandomWeightsWarning(UserWarning):
    """A foundation model or tokenizer runs with random weights: results are not pretrained."""


def _library_folders():
    import importlib.util

    folders = []
    for name in _LIBRARY_PACKAGES:
        spec = importlib.util.find_spec(name)
        if spec is not None and spec.submodule_search_locations:
            folders.extend(
                str(Path(p).resolve()) + os.sep for p in spec.submodule_search_locations
            )
    return tuple(folders)


def user_stacklevel():
    """Find the ``stacklevel`` pointing a warning at the first frame outside the libraries.

    Returns
    -------
    stacklevel : int
        For a ``warnings.warn`` call made by the function that calls this one.
    """
    folders = _library_folders()
    frame, level = sys._getframe(1), 1
    while frame is not None:
        filename = frame.f_code.co_filename
        if not filename.startswith("<frozen") and not str(Path(filename).resolve()).startswith(
            folders
        ):
            return level
        frame, level = frame.f_back, level + 1
    return 1


def warn_at_user(message, category=UserWarning):
    """Warn with the location of the user's code that led here.

    Parameters
    ----------
    message : str
        The warning's text.
    category : type
        The warning class.
    """
    warnings.warn(message, category, stacklevel=user_stacklevel())
