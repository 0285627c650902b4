"""FMClassifier: every strategy, what trains, persistence, adaptation interface, bad input."""

import sys

import joblib
import numpy as np
import pytest
import torch
from sklearn.base import clone
from sklearn.model_selection import StratifiedKFold, cross_val_score

from sklearn_eegfm import FMClassifier, FMEmbedder
from sklearn_eegfm.models import CONTRACTS
from sklearn_eegfm.models._network_cache import _versions
from sklearn_eegfm.models._peft import STRATEGIES
from sklearn_eegfm.models._training import class_weights, warmup_cosine

pytestmark = pytest.mark.filterwarnings("ignore::sklearn_eegfm.RandomWeightsWarning")

FAST = {"weights": None, "max_epochs": 1, "batch_size": 12}


@pytest.fixture(scope="module")
def data(p300_long):
    """16 real P300 epochs (8 per class, two subjects)."""
    y = p300_long.metadata["label"].to_numpy()
    keep = np.r_[np.flatnonzero(y == "target")[::2][:8], np.flatnonzero(y == "nontarget")[::2][:8]]
    keep = np.sort(keep)
    return p300_long[keep], y[keep]


_FITTED = {}


@pytest.fixture(scope="module")
def fitted(data):
    """One fit per strategy, shared by the tests of this module."""
    X, y = data

    def get(strategy):
        if strategy not in _FITTED:
            clf = FMClassifier("cbramod", finetune=strategy, rank=4, **FAST)
            _FITTED[strategy] = clf.fit(X, y)
        return _FITTED[strategy]

    return get


@pytest.fixture(scope="module")
def lora(fitted):
    return fitted("lora")


@pytest.mark.parametrize("strategy", sorted(STRATEGIES))
def test_every_strategy_trains_and_predicts(strategy, data, fitted, tmp_path):
    X, y = data
    clf = fitted(strategy)
    proba = clf.predict_proba(X)
    assert proba.shape == (len(y), 2) and np.allclose(proba.sum(1), 1)
    assert list(clf.classes_) == ["nontarget", "target"]
    assert set(clf.predict(X)) <= set(clf.classes_)
    assert clf.strategy_ == strategy and clf.contract_report_["finetune"] == strategy
    n_stages = len(STRATEGIES[strategy].stages)
    assert len(clf.history_) == n_stages and np.isfinite(clf.history_[-1]["train_loss"])
    trainable = {n for n, p in clf.module_.named_parameters() if p.requires_grad}
    assert {"classifier.weight", "classifier.bias"} <= trainable
    if strategy in ("full", "two_stage"):
        assert clf.n_trainable_params_ == clf.n_params_
    else:
        assert 0 < clf.n_trainable_params_ < clf.n_params_ / 4
    if STRATEGIES[strategy].peft is None:
        return
    # the PEFT files alone (far smaller than the backbone) give the same predictions
    folder = clf.save_peft(tmp_path / "peft")
    assert sum(f.stat().st_size for f in folder.iterdir()) < clf.n_params_  # bytes < 4 x
    loaded = FMClassifier.load_peft(folder)
    np.testing.assert_allclose(loaded.predict_proba(X), proba, atol=1e-6)
    assert loaded.get_params() == clf.get_params()


def test_trainable_parameters_per_strategy(fitted):
    n = {s: fitted(s).n_trainable_params_ for s in ("head", "lora", "last_k", "full")}
    assert n["head"] == 200 * 2 + 2  # the linear head on CBraMod's 200-d mean token
    assert n["head"] < n["lora"] < n["last_k"] < n["full"]
    assert n["lora"] / n["full"] < 0.05  # LoRA trains far fewer parameters


def test_what_trains_is_what_changes(fitted):
    full = fitted("full")
    fresh = full.backbone_.new_network().state_dict()
    net = full.module_.network.state_dict()
    assert any(not torch.equal(fresh[k], net[k]) for k in fresh if fresh[k].is_floating_point())

    last = fitted("last_k")  # n_last_layers=2
    params = dict(last.module_.network.named_parameters())
    assert all(p.requires_grad for k, p in params.items() if k.startswith("encoder.layers.11."))
    assert not any(p.requires_grad for k, p in params.items() if k.startswith("encoder.layers.9."))
    assert not any(p.requires_grad for k, p in params.items() if k.startswith("patch_embedding"))

    head = fitted("head")
    net = head.module_.network.state_dict()
    assert all(torch.equal(fresh[k], net[k]) for k in fresh)
    head.module_.train()  # a frozen backbone keeps its dropout off
    assert not head.module_.network.training


def test_lora_base_weights_stay_frozen(lora):
    base = lora.backbone_.new_network().state_dict()
    raw = lora.module_.raw_network().state_dict()
    for key, value in base.items():
        # PEFT renames the wrapped layers' weights to <layer>.base_layer.weight
        wrapped = key.replace(".weight", ".base_layer.weight").replace(".bias", ".base_layer.bias")
        assert torch.equal(value, raw.get(key, raw.get(wrapped)))
    trained = [n for n, p in lora.module_.named_parameters() if p.requires_grad]
    assert trained and all("lora_" in n or n.startswith(("head", "classifier")) for n in trained)


def test_shared_frozen_network_is_never_touched(data):
    X, y = data
    embedder = FMEmbedder("cbramod", weights=None, cache=None).fit(X)
    shared = embedder.model_
    before = {k: v.clone() for k, v in shared.state_dict().items()}
    versions = _versions(shared.parameters())
    FMClassifier("cbramod", finetune="full", **FAST).fit(X, y)
    assert _versions(shared.parameters()) == versions
    assert all(torch.equal(before[k], v) for k, v in shared.state_dict().items())
    assert FMEmbedder("cbramod", weights=None, cache=None).fit(X).model_ is shared
    assert not any(p.requires_grad for p in shared.parameters()) and not shared.training


@pytest.mark.slow
def test_seeded_and_deterministic(data, lora):
    X, y = data
    again = FMClassifier("cbramod", finetune="lora", rank=4, **FAST).fit(X, y)
    np.testing.assert_array_equal(again.predict_proba(X), lora.predict_proba(X))
    # refitting starts again from the same (pretrained or seeded) weights
    np.testing.assert_array_equal(again.fit(X, y).predict_proba(X), lora.predict_proba(X))
    other = FMClassifier("cbramod", finetune="lora", rank=4, random_state=1, **FAST).fit(X, y)
    assert not np.array_equal(other.predict_proba(X), lora.predict_proba(X))


def test_joblib_round_trip(tmp_path, data, lora):
    X, _ = data
    path = tmp_path / "clf.joblib"
    joblib.dump(lora, path)
    loaded = joblib.load(path)
    np.testing.assert_array_equal(loaded.predict_proba(X), lora.predict_proba(X))
    assert loaded.history_ == lora.history_


def test_save_peft_needs_a_peft_strategy(tmp_path, fitted):
    clf = fitted("head")
    with pytest.raises(ValueError, match="joblib.dump"):
        clf.save_peft(tmp_path / "x")
    with pytest.raises(FileNotFoundError, match="not a saved PEFT folder"):
        FMClassifier.load_peft(tmp_path)


def test_adaptation_interface(data, lora):
    X, _ = data
    x = lora.adaptation_input(X)
    assert isinstance(x, torch.Tensor) and x.dtype == torch.float32 and x.shape == (len(X), 4, 200)
    module = lora.adaptation_module()
    assert module is not lora.module_ and not module.training
    with torch.no_grad():
        logits = module(x)
        np.testing.assert_allclose(
            module.classifier(module.features(x)).numpy(), logits.numpy(), atol=1e-6
        )
    proba = torch.softmax(logits.double(), 1).numpy()
    np.testing.assert_allclose(proba, lora.predict_proba(X), atol=1e-5)
    np.testing.assert_allclose(
        lora.adaptation_features(X), module.features(x).detach().numpy(), atol=1e-5
    )
    assert isinstance(module.classifier, torch.nn.Linear)
    before = lora.predict_proba(X)
    with torch.no_grad():  # the copy is independent of the fitted estimator
        for p in module.parameters():
            p.add_(0.1)
    np.testing.assert_array_equal(lora.predict_proba(X), before)


def test_layerwise_learning_rates(lora):
    from sklearn_eegfm.models._training import param_groups

    layers = lora._layers
    assert layers["stack"] == "encoder.layers" and layers["n_layers"] == 12
    groups = param_groups(lora.module_, 1e-3, 0.5, layers["ids"], layers["n_layers"])
    lrs = sorted({g["lr"] for g in groups})
    assert max(lrs) == pytest.approx(1e-3)  # the head
    assert min(lrs) == pytest.approx(1e-3 * 0.5**12)  # LoRA of the first block


def test_schedule_and_class_weights():
    f = warmup_cosine(100, 0.1)
    values = [f(s) for s in range(100)]
    assert values[0] < values[9] <= 1 and np.argmax(values) in (9, 10)
    assert values[-1] < 0.01 and all(np.diff(values[10:]) <= 0)
    w = class_weights(np.array([0, 0, 0, 1]), 2, "balanced")
    np.testing.assert_allclose(w, [4 / 6, 2.0])


def test_clone_cross_val_score_and_class_weight(data):
    X, y = data
    clf = FMClassifier("cbramod", finetune="head", class_weight="balanced", **FAST)
    assert clone(clf).get_params() == clf.get_params()
    scores = cross_val_score(clf, X, y, cv=StratifiedKFold(2), scoring="roc_auc")
    assert np.isfinite(scores).all()
    # class_weight reaches the loss: on 2 targets vs 8 non-targets, weighting the rare
    # class raises its predicted probability over the unweighted fit (same seed, data)
    rare = np.r_[np.flatnonzero(y == "target")[:2], np.flatnonzero(y == "nontarget")]
    kw = {"finetune": "head", "random_state": 0, "lr": 1e-2, **FAST, "max_epochs": 3}
    balanced = FMClassifier("cbramod", class_weight="balanced", **kw).fit(X[rare], y[rare])
    plain = FMClassifier("cbramod", **kw).fit(X[rare], y[rare])
    target = list(balanced.classes_).index("target")
    p_balanced = balanced.predict_proba(X[rare])[:, target].mean()
    p_plain = plain.predict_proba(X[rare])[:, target].mean()
    assert p_balanced > p_plain + 0.01


def test_labram_lora_and_mlp_head(data):
    X, y = data
    clf = FMClassifier("labram", finetune="lora", head="mlp", rank=2, valid_size=None, **FAST).fit(
        X, y
    )
    assert clf.predict_proba(X).shape == (len(y), 2)
    names = [n for n, p in clf.module_.named_parameters() if p.requires_grad]
    assert any(".attn.proj.lora_A" in n for n in names) and "head.0.weight" in names
    assert not any(".qkv." in n for n in names)  # LaBraM applies qkv.weight directly
    assert [r["valid_loss"] for r in clf.history_] != [] and np.isnan(
        clf.history_[0]["valid_loss"]
    )


def test_progress_bar_per_epoch(data, capsys):
    X, y = data
    FMClassifier("cbramod", finetune="head", verbose=True, **{**FAST, "max_epochs": 2}).fit(X, y)
    err = capsys.readouterr().err
    assert "cbramod head" in err and "2/2" in err


@pytest.mark.parametrize(
    ("params", "match"),
    [
        ({"finetune": "lorra"}, "Did you mean 'lora'"),
        ({"finetune": "lora", "target_modules": ["nope"]}, "match no linear.*linear1"),
        # nn.MultiheadAttention applies out_proj.weight without calling out_proj
        ({"finetune": "ia3", "target_modules": ["out_proj"]}, "would never train"),
        ({"head": "deep"}, "Invalid head"),
        ({"rank": 0}, "rank must be a positive integer"),
        ({"valid_size": 1.5}, "valid_size must be a fraction"),
        ({"layer_decay": 0}, "layer_decay"),
    ],
)
def test_bad_parameters(params, match, data):
    X, y = data
    with pytest.raises(ValueError, match=match):
        FMClassifier("cbramod", **{**FAST, **params}).fit(X, y)


def test_bad_data(data):
    X, y = data
    clf = FMClassifier("cbramod", **FAST)
    with pytest.raises(ValueError, match="at least two classes"):
        clf.fit(X, np.full(len(y), "target"))
    few = np.r_[np.flatnonzero(y == "target")[:1], np.flatnonzero(y == "nontarget")[:5]]
    with pytest.raises(ValueError, match="valid_size=None"):
        clf.fit(X[few], y[few])
    with pytest.raises(ValueError, match="16 epochs but y has 3"):
        clf.fit(X, y[:3])
    data_nan = X.get_data()
    data_nan[2, 1, 5] = np.nan
    arrays = FMClassifier("cbramod", sfreq=X.info["sfreq"], ch_names=X.ch_names, units="V", **FAST)
    with pytest.raises(ValueError, match="NaN"):
        arrays.fit(data_nan, y)


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(CONTRACTS))
def test_every_contract_default_targets_train(name, data):
    X, y = data
    idx = np.r_[np.flatnonzero(y == "target")[:2], np.flatnonzero(y == "nontarget")[:2]]
    clf = FMClassifier(
        name,
        finetune="lora",
        channel_policy="interpolate",
        length_policy="pad",
        valid_size=None,
        rank=2,
        **FAST,
    )
    clf.fit(X[idx], y[idx])  # raises if a PEFT module is never reached by the forward pass
    assert clf.predict_proba(X[idx]).shape == (4, 2)
    assert 0 < clf.n_trainable_params_ < clf.n_params_ / 4


def test_missing_peft_names_the_extra(data, monkeypatch):
    X, y = data
    monkeypatch.setitem(sys.modules, "peft", None)
    with pytest.raises(ImportError, match=r"sklearn-eegfm\[finetune\]"):
        FMClassifier("cbramod", finetune="lora", **FAST).fit(X, y)
