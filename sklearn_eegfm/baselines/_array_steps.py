"""Thin steps that put Epochs in front of array-only estimators (pyRiemann, MNE decoding)."""

from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted, validate_data

from .._data import EpochsInputMixin
from ..utils._docs import fill_doc


@fill_doc
class EpochsToArray(EpochsInputMixin, TransformerMixin, BaseEstimator):
    """Convert epochs to a float64 array in microvolts for array-only estimators.

    pyRiemann and :mod:`mne.decoding` take plain arrays. This first pipeline step sends
    ``X`` through the package's input layer (unit conversion, EEG-channel picking, NaN
    and amplitude checks) and hands the next step ``(n_epochs, n_channels, n_times)``
    float64 microvolts. The channels and rate seen in ``fit`` are enforced afterwards.

    Parameters
    ----------
    %(sfreq)s
    %(ch_names)s
    %(units)s

    Attributes
    ----------
    ch_names_in_ : ndarray of str
        EEG channels seen in ``fit``.
    sfreq_in_ : float
        Sampling rate seen in ``fit``.
    n_channels_in_ : int
        Number of EEG channels seen in ``fit``.
    n_times_in_ : int
        Samples per epoch seen in ``fit``.

    See Also
    --------
    make_riemannian_pipeline : pipelines that start with this step.

    Examples
    --------
    >>> from sklearn_eegfm.baselines import EpochsToArray
    >>> from sklearn_eegfm.datasets import load_p300_demo
    >>> epochs = load_p300_demo()[:10]
    >>> EpochsToArray().fit_transform(epochs).shape
    (10, 4, 309)
    """

    def __init__(self, sfreq=None, ch_names=None, units=None):
        self.sfreq = sfreq
        self.ch_names = ch_names
        self.units = units

    def fit(self, X, y=None):
        """Record the channels, rate and length of ``X``.

        Parameters
        ----------
        X : mne.Epochs | list of mne.Epochs | ndarray, shape (n_epochs, n_channels, n_times)
            Epochs; arrays need ``sfreq``, ``ch_names`` and ``units``.
        y : None
            Ignored.

        Returns
        -------
        self : EpochsToArray
            The fitted step.
        """
        self._fit(X)
        return self

    def _fit(self, X):
        ed = self._validate_epochs(X, reset=True, dtype=np.float64)
        return ed.data

    def fit_transform(self, X, y=None):
        """Fit and return the data (parsed once).

        Parameters
        ----------
        X : mne.Epochs | list of mne.Epochs | ndarray, shape (n_epochs, n_channels, n_times)
            Epochs.
        y : None
            Ignored.

        Returns
        -------
        X_new : ndarray, shape (n_epochs, n_channels, n_times)
            float64 microvolts.
        """
        return self._fit(X)

    def transform(self, X):
        """Return ``X`` as float64 microvolts.

        Parameters
        ----------
        X : mne.Epochs | list of mne.Epochs | ndarray, shape (n_epochs, n_channels, n_times)
            Epochs with the channels, rate and length seen in ``fit``.

        Returns
        -------
        X_new : ndarray, shape (n_epochs, n_channels, n_times)
            float64 microvolts.
        """
        check_is_fitted(self)
        ed = self._validate_epochs(X, reset=False, dtype=np.float64)
        return ed.data

    def __sklearn_is_fitted__(self):
        return "n_times_in_" in self.__dict__


class CheckTrainingData(TransformerMixin, BaseEstimator):
    """Refuse training data that the next steps would silently mishandle.

    A pass-through step placed after :class:`EpochsToArray`. pyRiemann's Xdawn, for
    example, quietly builds fewer filters than asked when there are fewer channels,
    and every class model (Xdawn prototype, class mean, CSP covariance) is meaningless
    from one example; ``fit`` raises a named error instead.

    Parameters
    ----------
    min_channels : int
        Fewest channels the pipeline can use.
    min_class_count : int
        Fewest training examples per class.
    needed_by : str
        The step that needs them, named in the error message.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_eegfm.baselines._array_steps import CheckTrainingData
    >>> X, y = np.ones((4, 1, 10)), [0, 0, 1, 1]
    >>> CheckTrainingData(min_channels=2, needed_by="Xdawn").fit(X, y)
    Traceback (most recent call last):
    ...
    ValueError: Xdawn needs at least 2 channels; the data have 1. ...
    """

    def __init__(self, min_channels=1, min_class_count=2, needed_by="this pipeline"):
        self.min_channels = min_channels
        self.min_class_count = min_class_count
        self.needed_by = needed_by

    def fit(self, X, y=None):
        """Check the number of channels and, when ``y`` is given, of examples per class.

        Parameters
        ----------
        X : ndarray, shape (n_epochs, n_channels, n_times)
            Training data.
        y : array-like, shape (n_epochs,) | None
            Training labels.

        Returns
        -------
        self : CheckTrainingData
            This step, unchanged.
        """
        # a numeric, finite, dense array of 2 or more dimensions; records n_features_in_
        X = validate_data(self, X, allow_nd=True)
        n_channels = X.shape[1]
        if n_channels < self.min_channels:
            raise ValueError(
                f"{self.needed_by} needs at least {self.min_channels} channels; the data have "
                f"{n_channels}. Keep more EEG channels or ask for fewer spatial filters."
            )
        if y is not None:
            check_class_counts(y, self.min_class_count, self.needed_by)
        return self

    def transform(self, X):
        """Return ``X`` unchanged.

        Parameters
        ----------
        X : ndarray, shape (n_epochs, n_channels, n_times)
            Data.

        Returns
        -------
        X : ndarray, shape (n_epochs, n_channels, n_times)
            The same data.
        """
        check_is_fitted(self)
        return validate_data(self, X, allow_nd=True, reset=False)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.three_d_array = True  # and 2-D: any array passes through
        return tags


def check_class_counts(y, min_count, needed_by):
    """Raise a ValueError unless ``y`` has two classes or more with ``min_count`` each.

    Parameters
    ----------
    y : array-like, shape (n_epochs,)
        Labels.
    min_count : int
        Fewest examples allowed per class.
    needed_by : str
        What needs them, named in the message.
    """
    classes, counts = np.unique(np.asarray(y), return_counts=True)
    if len(classes) < 2:
        raise ValueError(
            f"{needed_by} needs at least two classes; y holds only {len(classes)} class: "
            f"{classes.tolist()}."
        )
    rare = {c: int(n) for c, n in zip(classes.tolist(), counts, strict=True) if n < min_count}
    if rare:
        raise ValueError(
            f"{needed_by} needs at least {min_count} training examples per class; got "
            f"{rare} (class: count). Collect more epochs of those classes or merge them; "
            "in cross-validation use StratifiedKFold so every fold sees each class."
        )


def epochs_tmin(X, tmin):
    """Start time (s) of the epochs in ``X``: Epochs carry it, arrays take ``tmin``.

    Parameters
    ----------
    X : mne.Epochs | list of mne.Epochs | EpochsData | ndarray
        The input.
    tmin : float | None
        Start of array epochs (None means 0.0). For Epochs it must agree with theirs
        when given.

    Returns
    -------
    tmin : float
        The epoch start in seconds.
    """
    import mne

    from .._data import EpochsData

    first = X[0] if isinstance(X, list | tuple) and len(X) else X
    if isinstance(first, EpochsData) and first.tmin is not None:
        first_tmin, sfreq = first.tmin, first.sfreq
    elif isinstance(first, mne.BaseEpochs):
        first_tmin, sfreq = first.tmin, first.info["sfreq"]
    else:
        return 0.0 if tmin is None else float(tmin)
    # One sample of slack: MNE rounds tmin to the sample grid.
    if tmin is not None and abs(float(tmin) - first_tmin) > 1.0 / sfreq:
        raise ValueError(
            f"tmin={tmin} was given but the Epochs start at {first_tmin:g} s. Leave "
            "tmin=None for Epochs (they carry their time axis) or crop them."
        )
    return float(first_tmin)
