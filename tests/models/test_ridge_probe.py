"""RidgeProbe: the closed-form ridge head on frozen embeddings."""

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.linear_model import RidgeClassifierCV
from sklearn.model_selection import StratifiedKFold, cross_val_score
from sklearn.preprocessing import StandardScaler

from sklearn_eegfm import FMEmbedder, LinearProbe, RidgeProbe
from sklearn_eegfm.models._cache import EmbeddingCache

pytestmark = pytest.mark.filterwarnings("ignore::sklearn_eegfm.RandomWeightsWarning")


@pytest.fixture(scope="module")
def data(p300_long):
    return p300_long, p300_long.metadata["label"].to_numpy()


def test_matches_a_ridge_on_standardised_embeddings(data):
    X, y = data
    probe = RidgeProbe("cbramod", weights=None, alphas=(1.0, 100.0)).fit(X, y)
    Z = FMEmbedder("cbramod", weights=None).fit_transform(X)
    Z = StandardScaler().fit_transform(Z).astype(np.float64)
    ref = RidgeClassifierCV(alphas=(1.0, 100.0)).fit(Z, y)
    assert probe.head_.alpha_ == ref.alpha_
    np.testing.assert_allclose(probe.decision_function(X), ref.decision_function(Z), atol=1e-6)
    np.testing.assert_array_equal(probe.predict(X), ref.predict(Z))
    assert probe.strategy_ == "ridge" and probe.n_trainable_params_ == 200 + 1
    assert not probe.pretrained_ and list(probe.classes_) == ["nontarget", "target"]


def test_probabilities_rank_like_the_scores(data):
    X, y = data
    probe = RidgeProbe("cbramod", weights=None).fit(X, y)
    proba = probe.predict_proba(X)
    assert proba.shape == (len(y), 2) and np.allclose(proba.sum(1), 1)
    order = np.argsort(probe.decision_function(X))
    assert np.all(np.diff(proba[order, 1]) >= 0)
    np.testing.assert_array_equal(probe.classes_[proba.argmax(1)], probe.predict(X))


def test_multiclass(data):
    X, _ = data
    y = np.array(["a", "b", "c"] * (len(X) // 3))
    probe = RidgeProbe("cbramod", weights=None).fit(X, y)
    assert probe.predict_proba(X).shape == (len(X), 3)
    assert probe.adaptation_features(X).shape == (len(X), 200)


def test_shares_the_embedding_cache_with_linear_probe(data):
    X, y = data
    EmbeddingCache.clear_memory()
    LinearProbe("cbramod", weights=None).fit(X, y)
    probe = RidgeProbe("cbramod", weights=None).fit(X, y)
    assert probe.embedder_.cache_info() == {"hits": len(y), "misses": len(y)}


def test_clone_and_cross_val_score(data):
    X, y = data
    probe = RidgeProbe("cbramod", weights=None, class_weight="balanced")
    assert clone(probe).get_params() == probe.get_params()
    scores = cross_val_score(probe, X, y, cv=StratifiedKFold(3), scoring="roc_auc")
    assert np.isfinite(scores).all()


def test_bad_input(data):
    X, y = data
    with pytest.raises(ValueError, match="at least 2 classes"):
        RidgeProbe(weights=None).fit(X, np.zeros(len(y)))
    with pytest.raises(ValueError, match="alphas must be positive"):
        RidgeProbe(weights=None, alphas=(0.0, 1.0)).fit(X, y)
    with pytest.raises(ValueError, match="36 epochs but y has 2"):
        RidgeProbe(weights=None).fit(X, y[:2])
