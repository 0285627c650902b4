"""SSVEP baselines: a filter bank for Riemannian pipelines, CCA and TRCA classifiers.

Steady-state responses live in narrow bands at the stimulation frequencies and their
harmonics, so every pipeline here starts from the frequencies of the classes: given
as ``freqs`` or read from the class labels (``"30Hz"``, ``"13"``; see
:func:`sklearn_eegfm._ssvep.label_frequency`).

MOABB ships ``SSVEP_CCA`` and ``SSVEP_TRCA`` (``moabb.pipelines.classification``), but
they do not fit the package's estimator conventions, so the two classifiers below are
small own implementations of the same published methods: MOABB's take only
``mne.Epochs`` (not the arrays and ``EpochsData`` every other estimator here accepts),
set fitted state in ``__init__`` (``classes_ = []``) and in ``predict`` (``rho``,
``tau``), and ``SSVEP_TRCA`` reports label-encoded integers as ``classes_`` while
``predict`` returns the original labels, which breaks scikit-learn's scorers; moabb is
also only an optional extra. ``tests/baselines/test_ssvep.py`` holds :class:`SSVEPCCA`
against MOABB's ``SSVEP_CCA`` on the same epochs.
"""

from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, TransformerMixin
from sklearn.pipeline import make_pipeline
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted

from .._data import EpochsInputMixin
from .._ssvep import class_frequencies, filter_bank_bands
from .._validation import check_one_label_per_epoch, check_positive, check_y_given
from ..utils._docs import fill_doc
from ._array_steps import CheckTrainingData, check_class_counts

# Butterworth order of each band: MNE's default IIR (the eeg-notebooks SSVEP recipe
# filters with method="iir"), applied forward and backward (zero phase).
_ORDER = 4


def _harmonic_weights(harmonics):
    # Chen et al. (2015) filter-bank CCA, a(n) = n^-1.25 + 0.25, as in MOABB's SSVEP_TRCA.
    return np.asarray([h**-1.25 + 0.25 for h in harmonics])


@fill_doc
class FilterBank(EpochsInputMixin, TransformerMixin, BaseEstimator):
    """Band-pass epochs around each stimulation frequency and stack the bands as channels.

    The output has ``n_channels * n_bands`` "channels" (channel-major within each band),
    the "extended signal" that pyRiemann's SSVEP example and the eeg-notebooks SSVEP
    recipe feed to covariance estimators. Each band is a zero-phase 4th-order
    Butterworth band-pass (:func:`scipy.signal.sosfiltfilt`).

    Parameters
    ----------
    freqs : dict | sequence of float | None
        Stimulation frequency of each class: ``{label: Hz}`` or one per class in sorted
        label order; None reads them from the labels given to ``fit``.
    half_width : float
        Half the width of each band, in Hz.
    n_harmonics : int
        Harmonics per frequency (those the rate allows, see
        :func:`sklearn_eegfm._ssvep.filter_bank_bands`).
    %(input)s

    Attributes
    ----------
    freqs_ : dict
        Class -> stimulation frequency (None for a class without one, e.g. rest).
    bands_ : list of (float, float, int)
        ``(low, high, harmonic)`` of each band.
    ch_names_out_ : list of str
        ``"<channel>_<low>-<high>Hz"`` per output channel.
    ch_names_in_, sfreq_in_, n_channels_in_, n_times_in_ :
        What ``fit`` saw.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_eegfm.baselines import FilterBank
    >>> X = np.random.default_rng(0).normal(size=(4, 2, 512))
    >>> fb = FilterBank([20, 30], sfreq=256.0, ch_names=["O1", "O2"], units="uV")
    >>> fb.fit_transform(X, ["20Hz", "20Hz", "30Hz", "30Hz"]).shape
    (4, 8, 512)
    """

    def __init__(
        self, freqs=None, *, half_width=2.0, n_harmonics=2, sfreq=None, ch_names=None, units=None
    ):
        self.freqs = freqs
        self.half_width = half_width
        self.n_harmonics = n_harmonics
        self.sfreq = sfreq
        self.ch_names = ch_names
        self.units = units

    def fit(self, X, y=None):
        """Resolve the frequencies and design one band-pass per band.

        Parameters
        ----------
        X : mne.Epochs | list of mne.Epochs | ndarray, shape (n_epochs, n_channels, n_times)
            Epochs; arrays need ``sfreq``, ``ch_names`` and ``units``.
        y : array-like, shape (n_epochs,) | None
            Labels; needed when ``freqs`` is None or a dict.

        Returns
        -------
        self : FilterBank
            The fitted transformer.
        """
        ed = self._validate_epochs(X, reset=True, dtype=np.float64)
        self.freqs_ = self._resolve_freqs(y)
        known = [f for f in self.freqs_.values() if f is not None]
        self.bands_ = filter_bank_bands(
            known, ed.sfreq, half_width=self.half_width, n_harmonics=self.n_harmonics
        )
        self._design(ed.sfreq)
        self.ch_names_out_ = [
            f"{ch}_{lo:g}-{hi:g}Hz" for lo, hi, _ in self.bands_ for ch in ed.ch_names
        ]
        return self

    def _resolve_freqs(self, y):
        if self.freqs is not None and not isinstance(self.freqs, dict):
            # A plain list names the frequencies themselves, whatever the labels are.
            values = list(np.atleast_1d(np.asarray(self.freqs, dtype=float)))
            return class_frequencies(range(len(values)), values)
        if y is None:
            raise ValueError(
                "FilterBank(freqs=None) reads the stimulation frequencies from the labels: "
                "pass y to fit, or give freqs=[...] in Hz."
            )
        y = np.asarray(y)
        check_classification_targets(y)
        return class_frequencies(np.unique(y), self.freqs, require_all=False)

    def _design(self, sfreq):
        from scipy.signal import butter

        self._sos = [
            butter(_ORDER, [lo, hi], btype="bandpass", fs=sfreq, output="sos")
            for lo, hi, _ in self.bands_
        ]

    def transform(self, X):
        """Filter each band and stack the bands along the channel axis.

        Parameters
        ----------
        X : mne.Epochs | list of mne.Epochs | ndarray, shape (n_epochs, n_channels, n_times)
            Epochs with the channels, rate and length seen in ``fit``.

        Returns
        -------
        Xt : ndarray, shape (n_epochs, n_channels * n_bands, n_times)
            Band-passed data in microvolts, band-major.
        """
        check_is_fitted(self)
        ed = self._validate_epochs(X, reset=False, dtype=np.float64)
        return self._filter(ed.data)

    def _filter(self, data):
        from scipy.signal import sosfiltfilt

        # np.array copies: a fitted filter bank loaded from a read-only memmap must still run.
        bands = [sosfiltfilt(np.array(sos), data, axis=-1) for sos in self._sos]
        return np.concatenate(bands, axis=1)

    def split_bands(self, Xt):
        """Split the output of :meth:`transform` into one array per band.

        Parameters
        ----------
        Xt : ndarray, shape (n_epochs, n_channels * n_bands, n_times)
            Filtered data.

        Returns
        -------
        bands : list of ndarray, shape (n_epochs, n_channels, n_times)
            One array per entry of ``bands_``.
        """
        check_is_fitted(self)
        return np.split(np.asarray(Xt), len(self.bands_), axis=1)


class _SSVEPClassifier(EpochsInputMixin, ClassifierMixin, BaseEstimator):
    """Shared prediction of classifiers that score each class by a correlation."""

    def _fit_start(self, X, y):
        from sklearn.utils.validation import check_array, column_or_1d

        ed = self._validate_epochs(X, reset=True, dtype=np.float64)
        check_y_given(self, y)
        y = column_or_1d(check_array(y, ensure_2d=False, dtype=None), warn=True)
        check_classification_targets(y)
        check_one_label_per_epoch(ed.n_epochs, y)
        self.classes_ = np.unique(y)
        if len(self.classes_) < 2:
            raise ValueError(
                f"{type(self).__name__} needs two classes or more in y; got 1 class "
                f"({self.classes_.tolist()})."
            )
        self.freqs_ = class_frequencies(self.classes_, self.freqs)
        return ed, y

    def decision_function(self, X):
        """Correlation of each epoch with each class (difference of the two when binary).

        Parameters
        ----------
        X : mne.Epochs | list of mne.Epochs | ndarray, shape (n_epochs, n_channels, n_times)
            Epochs with the channels, rate and length seen in ``fit``.

        Returns
        -------
        scores : ndarray, shape (n_epochs,) or (n_epochs, n_classes)
            Larger means more likely ``classes_[1]`` (binary) or that class.
        """
        rho = self._correlations(X)
        return rho[:, 1] - rho[:, 0] if len(self.classes_) == 2 else rho

    def predict_proba(self, X):
        """Correlations made into scores that sum to one per epoch (not calibrated).

        Parameters
        ----------
        X : mne.Epochs | list of mne.Epochs | ndarray, shape (n_epochs, n_channels, n_times)
            Epochs with the channels, rate and length seen in ``fit``.

        Returns
        -------
        proba : ndarray, shape (n_epochs, n_classes)
            A softmax of the correlations; they rank epochs as the correlations do.
        """
        from sklearn.utils.extmath import softmax

        # Correlations lie in [-1, 1]; a tenfold scale keeps the softmax from flattening
        # them to 1/n_classes while preserving their order.
        return softmax(10.0 * self._correlations(X))

    def predict(self, X):
        """Predict the class of highest correlation.

        Parameters
        ----------
        X : mne.Epochs | list of mne.Epochs | ndarray, shape (n_epochs, n_channels, n_times)
            Epochs with the channels, rate and length seen in ``fit``.

        Returns
        -------
        y_pred : ndarray, shape (n_epochs,)
            Predicted labels.
        """
        rho = self._correlations(X)
        return self.classes_[rho.argmax(axis=1)]

    def _correlations(self, X):
        check_is_fitted(self)
        ed = self._validate_epochs(X, reset=False, dtype=np.float64)
        return self._score(ed.data)


def _orthonormal_basis(a):
    """Orthonormal basis of the columns of ``a`` (time on rows), means removed."""
    q, _ = np.linalg.qr(a - a.mean(axis=0, keepdims=True))
    return q


@fill_doc
class SSVEPCCA(_SSVEPClassifier):
    """Canonical correlation with reference sinusoids: the training-free SSVEP classifier.

    Each class gets sine and cosine references at its stimulation frequency and its
    harmonics below the Nyquist rate; an epoch's score for a class is the largest
    canonical correlation between its channels and those references (Lin et al., 2006).
    ``fit`` only learns the classes and their frequencies.

    Parameters
    ----------
    freqs : dict | sequence of float | None
        Stimulation frequency of each class: ``{label: Hz}`` or one per class in sorted
        label order; None reads them from the labels (``"30Hz"``, ``"13"``).
    n_harmonics : int
        Harmonics in the references (MOABB's ``SSVEP_CCA`` default, 3).
    %(input)s

    Attributes
    ----------
    classes_ : ndarray
        Class labels.
    freqs_ : dict
        Class -> stimulation frequency in Hz.
    ch_names_in_, sfreq_in_, n_channels_in_, n_times_in_ :
        What ``fit`` saw.

    References
    ----------
    .. [1] Lin, Z., Zhang, C., Wu, W. & Gao, X. (2006). Frequency recognition based on
       canonical correlation analysis for SSVEP-based BCIs. IEEE TBME 53(12).

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_eegfm.baselines import SSVEPCCA
    >>> t = np.arange(512) / 256.0
    >>> X = np.stack([np.sin(2 * np.pi * f * t)[None] for f in (20, 30, 20, 30)])
    >>> cca = SSVEPCCA(sfreq=256.0, ch_names=["Oz"], units="uV")
    >>> cca.fit(X, ["20Hz", "30Hz", "20Hz", "30Hz"]).predict(X).tolist()
    ['20Hz', '30Hz', '20Hz', '30Hz']
    """

    def __init__(self, freqs=None, *, n_harmonics=3, sfreq=None, ch_names=None, units=None):
        self.freqs = freqs
        self.n_harmonics = n_harmonics
        self.sfreq = sfreq
        self.ch_names = ch_names
        self.units = units

    def fit(self, X, y):
        """Learn the classes and build their reference sinusoids.

        Parameters
        ----------
        X : mne.Epochs | list of mne.Epochs | ndarray, shape (n_epochs, n_channels, n_times)
            Epochs; arrays need ``sfreq``, ``ch_names`` and ``units``.
        y : array-like, shape (n_epochs,)
            Labels.

        Returns
        -------
        self : SSVEPCCA
            The fitted classifier.
        """
        check_positive("n_harmonics", self.n_harmonics, integer=True)
        ed, _ = self._fit_start(X, y)
        t = np.arange(ed.n_times) / ed.sfreq
        nyquist = ed.sfreq / 2
        self._references = []
        for c in self.classes_:
            f = self.freqs_[c]
            hs = [h for h in range(1, self.n_harmonics + 1) if h * f < nyquist]
            if not hs:
                raise ValueError(f"{f:g} Hz (class {c!r}) is above the Nyquist rate {nyquist:g}.")
            ref = np.column_stack([g(2 * np.pi * h * f * t) for h in hs for g in (np.sin, np.cos)])
            self._references.append(_orthonormal_basis(ref))
        return self

    def _score(self, data):
        rho = np.empty((len(data), len(self.classes_)))
        for i, x in enumerate(data):
            qx = _orthonormal_basis(x.T)
            for k, qy in enumerate(self._references):
                # The canonical correlations are the singular values of Qx^T Qy.
                rho[i, k] = np.linalg.svd(qx.T @ qy, compute_uv=False)[0]
        return rho


@fill_doc
class SSVEPTRCA(_SSVEPClassifier):
    """Ensemble task-related component analysis over a filter bank (Nakanishi et al., 2018).

    In each band of a :class:`FilterBank`, TRCA finds for each class the spatial filter
    that makes its training trials most alike; an epoch's score for a class is the
    correlation between the epoch and the class's average trial, both seen through
    all classes' filters (the ensemble). Band scores are summed with the filter-bank
    weights ``h^-1.25 + 0.25`` of each band's harmonic ``h``.

    Parameters
    ----------
    freqs : dict | sequence of float | None
        Stimulation frequency of each class: ``{label: Hz}`` or one per class in sorted
        label order; None reads them from the labels.
    half_width : float
        Half the width of each band of the filter bank, in Hz.
    n_harmonics : int
        Harmonics per frequency in the filter bank.
    %(input)s

    Attributes
    ----------
    classes_ : ndarray
        Class labels.
    freqs_ : dict
        Class -> stimulation frequency in Hz.
    filter_bank_ : FilterBank
        The fitted filter bank.
    filters_ : ndarray, shape (n_bands, n_channels, n_classes)
        TRCA spatial filters, one per class and band.
    templates_ : ndarray, shape (n_bands, n_classes, n_channels, n_times)
        Average training trial of each class in each band.
    ch_names_in_, sfreq_in_, n_channels_in_, n_times_in_ :
        What ``fit`` saw.

    References
    ----------
    .. [1] Nakanishi, M. et al. (2018). Enhancing detection of SSVEPs for a high-speed
       brain speller using task-related component analysis. IEEE TBME 65(1).

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_eegfm.baselines import SSVEPTRCA
    >>> rng = np.random.default_rng(0)
    >>> t = np.arange(512) / 256.0
    >>> y = ["20Hz", "30Hz"] * 4
    >>> X = np.stack([[np.sin(2 * np.pi * float(c[:2]) * t)] for c in y])
    >>> X = X + 0.5 * rng.normal(size=X.shape)
    >>> trca = SSVEPTRCA(sfreq=256.0, ch_names=["Oz"], units="uV").fit(X, y)
    >>> trca.predict(X).tolist() == y
    True
    """

    def __init__(
        self, freqs=None, *, half_width=2.0, n_harmonics=2, sfreq=None, ch_names=None, units=None
    ):
        self.freqs = freqs
        self.half_width = half_width
        self.n_harmonics = n_harmonics
        self.sfreq = sfreq
        self.ch_names = ch_names
        self.units = units

    def fit(self, X, y):
        """Learn one TRCA filter and one template per class and band.

        Parameters
        ----------
        X : mne.Epochs | list of mne.Epochs | ndarray, shape (n_epochs, n_channels, n_times)
            Epochs; arrays need ``sfreq``, ``ch_names`` and ``units``.
        y : array-like, shape (n_epochs,)
            Labels, at least two epochs per class.

        Returns
        -------
        self : SSVEPTRCA
            The fitted classifier.
        """
        ed, y = self._fit_start(X, y)
        check_class_counts(y, 2, "TRCA")
        self.filter_bank_ = FilterBank(
            [self.freqs_[c] for c in self.classes_],
            half_width=self.half_width,
            n_harmonics=self.n_harmonics,
            sfreq=ed.sfreq,
            ch_names=ed.ch_names,
            units="uV",
        ).fit(ed.data)
        bands = self.filter_bank_.split_bands(self.filter_bank_._filter(ed.data))
        self.filters_ = np.stack(
            [np.column_stack([_trca_filter(b[y == c]) for c in self.classes_]) for b in bands]
        )
        self.templates_ = np.stack(
            [np.stack([b[y == c].mean(axis=0) for c in self.classes_]) for b in bands]
        )
        self._weights = _harmonic_weights([h for _, _, h in self.filter_bank_.bands_])
        return self

    def _score(self, data):
        bands = self.filter_bank_.split_bands(self.filter_bank_._filter(data))
        rho = np.zeros((len(data), len(self.classes_)))
        for w_band, band, filters, templates in zip(
            self._weights, bands, self.filters_, self.templates_
        ):
            projected = np.einsum("nct,cf->nft", band, filters)
            for k, template in enumerate(templates):
                rho[:, k] += w_band * _correlate(projected, filters.T @ template)
        return rho


def _trca_filter(trials):
    """Find the TRCA filter of one class: the top generalised eigenvector of (S, Q)."""
    from scipy.linalg import eigh

    trials = trials - trials.mean(axis=-1, keepdims=True)
    total = trials.sum(axis=0)
    # S: the covariance between different trials; Q: that of the concatenated trials.
    q = np.einsum("nct,ndt->cd", trials, trials)
    s = total @ total.T - q
    q = q + 1e-9 * np.trace(q) / len(q) * np.eye(len(q))  # keeps a flat channel solvable
    _, vectors = eigh(s, q)
    return vectors[:, -1]


def _correlate(projected, template):
    """Pearson correlation of each ``projected`` epoch with ``template``, flattened."""
    a = projected.reshape(len(projected), -1)
    b = template.ravel()
    a = a - a.mean(axis=1, keepdims=True)
    b = b - b.mean()
    norms = np.linalg.norm(a, axis=1) * np.linalg.norm(b)
    return np.divide(a @ b, norms, out=np.zeros(len(a)), where=norms > 0)


@fill_doc
def filter_bank_tangent_space(
    freqs=None, *, half_width=2.0, n_harmonics=2, estimator="oas", C=1.0, sfreq=None,
    ch_names=None, units=None,
):  # fmt: skip
    """Build filter-bank covariances + tangent space + logistic regression (SSVEP).

    Parameters
    ----------
    freqs : dict | sequence of float | None
        Stimulation frequencies (see :class:`FilterBank`); None reads them from the labels.
    half_width : float
        Half the width of each band, in Hz.
    n_harmonics : int
        Harmonics per frequency.
    estimator : str
        pyRiemann covariance estimator (``"oas"`` shrinkage).
    C : float
        Inverse regularisation strength of the logistic regression.
    %(input)s

    Returns
    -------
    pipeline : sklearn.pipeline.Pipeline
        ``FilterBank -> CheckTrainingData -> Covariances -> TangentSpace ->
        LogisticRegression``.

    Examples
    --------
    >>> from sklearn_eegfm.baselines import filter_bank_tangent_space
    >>> [name for name, _ in filter_bank_tangent_space().steps]
    ['filterbank', 'checktrainingdata', 'covariances', 'tangentspace', 'logisticregression']
    """
    from pyriemann.tangentspace import TangentSpace
    from sklearn.linear_model import LogisticRegression

    front = _covariance_front(freqs, half_width, n_harmonics, estimator, sfreq, ch_names, units)
    return make_pipeline(
        *front, TangentSpace(metric="riemann"), LogisticRegression(C=C, max_iter=1000)
    )


def _covariance_front(freqs, half_width, n_harmonics, estimator, sfreq, ch_names, units):
    from pyriemann.estimation import Covariances

    bank = FilterBank(
        freqs, half_width=half_width, n_harmonics=n_harmonics, sfreq=sfreq, ch_names=ch_names,
        units=units,
    )  # fmt: skip
    return [bank, CheckTrainingData(needed_by="filter-bank covariances"), Covariances(estimator)]


@fill_doc
def filter_bank_mdm(
    freqs=None, *, half_width=2.0, n_harmonics=2, estimator="oas", sfreq=None, ch_names=None,
    units=None,
):  # fmt: skip
    """Build filter-bank covariances + minimum distance to mean (SSVEP, no tuning).

    Parameters
    ----------
    freqs : dict | sequence of float | None
        Stimulation frequencies (see :class:`FilterBank`); None reads them from the labels.
    half_width : float
        Half the width of each band, in Hz.
    n_harmonics : int
        Harmonics per frequency.
    estimator : str
        pyRiemann covariance estimator (``"oas"`` shrinkage).
    %(input)s

    Returns
    -------
    pipeline : sklearn.pipeline.Pipeline
        ``FilterBank -> CheckTrainingData -> Covariances -> MDM``.

    Examples
    --------
    >>> from sklearn_eegfm.baselines import filter_bank_mdm
    >>> [name for name, _ in filter_bank_mdm().steps][-1]
    'mdm'
    """
    from pyriemann.classification import MDM

    front = _covariance_front(freqs, half_width, n_harmonics, estimator, sfreq, ch_names, units)
    return make_pipeline(*front, MDM(metric="riemann"))
