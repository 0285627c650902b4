"""Per-domain latency alignment of event-related epochs, from their unlabelled average.

Consumer headsets stream EEG and stimulus markers over separate wireless links, so the
marker-to-signal delay differs between recording set-ups, sessions and subjects by tens of
milliseconds. Within a domain the delay is constant and a classifier learns around it;
across domains the same evoked response arrives at different sample positions, and an
ERP classifier trained on some subjects reads another's at the wrong latency. On the
shared Muse P300 recordings the stimulus-locked average (all epochs, no labels) peaks up
to 150 ms apart between sessions.

:class:`LatencyAlignment` estimates one shift per domain by cross-correlating the
domain's average of *all* its epochs (target and non-target alike: no labels) with a
reference average learnt from the source domains, then crops every epoch of the domain
at the shifted position. It is a transformer placed at the front of a pipeline, like
:class:`~sklearn_eegfm.EuclideanAlignment`, with which it composes.
"""

from __future__ import annotations

import dataclasses
import time

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted

from .._data import EpochsInputMixin, EpochsNDArray
from .._validation import check_positive
from ..utils._docs import fill_doc
from ._base import domain_labels
from .alignment import _SourceAlignedMixin


def _centred_average(data):
    """Average over epochs, each channel's mean over time removed."""
    avg = data.mean(axis=0)
    return avg - avg.mean(axis=1, keepdims=True)


def _best_shift(avg, reference, max_shift, span):
    """Shift in samples (within ``+-max_shift``) whose crop of ``avg`` best matches.

    ``reference`` covers the output window; ``span`` (start, stop) restricts the match
    to part of it. Returns the shift and its Pearson correlation.
    """
    start, stop = span
    ref = reference[:, start:stop].ravel()
    ref = ref - ref.mean()
    best, best_r = 0, -np.inf
    for shift in range(-max_shift, max_shift + 1):
        seg = avg[:, max_shift + shift + start : max_shift + shift + stop].ravel()
        seg = seg - seg.mean()
        denom = np.linalg.norm(seg) * np.linalg.norm(ref)
        r = float(seg @ ref / denom) if denom > 0 else 0.0
        # Ties (flat averages) keep the smallest |shift|: range() visits -m first.
        if r > best_r + 1e-12 or (abs(r - best_r) <= 1e-12 and abs(shift) < abs(best)):
            best, best_r = shift, r
    return best, best_r


@fill_doc
class LatencyAlignment(_SourceAlignedMixin, EpochsInputMixin, TransformerMixin, BaseEstimator):
    """Shift each domain in time so its average evoked response lines up with the source's.

    For every domain (subject, session: a metadata column) the average of all its
    epochs, whatever their class, is cross-correlated with a reference average over
    shifts of up to ``max_shift`` seconds; the domain's epochs are then cropped at the
    best shift. No label is used at any point, so test domains are aligned at
    prediction time from their own unlabelled epochs. The reference is learnt in
    ``fit``: starting from the pooled source average, each source domain is aligned to
    it and the reference recomputed from the aligned domains, ``n_iter`` times.

    The output is ``2 * max_shift`` seconds shorter than the input: read the epochs
    with that margin (e.g. ``tmin=-0.2, tmax=0.9`` for a ``-0.1..0.8`` s analysis with
    ``max_shift=0.1``). Its ``tmin`` is the input's plus ``max_shift``.

    This corrects a *constant* delay per domain (marker transport, device clock), the
    common failure of consumer headsets; it does not model trial-to-trial latency
    jitter, and a domain whose average does not resemble the reference (correlation
    reported per domain) gets an arbitrary shift within the bound. Put it first,
    before spatial alignment or covariance estimation.

    Parameters
    ----------
    domain : str | None
        Metadata column naming each epoch's domain (``"subject"``, ``"session"``); None
        treats each call's batch as one domain (``groups=`` overrides both).
    max_shift : float
        Largest shift tried, in seconds, either way.
    window : tuple of float | None
        ``(start, stop)`` in seconds relative to the output's first sample over which
        averages are matched (e.g. the evoked response's latency range); None matches
        the whole output window.
    n_iter : int
        Rounds of re-estimating the reference from the aligned source domains.
    min_epochs : int
        Smallest domain whose own average is trusted; smaller domains are not shifted
        (with an :class:`~sklearn_eegfm.adaptation.AdaptationSkippedWarning`).
    %(sfreq)s
    %(ch_names)s
    %(units)s

    Attributes
    ----------
    shift_samples_ : int
        ``max_shift`` in samples at the input's rate.
    match_window_ : tuple of int
        ``(start, stop)`` samples of the output window over which averages are matched.
    reference_ : ndarray, shape (n_channels, n_times_out)
        Reference average (microvolts, each channel centred) over the output window.
    source_shifts_ : dict
        Shift (seconds) found for each source domain in ``fit``.
    alignment_report_ : dict
        Per domain aligned: ``n_epochs``, ``skipped``, ``shift`` (seconds; positive
        means the domain's response came late), ``correlation`` with the reference,
        ``time`` (s), and ``source`` for the training domains.

    See Also
    --------
    EuclideanAlignment, RiemannianRecentering : spatial alignment, which composes.

    Examples
    --------
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn_eegfm import LatencyAlignment, make_riemannian_pipeline
    >>> pipe = make_pipeline(LatencyAlignment(domain="subject", max_shift=0.1),
    ...                      make_riemannian_pipeline("erp", recenter=True))
    """

    def __init__(
        self,
        *,
        domain=None,
        max_shift=0.1,
        window=None,
        n_iter=3,
        min_epochs=20,
        sfreq=None,
        ch_names=None,
        units=None,
    ):
        self.domain = domain
        self.max_shift = max_shift
        self.window = window
        self.n_iter = n_iter
        self.min_epochs = min_epochs
        self.sfreq = sfreq
        self.ch_names = ch_names
        self.units = units

    def _check_params(self, ed):
        if not (np.isscalar(self.max_shift) and np.isfinite(self.max_shift)) or (
            self.max_shift < 0
        ):
            raise ValueError(
                f"max_shift must be a non-negative number of seconds; got {self.max_shift!r}."
            )
        for name in ("n_iter", "min_epochs"):
            check_positive(name, getattr(self, name), integer=True)
        shift = int(round(self.max_shift * ed.sfreq))
        n_out = ed.n_times - 2 * shift
        if n_out < 2:
            raise ValueError(
                f"Epochs of {ed.n_times} samples ({ed.n_times / ed.sfreq:.3f} s) are too "
                f"short for max_shift={self.max_shift} s, which crops {2 * shift} samples. "
                "Read the epochs with a margin of max_shift on each side, or lower max_shift."
            )
        span = (0, n_out)
        if self.window is not None:
            try:
                start, stop = (int(round(t * ed.sfreq)) for t in self.window)
            except (TypeError, ValueError):
                raise ValueError(
                    f"window must be (start, stop) in seconds or None; got {self.window!r}."
                ) from None
            if not 0 <= start < stop <= n_out:
                raise ValueError(
                    f"window={self.window!r} s must lie within the output window "
                    f"[0, {n_out / ed.sfreq:.3f}] s (relative to its first sample)."
                )
            span = (start, stop)
        return shift, n_out, span

    def fit(self, X, y=None, groups=None):
        """Learn the reference average from the source domains.

        Parameters
        ----------
        X : mne.Epochs | list of mne.Epochs | EpochsData | ndarray
            Source epochs, with ``max_shift`` seconds of margin on each side.
        y : None
            Ignored: the reference is the average of all epochs.
        groups : array-like | None
            Domain of each epoch (overrides the ``domain`` column).

        Returns
        -------
        self : LatencyAlignment
            The fitted transformer.
        """
        ed = self._validate_epochs(X, reset=True)
        shift, n_out, span = self._check_params(ed)
        domains = domain_labels(X, self.domain, groups)
        data = ed.data.astype(np.float64)
        parts = {d: data[domains == d] for d in dict.fromkeys(domains.tolist())}
        averages = {d: _centred_average(part) for d, part in parts.items()}
        reference = _centred_average(data)[:, shift : shift + n_out]
        shifts = dict.fromkeys(parts, 0)
        for _ in range(self.n_iter):
            for d, avg in averages.items():
                if len(parts[d]) >= self.min_epochs:
                    shifts[d] = _best_shift(avg, reference, shift, span)[0]
            # Each domain weighs by its epochs, as in the pooled average.
            aligned = sum(
                len(parts[d]) * averages[d][:, shift + shifts[d] : shift + shifts[d] + n_out]
                for d in parts
            ) / len(data)
            reference = aligned - aligned.mean(axis=1, keepdims=True)
        self.shift_samples_ = shift
        self.match_window_ = span
        self.reference_ = reference
        self.source_shifts_ = {d: s / ed.sfreq for d, s in shifts.items()}
        self.alignment_report_ = {}
        return self

    def transform(self, X, groups=None):
        """Shift and crop each domain of ``X`` by its own average (no labels).

        Parameters
        ----------
        X : mne.Epochs | list of mne.Epochs | EpochsData | ndarray
            Epochs, as long as the source epochs.
        groups : array-like | None
            Domain of each epoch (overrides the ``domain`` column).

        Returns
        -------
        X_new : EpochsNDArray
            Epochs ``2 * max_shift`` shorter, metadata kept.
        """
        check_is_fitted(self)
        ed = self._validate_epochs(X, reset=False)
        # The input was checked against fit (channels, rate, length): the fitted shift,
        # window and reference apply as they are.
        shift, span = self.shift_samples_, self.match_window_
        n_out = self.reference_.shape[1]
        domains = domain_labels(X, self.domain, groups)
        data = ed.data
        out = np.empty(data.shape[:2] + (n_out,), dtype=np.float32)
        consequence = "its average is too noisy to time it, so it is not shifted"
        for d, idx, t0 in self._each_domain(domains, consequence):
            if len(idx) < self.min_epochs:
                best, r, skipped = 0, float("nan"), True
            else:
                avg = _centred_average(data[idx].astype(np.float64))
                (best, r), skipped = _best_shift(avg, self.reference_, shift, span), False
            out[idx] = data[idx, :, shift + best : shift + best + n_out]
            self.alignment_report_[d] = {
                "n_epochs": len(idx),
                "skipped": skipped,
                "shift": best / ed.sfreq,
                "correlation": r,
                "time": time.perf_counter() - t0,
            }
        aligned = dataclasses.replace(
            ed,
            data=out,
            ch_names=list(ed.ch_names),
            notes=[
                *ed.notes,
                f"LatencyAlignment per {self.domain or 'batch'} (+-{self.max_shift} s)",
            ],
            tmin=None if ed.tmin is None else ed.tmin + shift / ed.sfreq,
            _fingerprints=None,
        )
        return EpochsNDArray.from_epochs_data(aligned)

    def __sklearn_is_fitted__(self):
        return "reference_" in self.__dict__
