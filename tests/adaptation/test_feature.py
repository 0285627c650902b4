"""Optimisation-free adapters: T3A prototypes and LAME's Laplacian smoothing."""

import numpy as np
import pytest

from sklearn_eegfm import EpochsData, LAMEAdapter, T3AAdapter, make_riemannian_pipeline
from sklearn_eegfm.adaptation._base import features_of
from sklearn_eegfm.adaptation._heads import linear_head


@pytest.fixture(scope="module")
def fitted_pipe(two_domains):
    epochs, y, subject = two_domains
    X = EpochsData.from_epochs(epochs)
    return X, y, make_riemannian_pipeline("erp", nfilter=1)


def _norm(A):
    return A / np.linalg.norm(A, axis=-1, keepdims=True)


def test_t3a_matches_the_prototype_rule_by_hand(fitted_pipe):
    X, y, pipe = fitted_pipe
    t3a = T3AAdapter(pipe, filter_k=None, batch_size=1000).fit(X[:24], y[:24])
    tgt = X[np.arange(24, 48)]
    logits = t3a.decision_function(tgt)
    W, b = linear_head(t3a.estimator_, 2)
    Z = features_of(t3a.estimator_, tgt)
    supports = np.vstack([W, Z])
    labels = np.r_[np.argmax(W @ W.T + b, 1), np.argmax(Z @ W.T + b, 1)]
    protos = np.stack([_norm(supports[labels == c]).sum(0) for c in (0, 1)])
    expected = Z @ _norm(protos).T
    np.testing.assert_allclose(logits, expected[:, 1] - expected[:, 0], rtol=1e-6)
    assert t3a.adaptation_report_[0]["n_kept"] == 26


def test_t3a_filter_keeps_k_supports_per_class(fitted_pipe):
    X, y, pipe = fitted_pipe
    t3a = T3AAdapter(pipe, filter_k=3, batch_size=4).fit(X[:24], y[:24])
    t3a.predict(X[np.arange(24, 48)])
    assert t3a.adaptation_report_[0]["n_kept"] <= 6


def test_lame_output_is_its_fixed_point(fitted_pipe):
    X, y, pipe = fitted_pipe
    lame = LAMEAdapter(pipe, knn=3).fit(X[:24], y[:24])
    tgt = X[np.arange(24, 48)]
    Z = lame.predict_proba(tgt)
    P = lame.estimator_.predict_proba(tgt)
    F = _norm(features_of(lame.estimator_, tgt))
    sim = F @ F.T
    np.fill_diagonal(sim, -np.inf)
    A = np.zeros_like(sim)
    np.put_along_axis(A, np.argsort(-sim, axis=1, kind="stable")[:, :3], 1.0, axis=1)
    E = np.log(P) + A @ Z
    fixed = np.exp(E - E.max(1, keepdims=True))
    np.testing.assert_allclose(Z, fixed / fixed.sum(1, keepdims=True), atol=1e-5)
    assert lame.adaptation_report_[0]["steps"] < 100


def test_feature_adapters_need_a_linear_head_or_features(two_domains):
    from sklearn.neighbors import KNeighborsClassifier
    from sklearn.pipeline import make_pipeline

    from sklearn_eegfm.baselines import ERPFeatures

    epochs, y, subject = two_domains
    knn = make_pipeline(ERPFeatures(), KNeighborsClassifier(3))
    with pytest.raises(TypeError, match="not a linear classifier"):
        T3AAdapter(knn).fit(epochs, y)
    LAMEAdapter(knn).fit(epochs[:24], y[:24]).predict(epochs[24:])  # LAME only needs proba


def test_lame_reads_the_ridge_probe_embedding(two_domains):
    """RidgeProbe has no torch network but exposes its head's input to LAME/T3A."""
    import warnings

    from sklearn_eegfm import RandomWeightsWarning, RidgeProbe

    epochs, y, _ = two_domains
    X = EpochsData.from_epochs(epochs)
    probe = RidgeProbe("cbramod", weights=None, length_policy="pad")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RandomWeightsWarning)
        lame = LAMEAdapter(probe, knn=3).fit(X[:24], y[:24])
        tgt = X[np.arange(24, 48)]
        proba = lame.predict_proba(tgt)
        feats = features_of(lame.estimator_, tgt)
        est = lame.estimator_
        # the head's input, computed here: standardised embeddings ...
        expected = est.scaler_.transform(est.embedder_.transform(tgt))
        np.testing.assert_allclose(feats, expected, rtol=1e-6, atol=1e-8)
        # ... which the head turns into the probe's own decision
        np.testing.assert_allclose(
            est.head_.decision_function(feats), est.decision_function(tgt), rtol=1e-6, atol=1e-8
        )
    assert proba.shape == (24, 2) and np.allclose(proba.sum(1), 1)
