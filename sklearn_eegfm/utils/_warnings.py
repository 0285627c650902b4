"""Warnings attributed to the user's line, not to the library frame that raised them."""

from __future__ import annotations

import sys
import warnings

# Packages whose frames stand between the user and the warning: this package, the
# scikit-learn, joblib and skorch machinery (pipelines, set_output wrappers,
# cross-validation, training loops) that calls our estimators, and the standard library's
# threading, futures, context-manager and import frames around them.
_LIBRARY_PACKAGES = frozenset(
    ("sklearn_eegfm", "sklearn", "joblib", "skorch", "threading", "concurrent", "contextlib",
     "importlib", "_frozen_importlib", "_frozen_importlib_external")
)  # fmt: skip


class RandomWeightsWarning(UserWarning):
    """A foundation model or tokenizer runs with random weights: results are not pretrained."""


def _first_user_frame(frame):
    """``(frame, level)`` of the first frame from ``frame`` outward outside the libraries."""
    level = 1
    while frame is not None:
        if frame.f_globals.get("__name__", "").partition(".")[0] not in _LIBRARY_PACKAGES:
            return frame, level
        frame, level = frame.f_back, level + 1
    return None, 1


def user_stacklevel():
    """Find the ``stacklevel`` pointing a warning at the first frame outside the libraries.

    Returns
    -------
    stacklevel : int
        For a ``warnings.warn`` call made by the function that calls this one.
    """
    return _first_user_frame(sys._getframe(1))[1]


def user_line():
    """Locate the user's line that led to the caller.

    Returns
    -------
    where : tuple of (str, int) | None
        File and line of the first frame outside the libraries; None when the stack
        holds none (a joblib worker).
    """
    frame = _first_user_frame(sys._getframe(1))[0]
    return None if frame is None else (frame.f_code.co_filename, frame.f_lineno)


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
