"""The reference line-up of a comparison: baselines and foundation-model probes."""

from __future__ import annotations


def default_pipelines(
    models=("cbramod",), *, weights="auto", fast=False, channel_policy="interpolate"
):
    """Pipelines that answer "does a foundation model beat my baselines?".

    Parameters
    ----------
    models : sequence of str
        Foundation models to probe (see :func:`sklearn_eegfm.list_models`).
    weights : "auto" | str | None
        Weights of the foundation models (None: random initialisation, labelled as
        such in every result).
    fast : bool
        Shorter training of the specialist network (for demos and tests).
    channel_policy : str
        How the probes handle channels the models lack.

    Returns
    -------
    pipelines : dict of str to estimator
        ``"xdawn+ts"`` (XdawnCovariances + TangentSpace + logistic regression),
        ``"erp-features"`` (ERPFeatures + logistic regression), ``"eegnet"`` (trained from
        scratch) and ``"fm-<model>"`` (:class:`~sklearn_eegfm.LinearProbe`) per model.

    Examples
    --------
    >>> from sklearn_eegfm.evaluation import default_pipelines
    >>> sorted(default_pipelines(weights=None))
    ['eegnet', 'erp-features', 'fm-cbramod', 'xdawn+ts']
    """
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    from ..baselines import ERPFeatures, SpecialistClassifier, make_riemannian_pipeline
    from ..models import LinearProbe, get_contract

    pipes = {
        "xdawn+ts": make_riemannian_pipeline("erp"),
        "erp-features": make_pipeline(
            ERPFeatures(), StandardScaler(), LogisticRegression(C=0.1, max_iter=1000)
        ),
        "eegnet": SpecialistClassifier("eegnet", max_epochs=8 if fast else 60),
    }
    for model in models:
        name = get_contract(model).name
        pipes[f"fm-{name}"] = LinearProbe(
            name, weights=weights, channel_policy=channel_policy, class_weight="balanced"
        )
    return pipes
