"""Hand-crafted ERP, time-domain and spectral features: the classic non-deep baselines."""

from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted

from .._data import EpochsInputMixin
from .._validation import check_option
from ..utils._docs import fill_doc
from ._array_steps import epochs_tmin
from ._features import (
    ERP_WINDOWS,
    FEATURE_GROUPS,
    TEMPORAL_FEATURES,
    WINDOW_FEATURES,
    Spectrum,
    auto_consecutive_windows,
    clip_windows,
    resolve_bands,
    resolve_windows,
    temporal_features,
    window_features,
)


class _EpochFeatures(EpochsInputMixin, TransformerMixin, BaseEstimator):
    """Shared fit/transform of per-channel feature extractors on a fixed epoch layout.

    Subclasses set ``_uses_time_axis`` and implement ``_plan(sfreq, n_times)`` (resolve
    windows or bands and return the per-channel feature names) and ``_compute(data)``
    (return ``(n_epochs, n_channels, n_per_channel)``).
    """

    _uses_time_axis = True

    def _tmin(self, X):
        return epochs_tmin(X, self.tmin) if self._uses_time_axis else 0.0

    def _fit(self, X):
        ed = self._validate_epochs(X, reset=True, dtype=np.float64)
        self.tmin_in_ = self._tmin(X)
        per_channel = self._plan(ed.sfreq, ed.n_times)
        self._feature_names = [f"{ch}_{f}" for ch in ed.ch_names for f in per_channel]
        self.n_features_out_ = len(self._feature_names)
        return ed.data

    def fit(self, X, y=None):
        """Resolve the windows or bands on the epochs' time and frequency axes.

        Parameters
        ----------
        X : mne.Epochs | list of mne.Epochs | ndarray, shape (n_epochs, n_channels, n_times)
            Epochs; arrays need ``sfreq``, ``ch_names`` and ``units``.
        y : None
            Ignored.

        Returns
        -------
        self : object
            The fitted transformer.
        """
        self._fit(X)
        return self

    def fit_transform(self, X, y=None):
        """Fit and compute the features, reading ``X`` once.

        Parameters
        ----------
        X : mne.Epochs | list of mne.Epochs | ndarray, shape (n_epochs, n_channels, n_times)
            Epochs.
        y : None
            Ignored.

        Returns
        -------
        X_new : ndarray, shape (n_epochs, n_features_out_)
            Features, channel-major (see ``get_feature_names_out``).
        """
        return self._flatten(self._compute(self._fit(X)))

    def transform(self, X):
        """Compute the features.

        Parameters
        ----------
        X : mne.Epochs | list of mne.Epochs | ndarray, shape (n_epochs, n_channels, n_times)
            Epochs with the channels, rate, length and start seen in ``fit``.

        Returns
        -------
        X_new : ndarray, shape (n_epochs, n_features_out_)
            Features, channel-major (see ``get_feature_names_out``).
        """
        check_is_fitted(self)
        ed = self._validate_epochs(X, reset=False, dtype=np.float64)
        tmin = self._tmin(X)
        if abs(tmin - self.tmin_in_) > 0.5 / ed.sfreq:  # (lengths: checked by the mixin)
            raise ValueError(
                f"Epochs start at {tmin:g} s but started at {self.tmin_in_:g} s in fit; the "
                "windows would shift. Epoch or crop them the same way (epochs.crop(tmin, tmax))."
            )
        return self._flatten(self._compute(ed.data))

    @staticmethod
    def _flatten(features):
        return features.reshape(len(features), -1)

    def get_feature_names_out(self, input_features=None):
        """Feature names, ``"<channel>_<feature>"``.

        Parameters
        ----------
        input_features : None
            Ignored (the input is epochs, not named columns).

        Returns
        -------
        feature_names_out : ndarray of str
            One name per output column.
        """
        check_is_fitted(self)
        return np.asarray(self._feature_names, dtype=object)

    def __sklearn_is_fitted__(self):
        return "n_features_out_" in self.__dict__


@fill_doc
class MeanAmplitudeWindows(_EpochFeatures):
    """Mean amplitude per channel in consecutive latency windows: the classic ERP input.

    The standard input of shrinkage-LDA ERP decoders (e.g. Blankertz et al. 2011):
    the epoch is averaged in a handful of latency windows on every channel.

    Parameters
    ----------
    %(windows)s
        ``"auto"``: consecutive 100-ms windows from the stimulus (or the epoch start,
        if later) to the epoch end.
    %(tmin)s
    %(sfreq)s
    %(ch_names)s
    %(units)s

    Attributes
    ----------
    windows_ : dict of str to (float, float)
        The windows used, by name.
    n_features_out_ : int
        ``n_channels * n_windows``.
    tmin_in_, n_times_in_ :
        Epoch start (s) and length (samples) seen in ``fit``.
    ch_names_in_, sfreq_in_, n_channels_in_ :
        Channels and rate seen in ``fit``.

    See Also
    --------
    ERPFeatures : a richer set of amplitude, temporal and spectral features.

    References
    ----------
    .. [1] Blankertz, B. et al. (2011). Single-trial analysis and classification of ERP
       components: a tutorial. NeuroImage, 56(2), 814-825.

    Examples
    --------
    >>> from sklearn_eegfm.baselines import MeanAmplitudeWindows
    >>> from sklearn_eegfm.datasets import load_p300_demo
    >>> epochs = load_p300_demo()[:20]
    >>> maw = MeanAmplitudeWindows(windows={"p3": (0.25, 0.5), "late": (0.5, 0.7)})
    >>> maw.fit_transform(epochs).shape
    (20, 8)
    >>> maw.get_feature_names_out()[:2].tolist()
    ['TP9_p3', 'TP9_late']
    """

    def __init__(self, windows="auto", *, tmin=None, sfreq=None, ch_names=None, units=None):
        self.windows = windows
        self.tmin = tmin
        self.sfreq = sfreq
        self.ch_names = ch_names
        self.units = units

    def _plan(self, sfreq, n_times):
        if isinstance(self.windows, str) and self.windows == "auto":
            windows = auto_consecutive_windows(self.tmin_in_, sfreq, n_times)
        else:
            windows = self.windows
        self.windows_, self._slices = resolve_windows(windows, self.tmin_in_, sfreq, n_times)
        return list(self.windows_)

    def _compute(self, data):
        return np.stack([data[..., s].mean(-1) for s in self._slices], axis=-1)


@fill_doc
class BandPower(_EpochFeatures):
    """Spectral power per channel in frequency bands (Welch's method).

    The power spectral density comes from :func:`mne.time_frequency.psd_array_welch`
    with 1-s Hamming segments (the whole epoch when shorter) overlapping by half; band
    power is its integral over the band, in µV².

    Parameters
    ----------
    %(bands)s
    relative : bool
        Divide each band's power by the total power over all bands.
    log : bool
        Return ``log10`` of the (relative) power.
    %(sfreq)s
    %(ch_names)s
    %(units)s

    Attributes
    ----------
    bands_ : dict of str to (float, float)
        The bands used, by name.
    n_features_out_ : int
        ``n_channels * n_bands``.
    ch_names_in_, sfreq_in_, n_channels_in_ :
        Channels and rate seen in ``fit``.

    See Also
    --------
    ERPFeatures : includes absolute and relative band powers.

    Examples
    --------
    >>> from sklearn_eegfm.baselines import BandPower
    >>> from sklearn_eegfm.datasets import load_p300_demo
    >>> epochs = load_p300_demo()[:20]
    >>> bp = BandPower(relative=True)
    >>> bp.fit_transform(epochs).shape
    (20, 20)
    >>> bp.get_feature_names_out()[:2].tolist()
    ['TP9_delta', 'TP9_theta']
    """

    _uses_time_axis = False

    def __init__(
        self, bands="auto", *, relative=False, log=False, sfreq=None, ch_names=None, units=None
    ):
        self.bands = bands
        self.relative = relative
        self.log = log
        self.sfreq = sfreq
        self.ch_names = ch_names
        self.units = units

    def _plan(self, sfreq, n_times):
        self.bands_ = resolve_bands(self.bands, sfreq)
        self._spectrum = Spectrum(self.bands_, sfreq, n_times)
        return list(self.bands_)

    def _compute(self, data):
        absolute, relative = self._spectrum.band_powers(data)
        power = relative if self.relative else absolute
        # A flat channel has zero power; floor it so log10 stays finite.
        return np.log10(np.maximum(power, np.finfo(float).tiny)) if self.log else power


@fill_doc
class ERPFeatures(_EpochFeatures):
    """Per-channel amplitude, temporal and spectral features of ERP epochs.

    For every channel (names ``"<channel>_<feature>"``):

    - ``"amplitude"``: in each latency window ``w``, ``mean_w`` (mean amplitude, µV),
      ``pos_peak_w``/``neg_peak_w`` (largest/smallest value, µV) with their latencies
      ``pos_latency_w``/``neg_latency_w`` (s), and ``pos_area_w``/``neg_area_w`` (integral
      of the positive/negative part, µV·s);
    - ``"temporal"``: over the whole epoch, ``mean``, ``var`` (which is the Hjorth
      activity), ``skew``, ``kurtosis`` (excess), ``hjorth_mobility``,
      ``hjorth_complexity``, ``zero_crossings`` (sign changes around the epoch mean),
      ``line_length`` (sum of absolute differences, µV) and ``ptp`` (peak-to-peak, µV);
    - ``"spectral"``: ``<band>_power`` (µV², Welch as in :class:`BandPower`) and
      ``<band>_relpower`` (fraction of the power over all bands).

    Parameters
    ----------
    %(windows)s
        ``"auto"``: the classic component windows N1 0.08-0.15, P2 0.15-0.25, N2
        0.2-0.35 and P3 0.25-0.6 s, cut to the epoch (those outside it are left out).
    %(bands)s
    features : tuple of str
        Feature groups to compute, from ``("amplitude", "temporal", "spectral")``.
    %(tmin)s
    %(sfreq)s
    %(ch_names)s
    %(units)s

    Attributes
    ----------
    windows_ : dict of str to (float, float)
        Latency windows used (empty without ``"amplitude"``).
    bands_ : dict of str to (float, float)
        Bands used (empty without ``"spectral"``).
    n_features_out_ : int
        Number of features.
    tmin_in_, n_times_in_ :
        Epoch start (s) and length (samples) seen in ``fit``.
    ch_names_in_, sfreq_in_, n_channels_in_ :
        Channels and rate seen in ``fit``.

    See Also
    --------
    MeanAmplitudeWindows : the mean amplitudes alone.
    BandPower : the band powers alone.

    Notes
    -----
    Features have very different scales: standardise them before a linear model,
    e.g. ``make_pipeline(ERPFeatures(), StandardScaler(), LogisticRegression())``.

    Examples
    --------
    >>> from sklearn_eegfm.baselines import ERPFeatures
    >>> from sklearn_eegfm.datasets import load_p300_demo
    >>> epochs = load_p300_demo()[:20]
    >>> erp = ERPFeatures(windows={"p3": (0.25, 0.5)}, features=("amplitude",))
    >>> erp.fit_transform(epochs).shape
    (20, 28)
    >>> erp.get_feature_names_out()[:3].tolist()
    ['TP9_mean_p3', 'TP9_pos_peak_p3', 'TP9_pos_latency_p3']
    """

    def __init__(
        self,
        windows="auto",
        bands="auto",
        *,
        features=FEATURE_GROUPS,
        tmin=None,
        sfreq=None,
        ch_names=None,
        units=None,
    ):
        self.windows = windows
        self.bands = bands
        self.features = features
        self.tmin = tmin
        self.sfreq = sfreq
        self.ch_names = ch_names
        self.units = units

    def _plan(self, sfreq, n_times):
        groups = [self.features] if isinstance(self.features, str) else list(self.features)
        if not groups:
            raise ValueError(f"features must name at least one of {FEATURE_GROUPS}.")
        for group in groups:
            check_option("features", group, FEATURE_GROUPS)
        self._groups = [g for g in FEATURE_GROUPS if g in groups]
        self.windows_, self._slices, self.bands_ = {}, [], {}
        names = []
        if "amplitude" in self._groups:
            if isinstance(self.windows, str) and self.windows == "auto":
                windows = clip_windows(ERP_WINDOWS, self.tmin_in_, sfreq, n_times)
            else:
                windows = self.windows
            self.windows_, self._slices = resolve_windows(windows, self.tmin_in_, sfreq, n_times)
            names += [f"{f}_{w}" for w in self.windows_ for f in WINDOW_FEATURES]
        if "temporal" in self._groups:
            names += list(TEMPORAL_FEATURES)
        if "spectral" in self._groups:
            self.bands_ = resolve_bands(self.bands, sfreq)
            self._spectrum = Spectrum(self.bands_, sfreq, n_times)
            names += [f"{b}_power" for b in self.bands_] + [f"{b}_relpower" for b in self.bands_]
        self._sfreq = sfreq
        return names

    def _compute(self, data):
        blocks = []
        if "amplitude" in self._groups:
            times = self.tmin_in_ + np.arange(data.shape[-1]) / self._sfreq
            blocks += [window_features(data[..., s], times[s], self._sfreq) for s in self._slices]
        if "temporal" in self._groups:
            blocks.append(temporal_features(data))
        if "spectral" in self._groups:
            blocks += list(self._spectrum.band_powers(data))
        return np.concatenate(blocks, axis=-1)
