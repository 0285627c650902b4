"""LinearProbe: frozen backbone, head, torch export, and real-data behaviour."""

import numpy as np
import pytest
import torch
from sklearn.base import clone
from sklearn.model_selection import GridSearchCV, StratifiedKFold, cross_val_score

from sklearn_eegfm import LinearProbe
from sklearn_eegfm.models._cache import MEMORY_CACHE, EmbeddingCache

pytestmark = pytest.mark.filterwarnings("ignore::sklearn_eegfm.RandomWeightsWarning")


@pytest.fixture(scope="module")
def fitted(p300_long):
    y = p300_long.metadata["label"].to_numpy()
    return LinearProbe("cbramod", weights=None, class_weight="balanced").fit(p300_long, y), y


def test_predictions_and_classes(fitted, p300_long):
    probe, y = fitted
    assert list(probe.classes_) == ["nontarget", "target"]
    proba = probe.predict_proba(p300_long)
    assert proba.shape == (len(y), 2) and np.allclose(proba.sum(1), 1)
    assert set(probe.predict(p300_long)) <= set(probe.classes_)
    assert probe.decision_function(p300_long).shape == (len(y),)
    assert not probe.pretrained_


def test_backbone_is_frozen_and_untouched_by_fit(p300_long):
    y = p300_long.metadata["target"].to_numpy()
    probe = LinearProbe("cbramod", weights=None, cache=None).fit(p300_long, y)
    net = probe.embedder_.model_
    before = {k: v.clone() for k, v in net.state_dict().items()}
    probe.fit(p300_long, y)
    assert not net.training
    assert not any(p.requires_grad for p in net.parameters())
    after = probe.embedder_.model_.state_dict()
    assert all(torch.equal(before[k], after[k]) for k in before)
    # dropout off: two passes agree exactly
    np.testing.assert_array_equal(
        probe.decision_function(p300_long), probe.decision_function(p300_long)
    )


def test_module_reproduces_the_decision_function(fitted, p300_long):
    probe, _ = fitted
    backbone = probe.embedder_.backbone_
    x = backbone.prepare((p300_long.get_data() * 1e6).astype(np.float32))
    with torch.no_grad():
        logits = probe.module_(x)
    assert logits.shape == (len(p300_long), 1)
    np.testing.assert_allclose(
        logits[:, 0].numpy(), probe.decision_function(p300_long), rtol=1e-4, atol=1e-4
    )


def test_grid_search_over_C_embeds_once(p300_long):
    EmbeddingCache.clear_memory()
    y = p300_long.metadata["target"].to_numpy()
    grid = GridSearchCV(LinearProbe("cbramod", weights=None), {"C": [0.01, 0.1, 1.0]}, cv=3)
    grid.fit(p300_long, y)
    stats = list(MEMORY_CACHE._stats.values())
    assert len(stats) == 1 and stats[0].misses == len(p300_long)


def test_clone_and_cross_val_score(p300_long):
    y = p300_long.metadata["target"].to_numpy()
    probe = LinearProbe("labram", weights=None, C=0.1)
    assert clone(probe).get_params() == probe.get_params()
    scores = cross_val_score(probe, p300_long, y, cv=StratifiedKFold(3), scoring="roc_auc")
    assert np.isfinite(scores).all()


def test_label_errors(p300_long):
    with pytest.raises(ValueError, match="36 epochs but y has 3 labels"):
        LinearProbe(weights=None).fit(p300_long, [0, 1, 0])
    with pytest.raises(ValueError, match="Unknown label type"):
        LinearProbe(weights=None).fit(p300_long, np.linspace(0, 1, len(p300_long)))


def test_module_around_a_trainable_copy_leaves_the_probe_untouched(fitted, p300_long):
    probe, _ = fitted
    data = (p300_long.get_data() * 1e6).astype(np.float32)

    def uncached():  # through the shared network, bypassing the embedding cache
        return probe.head_.decision_function(probe.scaler_.transform(probe.embedder_._embed(data)))

    before = uncached()
    copy = probe.embedder_.backbone_.new_network()
    module = probe.make_module(copy)
    x = probe.embedder_.backbone_.prepare(data)
    module.train()
    loss = module(x).pow(2).mean()
    loss.backward()  # gradients reach the copy's weights ...
    assert any(p.grad is not None for p in copy.parameters())
    with torch.no_grad():
        for p in copy.parameters():
            p.add_(0.01)
    # ... and the fitted probe's shared network is untouched
    np.testing.assert_array_equal(uncached(), before)
