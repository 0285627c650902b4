"""Reference pipelines with domain adaptation in front: baselines composed with alignments.

The Riemannian baselines (``baselines/``) and the alignments (``adaptation/``) sit side by
side and never import each other; their composition lives here, above both, and is
re-exported as :func:`sklearn_eegfm.make_riemannian_pipeline`.
"""

from __future__ import annotations

from .adaptation import RiemannianRecentering
from .baselines import riemann


def make_riemannian_pipeline(kind, *, recenter=False, domain=None, stretch=False, **kwargs):
    """Build a reference pipeline by name, optionally recentring each domain first.

    Parameters
    ----------
    kind : "erp" | "erp-mdm" | "mi" | "csp"
        ``"erp"``: :func:`~sklearn_eegfm.baselines.xdawn_tangent_space`; ``"erp-mdm"``:
        :func:`~sklearn_eegfm.baselines.erp_mdm`; ``"mi"``:
        :func:`~sklearn_eegfm.baselines.covariance_tangent_space`; ``"csp"``:
        :func:`~sklearn_eegfm.baselines.csp_lda`.
    recenter : bool
        Put :class:`~sklearn_eegfm.RiemannianRecentering` at the front: each domain's
        covariances are recentred on the identity (its own unlabelled epochs at test
        time), the usual fix for cross-subject and cross-session transfer. Works for
        every kind, since every kind is covariance-based.
    domain : str | None
        With ``recenter=True``, the metadata column naming each epoch's domain
        (``"subject"``, ``"session"``); None recentres each batch as one domain.
    stretch : bool
        With ``recenter=True``, also equalise each domain's dispersion around the
        identity (pyRiemann's TLScale, label-free; see
        :class:`~sklearn_eegfm.RiemannianRecentering`).
    **kwargs
        Keyword arguments of that factory (e.g. ``nfilter=4``, ``units="uV"``).

    Returns
    -------
    pipeline : sklearn.pipeline.Pipeline
        An unfitted pipeline taking Epochs, lists of Epochs or described arrays.

    Examples
    --------
    >>> from sklearn_eegfm import make_riemannian_pipeline
    >>> pipe = make_riemannian_pipeline("erp", recenter=True, domain="subject")
    >>> [name for name, _ in pipe.steps][:2]
    ['riemannianrecentering', 'epochstoarray']
    """
    pipeline = riemann.make_riemannian_pipeline(kind, **kwargs)
    if recenter:
        front = RiemannianRecentering(
            domain=domain,
            stretch=stretch,
            sfreq=kwargs.get("sfreq"),
            ch_names=kwargs.get("ch_names"),
            units=kwargs.get("units"),
        )
        # The recentred output is EpochsData in microvolts: the array description
        # moves to the front step.
        pipeline.set_params(epochstoarray__sfreq=None, epochstoarray__ch_names=None)
        pipeline.set_params(epochstoarray__units=None)
        pipeline.steps.insert(0, ("riemannianrecentering", front))
    elif domain is not None or stretch:
        raise ValueError("domain= and stretch= only apply with recenter=True.")
    return pipeline
