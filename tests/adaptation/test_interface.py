"""The adaptation interface of LinearProbe and SpecialistClassifier, declared once."""

import warnings

import numpy as np
import pytest
import torch

from sklearn_eegfm import LinearProbe, RandomWeightsWarning
from sklearn_eegfm._adaptable import AdaptableFeatures, AdaptableNetwork


def _check_interface(est, X):
    assert isinstance(est, AdaptableNetwork)
    x = est.adaptation_input(X)
    assert x.dtype == torch.float32
    module = est.adaptation_module()
    assert not module.training
    with torch.no_grad():
        logits = module(x)
        feats = module.features(x)
        np.testing.assert_allclose(module.classifier(feats), logits, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(
        logits.softmax(1).numpy(), est.predict_proba(X), rtol=1e-4, atol=1e-5
    )
    np.testing.assert_allclose(est.adaptation_features(X), feats.numpy(), rtol=1e-4, atol=1e-4)
    # The module is a copy: wrecking it leaves the estimator unchanged.
    before = est.predict_proba(X)
    with torch.no_grad():
        for p in module.parameters():
            p.mul_(0)
    assert module is not est.adaptation_module()
    np.testing.assert_array_equal(est.predict_proba(X), before)


def test_specialist_interface(eegnet, two_domains):
    epochs, y, _ = two_domains
    est = eegnet.__class__(**eegnet.get_params()).fit(epochs[:32], y[:32])
    _check_interface(est, epochs[32:])


@pytest.mark.real_data
def test_linear_probe_interface_two_columns_for_a_binary_head(p300_long):
    y = p300_long.metadata["label"].to_numpy()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RandomWeightsWarning)
        probe = LinearProbe("cbramod", weights=None, random_state=0).fit(p300_long, y)
    assert probe.adaptation_module().classifier.out_features == 2
    assert probe.make_module().head.out_features == 1  # make_module unchanged
    _check_interface(probe, p300_long[:8])


def test_the_interface_is_declared_once_and_detected_by_it():
    """Every estimator that adapts is an AdaptableNetwork; detection uses the declaration."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import FunctionTransformer

    from sklearn_eegfm import FMClassifier, RidgeProbe, SpecialistClassifier
    from sklearn_eegfm._adaptable import AdaptableNetworkMixin
    from sklearn_eegfm.adaptation._base import adaptable_view

    for cls in (LinearProbe, SpecialistClassifier, FMClassifier):
        assert issubclass(cls, AdaptableNetworkMixin) and issubclass(cls, AdaptableNetwork)
    assert issubclass(RidgeProbe, AdaptableFeatures) and not issubclass(
        RidgeProbe, AdaptableNetwork
    )
    probe = LinearProbe("cbramod", weights=None)
    assert adaptable_view(probe) is probe
    view = adaptable_view(make_pipeline(FunctionTransformer(), probe))
    assert view is not None and view.final is probe
    assert adaptable_view(make_pipeline(FunctionTransformer(), LogisticRegression())) is None
