"""Per-domain alignment of the signals: Euclidean alignment and Riemannian recentering.

Both are transformers on epochs placed at the front of any pipeline. Each domain
(subject, session: a metadata column) is whitened by its own reference covariance, so
that every domain looks centred on the identity to what follows. The reference of a test
domain is computed from its unlabelled epochs alone, which makes ``transform`` a
per-domain, label-free operation. The output is :class:`~sklearn_eegfm.EpochsData`
(metadata kept) rescaled to the source data's amplitude, so that a foundation model that
expects microvolt-scale input still gets it.
"""

from __future__ import annotations

import dataclasses
import time

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted

from .._data import EpochsInputMixin, EpochsNDArray, flat_epochs
from .._validation import check_positive
from ..utils._docs import fill_doc
from ._base import domain_labels, warn_small_domain


class _SourceAlignedMixin:
    """What the alignments share: the per-domain loop, tags and source ``fit_transform``.

    ``fit_transform`` aligns each source domain and marks it so in the report.
    """

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.transformer_tags.preserves_dtype = []  # float32 microvolts, whatever the input
        return tags

    def fit_transform(self, X, y=None, groups=None):
        """Fit, then align each source domain by its own reference.

        Parameters
        ----------
        X : mne.Epochs | list of mne.Epochs | EpochsData | ndarray
            Source epochs.
        y : None
            Ignored.
        groups : array-like | None
            Domain of each epoch.

        Returns
        -------
        X_new : EpochsNDArray
            Aligned epochs, metadata kept.
        """
        out = self.fit(X, y, groups).transform(X, groups)
        for report in self.alignment_report_.values():
            report["source"] = True  # aligned while fitting, not at test time
        return out

    def _each_domain(self, domains, consequence):
        """Yield each domain's label, indices and start time, warning for a small one.

        ``consequence`` says what is done with a domain of fewer than ``min_epochs``.
        """
        for d in dict.fromkeys(domains.tolist()):
            t0 = time.perf_counter()
            idx = np.flatnonzero(domains == d)
            if len(idx) < self.min_epochs:
                # frames: this generator, transform, the user's call
                warn_small_domain(self, d, len(idx), consequence, stacklevel=3)
            yield d, idx, t0


class _DomainAlignment(_SourceAlignedMixin, EpochsInputMixin, TransformerMixin, BaseEstimator):
    """Shared fit/transform of the alignments; subclasses define ``_whitener(data)``."""

    def __init__(self, *, domain=None, min_epochs=2, sfreq=None, ch_names=None, units=None):
        self.domain = domain
        self.min_epochs = min_epochs
        self.sfreq = sfreq
        self.ch_names = ch_names
        self.units = units

    def fit(self, X, y=None, groups=None):
        """Record the source amplitude and the fallback reference.

        Parameters
        ----------
        X : mne.Epochs | list of mne.Epochs | EpochsData | ndarray
            Source epochs.
        y : None
            Ignored.
        groups : array-like | None
            Domain of each epoch (overrides the ``domain`` column).

        Returns
        -------
        self : transformer
            The fitted transformer.
        """
        check_positive("min_epochs", self.min_epochs, integer=True)
        ed = self._validate_epochs(X, reset=True)
        domains = domain_labels(X, self.domain, groups)
        data = ed.data.astype(np.float64)
        # Root-mean-square amplitude (uV) of the source: the output's scale.
        self.scale_ = float(np.sqrt(np.mean(data**2)))
        self.domains_ = np.array(list(dict.fromkeys(domains.tolist())), dtype=object)
        # For target domains too small to estimate their own reference: the source's.
        self.fallback_ = self._whitener(data)
        self.alignment_report_ = {}
        return self

    def transform(self, X, groups=None):
        """Align each domain of ``X`` by the reference of its own epochs (no labels).

        Parameters
        ----------
        X : mne.Epochs | list of mne.Epochs | EpochsData | ndarray
            Epochs.
        groups : array-like | None
            Domain of each epoch (overrides the ``domain`` column).

        Returns
        -------
        X_new : EpochsNDArray
            Aligned epochs at the source's amplitude, metadata kept.
        """
        check_is_fitted(self)
        ed = self._validate_epochs(X, reset=False)
        domains = domain_labels(X, self.domain, groups)
        data = ed.data.astype(np.float64)
        out = np.empty_like(data)
        consequence = "it is aligned with the source reference instead of its own"
        for d, idx, t0 in self._each_domain(domains, consequence):
            if len(idx) < self.min_epochs:
                W, skipped = self.fallback_, True
                extra = {}
            else:
                (W, extra), skipped = self._domain_filters(data[idx]), False
            # W: one filter for the domain, or one per epoch (stretching)
            out[idx] = np.matmul(W, data[idx]) * self.scale_
            self.alignment_report_[d] = {
                "n_epochs": len(idx),
                "skipped": skipped,
                **extra,
                "time": time.perf_counter() - t0,
            }
        aligned = dataclasses.replace(
            ed,
            data=out.astype(np.float32),
            ch_names=list(ed.ch_names),
            notes=[*ed.notes, f"{type(self).__name__} per {self.domain or 'batch'}"],
            _fingerprints=None,
        )
        return EpochsNDArray.from_epochs_data(aligned)

    def _domain_filters(self, data):
        """Return the filters aligning one domain with enough epochs, and what to report."""
        return self._whitener(data), {}

    def __sklearn_is_fitted__(self):
        return "scale_" in self.__dict__


def _invsqrtm(C):
    from pyriemann.geometry.base import invsqrtm

    return invsqrtm(C)


@fill_doc
class EuclideanAlignment(_DomainAlignment):
    """Whiten each domain by the arithmetic mean of its epochs' covariances (EA).

    Euclidean alignment [1]_ maps every epoch ``X`` of a domain to ``R^{-1/2} X`` with
    ``R`` the mean of ``X X^T / n_times`` over the domain's epochs, so that each
    domain's mean covariance becomes the identity. The output is then multiplied by the
    source data's RMS amplitude (``scale_``, microvolts), which keeps the amplitude a
    foundation model's contract expects. Test domains are aligned with their own
    unlabelled epochs; a domain with fewer than ``min_epochs`` epochs gets the source
    reference, with a warning.

    Parameters
    ----------
    domain : str | None
        Metadata column naming each epoch's domain (``"subject"``, ``"session"``); None
        treats each call's batch as one domain (``groups=`` overrides both).
    shrinkage : float
        Fraction of ``trace(R) / n_channels`` added to the diagonal of ``R`` before the
        inverse square root (keeps rank-deficient data invertible).
    min_epochs : int
        Smallest domain aligned with its own reference.
    %(sfreq)s
    %(ch_names)s
    %(units)s

    Attributes
    ----------
    scale_ : float
        RMS amplitude of the source data (uV), the output's scale.
    domains_ : ndarray
        Domains seen in ``fit``.
    fallback_ : ndarray, shape (n_channels, n_channels)
        Whitening matrix of the pooled source data.
    alignment_report_ : dict
        Per domain seen: ``n_epochs``, ``skipped``, ``time`` (s), and ``source``
        for the training domains aligned by ``fit_transform``.

    References
    ----------
    .. [1] He, H. & Wu, D. (2020). Transfer learning for brain-computer interfaces: a
       Euclidean space data alignment approach. IEEE TBME 67(2), 399-410.

    Examples
    --------
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn_eegfm import EuclideanAlignment, make_riemannian_pipeline
    >>> aligned = make_pipeline(EuclideanAlignment(domain="subject"),
    ...                         make_riemannian_pipeline("erp"))
    """

    def __init__(
        self, *, domain=None, shrinkage=1e-3, min_epochs=2, sfreq=None, ch_names=None, units=None
    ):
        super().__init__(
            domain=domain, min_epochs=min_epochs, sfreq=sfreq, ch_names=ch_names, units=units
        )
        self.shrinkage = shrinkage

    def _whitener(self, data):
        R = np.einsum("nct,ndt->cd", data, data) / (data.shape[0] * data.shape[2])
        R += self.shrinkage * np.trace(R) / len(R) * np.eye(len(R))
        return _invsqrtm(R)


@fill_doc
class RiemannianRecentering(_DomainAlignment):
    """Recentre (and optionally stretch) each domain's covariances with pyRiemann's tools.

    Riemannian Procrustes analysis [1]_ [2]_, label-free steps only: the covariance
    matrices of each domain's epochs (``estimator``, OAS shrinkage by default) are
    centred by :class:`pyriemann.transfer.TLCenter`, whose whitening filter (the
    inverse square root of the domain's Riemannian mean) is applied to the signals.
    Every covariance-based step that follows (Xdawn covariances, tangent space, CSP,
    MDM) then sees domains centred on a common reference. It differs from
    :class:`EuclideanAlignment` by the mean: geometric (affine-invariant) instead of
    arithmetic, robust to outlying epochs.

    With ``stretch=True``, each domain is then stretched around the identity by
    :class:`pyriemann.transfer.TLScale` (``centered_data=True``) so that its dispersion
    (mean squared Riemannian distance of its matrices to their mean) equals
    ``final_dispersion``: a domain whose epochs scatter more (a noisier subject or
    session) no longer looks more extreme to the classifier. TLScale maps each centred
    matrix ``C`` to ``C^p``; on the signals this is the per-epoch filter
    ``sqrtm(C^p) @ invsqrtm(C)``, so that each epoch's covariance (exactly for a linear
    estimator such as ``"scm"``, approximately for shrinkage ones) is the stretched
    matrix. Stretching keeps each domain's mean at the identity.

    :class:`pyriemann.transfer.TLRotate`, the third step of Procrustes analysis, is not
    offered: it rotates each domain so that its *class* means match the target's, which
    needs labels in the target domain. Test-time alignment never has them, and an
    unsupervised rotation estimated from predicted labels would feed the classifier's
    own errors back into its input.

    Parameters
    ----------
    domain : str | None
        Metadata column naming each epoch's domain; None treats each batch as one.
    estimator : str
        Covariance estimator (pyRiemann name).
    metric : str
        Metric of the mean (``"riemann"`` recentres exactly on the identity).
    stretch : bool
        Also equalise each domain's dispersion with TLScale after recentering.
    final_dispersion : "source" | float
        Dispersion every domain is stretched to (``stretch=True`` only). ``"source"``:
        the mean dispersion of the training domains measured in ``fit`` (the scale
        the classifier is trained at; pyRiemann's TLScale default is 1.0, which with
        more channels or less shrinkage is far from the data's own scale).
    min_epochs : int
        Smallest domain recentred with its own mean (smaller ones get the source
        reference and are not stretched).
    %(sfreq)s
    %(ch_names)s
    %(units)s

    Attributes
    ----------
    scale_, domains_, fallback_ :
        As in :class:`EuclideanAlignment`.
    dispersion_ : float | None
        The dispersion every domain is stretched to (None without stretching).
    source_dispersions_ : dict
        Dispersion of each training domain before stretching (empty without it).
    alignment_report_ : dict
        Per domain: ``n_epochs``, ``skipped``, ``time`` (s); with stretching also
        ``dispersion`` (before) and ``stretch_power`` (the TLScale exponent).

    References
    ----------
    .. [1] Zanini, P., Congedo, M., Jutten, C., Said, S. & Berthoumieu, Y. (2018).
       Transfer learning: a Riemannian geometry framework with applications to
       brain-computer interfaces. IEEE TBME 65(5), 1107-1116.
    .. [2] Rodrigues, P. L. C., Jutten, C. & Congedo, M. (2019). Riemannian Procrustes
       analysis: transfer learning for brain-computer interfaces. IEEE TBME 66(8),
       2390-2401.

    Examples
    --------
    >>> from sklearn_eegfm import make_riemannian_pipeline
    >>> pipe = make_riemannian_pipeline("erp", recenter=True, stretch=True)
    >>> pipe.steps[0][0], pipe.steps[0][1].stretch
    ('riemannianrecentering', True)
    """

    def __init__(
        self,
        *,
        domain=None,
        estimator="oas",
        metric="riemann",
        stretch=False,
        final_dispersion="source",
        min_epochs=2,
        sfreq=None,
        ch_names=None,
        units=None,
    ):
        super().__init__(
            domain=domain, min_epochs=min_epochs, sfreq=sfreq, ch_names=ch_names, units=units
        )
        self.estimator = estimator
        self.metric = metric
        self.stretch = stretch
        self.final_dispersion = final_dispersion

    def fit(self, X, y=None, groups=None):
        """Record the source amplitude, the fallback reference and the target dispersion.

        Parameters
        ----------
        X : mne.Epochs | list of mne.Epochs | EpochsData | ndarray
            Source epochs.
        y : None
            Ignored.
        groups : array-like | None
            Domain of each epoch (overrides the ``domain`` column).

        Returns
        -------
        self : RiemannianRecentering
            The fitted transformer.
        """
        if not isinstance(self.stretch, bool | np.bool_):
            raise ValueError(f"stretch must be True or False; got {self.stretch!r}.")
        target = self.final_dispersion
        if not (
            (isinstance(target, str) and target == "source")
            or (
                isinstance(target, int | float | np.number)
                and not isinstance(target, bool)
                and np.isfinite(target)
                and target > 0
            )
        ):
            raise ValueError(
                f'final_dispersion must be "source" or a positive number; got {target!r}.'
            )
        super().fit(X, y, groups)
        self.dispersion_, self.source_dispersions_ = None, {}
        if not self.stretch:
            return self
        ed = self._validate_epochs(X, reset=False)
        data = ed.data.astype(np.float64)
        domains = domain_labels(X, self.domain, groups)
        for d in self.domains_:
            idx = np.flatnonzero(domains == d)
            if len(idx) >= max(2, self.min_epochs):
                self.source_dispersions_[d] = self._scaler(self._center(data[idx])[1], 1.0)[1]
        if not self.source_dispersions_:  # every domain too small: pool them
            self.source_dispersions_["pooled"] = self._scaler(self._center(data)[1], 1.0)[1]
        if isinstance(target, str):
            target = float(np.mean(list(self.source_dispersions_.values())))
        self.dispersion_ = float(target)
        return self

    def _validate_epochs(self, X, *, reset, dtype=np.float32):
        ed = super()._validate_epochs(X, reset=reset, dtype=dtype)
        flat = flat_epochs(ed.data)
        if len(flat):
            raise ValueError(
                f"RiemannianRecentering needs a positive definite covariance per epoch, but "
                f"{len(flat)} epoch(s) are flat (every channel constant; first "
                f"{flat[:5].tolist()}). Drop them first (epochs.drop(indices)), or use "
                "EuclideanAlignment, which tolerates them."
            )
        return ed

    def _center(self, data):
        """TLCenter on one domain: its whitening filter and its centred covariances."""
        from pyriemann.estimation import Covariances
        from pyriemann.transfer import TLCenter, encode_domains

        covs = Covariances(estimator=self.estimator).transform(data)
        if len(covs) == 1:  # TLCenter's mean needs two matrices; one is its own mean
            covs = np.concatenate([covs, covs])
        _, y_enc = encode_domains(covs, np.zeros(len(covs), int), np.full(len(covs), "d"))
        center = TLCenter(target_domain="d", metric=self.metric)
        centred = center.fit_transform(covs, y_enc)[: len(data)]
        return center.centers_["d"].filters_.T, centred

    def _scaler(self, centred, final_dispersion):
        """TLScale on one centred domain: the stretched matrices and the dispersion."""
        from pyriemann.transfer import TLScale, encode_domains

        _, y_enc = encode_domains(centred, np.zeros(len(centred), int), np.full(len(centred), "d"))
        # The recentred mean is the identity only for the Riemannian mean; otherwise
        # TLScale estimates the mean itself and stretches around it.
        scale = TLScale(
            target_domain="d",
            final_dispersion=final_dispersion,
            centered_data=self.metric == "riemann",
            metric="riemann",
        )
        stretched = scale.fit_transform(centred.copy(), y_enc)
        return stretched, float(scale.scales_["d"])

    def _whitener(self, data):
        return self._center(data)[0]

    def _domain_filters(self, data):
        W, centred = self._center(data)
        if not self.stretch or len(data) < 2:  # one matrix has no dispersion
            return W, {}
        from pyriemann.geometry.base import invsqrtm, sqrtm

        with np.errstate(divide="ignore", invalid="ignore"):
            stretched, dispersion = self._scaler(centred, self.dispersion_)
        if not (dispersion > 0 and np.isfinite(stretched).all()):  # identical epochs
            return W, {"dispersion": dispersion, "stretch_power": 1.0}
        # The per-epoch signal filter whose output covariance is the stretched matrix.
        filters = np.matmul(np.matmul(sqrtm(stretched), invsqrtm(centred)), W)
        return filters, {
            "dispersion": dispersion,
            "stretch_power": float(np.sqrt(self.dispersion_ / dispersion)),
        }
