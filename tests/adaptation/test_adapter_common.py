"""Behaviour shared by every adapter: domains, safety rails, sklearn plumbing."""

import pickle
import warnings

import joblib
import numpy as np
import pytest
from sklearn.base import TransformerMixin, clone
from sklearn.utils.estimator_checks import (
    check_do_not_raise_errors_in_init_or_set_params,
    check_estimator_repr,
    check_get_params_invariance,
    check_mixin_order,
    check_no_attributes_set_in_init,
    check_parameters_default_constructible,
    check_set_params,
)

from sklearn_eegfm import (
    EpochsData,
    SpecialistClassifier,
    T3AAdapter,
    TENTAdapter,
    adaptation,
    make_riemannian_pipeline,
)
from sklearn_eegfm.adaptation import (
    AdaptationCollapseWarning,
    AdaptationSkippedWarning,
    BaseAdapter,
)

# Every adapter and alignment the package exports: a new one cannot be missed.
_EXPORTED = [getattr(adaptation, name) for name in adaptation.__all__]
ADAPTERS = [c for c in _EXPORTED if isinstance(c, type) and issubclass(c, BaseAdapter)]
ADAPTERS.remove(BaseAdapter)
ALIGNMENTS = [c for c in _EXPORTED if isinstance(c, type) and issubclass(c, TransformerMixin)]
INSTANCES = [cls(SpecialistClassifier()) for cls in ADAPTERS] + [c() for c in ALIGNMENTS]


def test_the_lists_hold_every_exported_method():
    assert len(ADAPTERS) >= 7 and len(ALIGNMENTS) >= 3
    named = {c.__name__ for c in ADAPTERS + ALIGNMENTS}
    classes = {n for n in adaptation.__all__ if isinstance(getattr(adaptation, n), type)}
    # what is left are the base class and the warnings
    assert classes - named == {
        "BaseAdapter",
        "AdaptationCollapseWarning",
        "AdaptationSkippedWarning",
    }


CHECKS = [
    check_no_attributes_set_in_init,
    check_estimator_repr,
    check_mixin_order,
    check_do_not_raise_errors_in_init_or_set_params,
    check_get_params_invariance,
    check_set_params,
    check_parameters_default_constructible,
]


@pytest.mark.parametrize("estimator", INSTANCES, ids=lambda e: type(e).__name__)
@pytest.mark.parametrize("check", CHECKS, ids=lambda c: c.__name__)
def test_data_free_sklearn_checks(estimator, check):
    check(type(estimator).__name__, estimator)


@pytest.mark.parametrize("cls", ADAPTERS)
def test_sklearn_plumbing(cls, eegnet):
    adapter = cls(eegnet, domain="subject", random_state=0)
    check_no_attributes_set_in_init(cls.__name__, adapter)
    check_estimator_repr(cls.__name__, adapter)
    twin = clone(adapter)
    assert twin.get_params()["domain"] == "subject"
    assert twin.get_params()["estimator"] is not eegnet  # cloned deeply
    assert "estimator__max_epochs" in adapter.get_params(deep=True)


# Collapse on an 8-epoch domain is a legitimate outcome here (and rolled back).
@pytest.mark.filterwarnings("ignore::sklearn_eegfm.adaptation.AdaptationCollapseWarning")
@pytest.mark.parametrize("cls", ADAPTERS)
def test_source_untouched_domains_independent_and_joblib(
    cls, eegnet, two_domains, tmp_path, state_of, assert_same_state
):
    epochs, y, subject = two_domains
    X = EpochsData.from_epochs(epochs)
    train = np.flatnonzero(np.arange(len(y)) % 3 != 0)
    test = np.flatnonzero(np.arange(len(y)) % 3 == 0)  # 16 epochs: 8 per subject
    adapter = cls(eegnet, domain="subject", random_state=0).fit(X[train], y[train])
    before = state_of(adapter.estimator_)
    proba = adapter.predict_proba(X[test])
    assert_same_state(before, state_of(adapter.estimator_))  # bit-identical source
    assert proba.shape == (len(test), 2)
    np.testing.assert_allclose(proba.sum(1), 1.0)
    assert set(adapter.adaptation_report_) == {1, 2}
    # One domain predicted alone gives what it gets inside a mixed batch: no leak.
    first = test[subject[test] == 1]
    alone = adapter.predict_proba(X[first])
    np.testing.assert_allclose(alone, proba[subject[test] == 1], rtol=1e-5, atol=1e-6)
    # Reversed domain order: same predictions per epoch.
    rev = test[::-1]
    np.testing.assert_allclose(adapter.predict_proba(X[rev])[::-1], proba, rtol=1e-5, atol=1e-6)
    # Deterministic, and the same after a joblib round trip.
    np.testing.assert_array_equal(adapter.predict_proba(X[test]), proba)
    joblib.dump(adapter, tmp_path / "a.joblib")
    loaded = joblib.load(tmp_path / "a.joblib")
    np.testing.assert_allclose(loaded.predict_proba(X[test]), proba, rtol=1e-5, atol=1e-6)
    assert pickle.loads(pickle.dumps(adapter)).classes_.tolist() == ["a", "b"]


@pytest.mark.filterwarnings("ignore::sklearn_eegfm.adaptation.AdaptationSkippedWarning")
@pytest.mark.parametrize("cls", ALIGNMENTS, ids=lambda c: c.__name__)
def test_alignment_input_untouched_domains_independent_and_joblib(cls, two_domains, tmp_path):
    epochs, y, subject = two_domains
    X = EpochsData.from_epochs(epochs)
    train = np.flatnonzero(np.arange(len(y)) % 3 != 0)
    test = np.flatnonzero(np.arange(len(y)) % 3 == 0)  # 16 epochs: 8 per subject
    given = X[test].data.copy()
    align = cls(domain="subject").fit(X[train], y[train])
    out = np.asarray(align.transform(X[test]))
    np.testing.assert_array_equal(X[test].data, given)  # the input is not modified
    assert out.shape[0] == len(test) and np.isfinite(out).all()
    # One domain aligned alone gives what it gets inside a mixed batch: no leak.
    first = subject[test] == 1
    alone = np.asarray(align.transform(X[test[first]]))
    np.testing.assert_allclose(alone, out[first], rtol=1e-5, atol=1e-6)
    rev = test[::-1]
    np.testing.assert_allclose(
        np.asarray(align.transform(X[rev]))[::-1], out, rtol=1e-5, atol=1e-6
    )
    # the two domains are aligned differently (the shift is per domain)
    assert not np.allclose(out[first].std(), out[~first].std() * 2, rtol=0.05)
    joblib.dump(align, tmp_path / "a.joblib")
    loaded = joblib.load(tmp_path / "a.joblib")
    np.testing.assert_allclose(np.asarray(loaded.transform(X[test])), out, rtol=1e-5, atol=1e-6)


def test_domain_from_groups_metadata_or_whole_batch(eegnet, two_domains):
    epochs, y, subject = two_domains
    adapter = TENTAdapter(eegnet, random_state=0).fit(epochs[:32], y[:32])
    adapter.predict(epochs[32:])
    assert list(adapter.adaptation_report_) == [0]  # one domain: the batch
    adapter.adaptation_report_.clear()
    groups = np.where(np.arange(16) < 8, "s1", "s2")
    adapter.predict(epochs[32:], groups=groups)
    assert list(adapter.adaptation_report_) == ["s1", "s2"]
    # The CV list of single-epoch Epochs keeps the metadata column.
    listed = [epochs[i] for i in range(16, 40)]
    adapter.set_params(domain="subject").fit(epochs[:16], y[:16])
    adapter.adaptation_report_.clear()
    adapter.predict(listed)
    assert set(adapter.adaptation_report_) == {1, 2}


def test_metadata_routing_of_groups(two_domains):
    import sklearn
    from sklearn.pipeline import make_pipeline

    epochs, y, subject = two_domains
    X = EpochsData.from_epochs(epochs)
    groups = np.where(subject == 1, "s1", "s2")
    with sklearn.config_context(enable_metadata_routing=True):
        adapter = T3AAdapter(make_riemannian_pipeline("erp", nfilter=1))
        outer = make_pipeline(adapter).fit(X, y)
        with pytest.raises(Exception, match="groups"):  # not requested: refused
            outer.predict(X, groups=groups)
        adapter.set_predict_request(groups=True)
        outer = make_pipeline(adapter).fit(X, y)
        outer.predict(X, groups=groups)
    assert list(outer[-1].adaptation_report_) == ["s1", "s2"]


def test_bad_input_messages(eegnet, two_domains):
    epochs, y, subject = two_domains
    pipe = make_riemannian_pipeline("erp", nfilter=1)
    with pytest.raises(TypeError, match="exposes none.*T3AAdapter"):
        TENTAdapter(pipe).fit(epochs, y)
    adapter = TENTAdapter(eegnet, domain="subject").fit(epochs[:32], y[:32])
    with pytest.raises(ValueError, match="Labels were passed to predict"):
        adapter.predict(epochs[32:], y=y[32:])
    with pytest.raises(ValueError, match="class labels"):
        adapter.predict(epochs[32:], groups=y[32:])
    with pytest.raises(ValueError, match="Unknown domain column 'subjet'.*'subject'"):
        adapter.set_params(domain="subjet").predict(epochs[32:])
    adapter.set_params(domain="subject")
    data = epochs.get_data()[32:] * 1e6
    with pytest.raises(ValueError, match="carries no metadata"):
        adapter.predict(data)
    nan = EpochsData.from_epochs(epochs[32:])
    nan = EpochsData(
        np.where(np.arange(128) == 3, np.nan, nan.data), nan.sfreq, nan.ch_names, nan.positions
    )
    with pytest.raises(ValueError, match="NaN"):
        adapter.set_params(domain=None).predict(nan)
    with pytest.raises(ValueError, match="min_epochs"):
        TENTAdapter(eegnet, min_epochs=1).fit(epochs, y)


def test_small_domain_is_skipped_with_a_warning(eegnet, two_domains):
    epochs, y, subject = two_domains
    adapter = TENTAdapter(eegnet, domain="subject", random_state=0).fit(epochs[:40], y[:40])
    with pytest.warns(AdaptationSkippedWarning, match="1 epoch"):
        proba = adapter.predict_proba(epochs[47:48])  # a domain of one epoch
    assert adapter.adaptation_report_[2]["skipped"]
    np.testing.assert_allclose(proba, adapter.estimator_.predict_proba(epochs[47:48]), rtol=1e-6)


# On a single-class target the guard may fire: predicting one class is then right.
@pytest.mark.filterwarnings("ignore::sklearn_eegfm.adaptation.AdaptationCollapseWarning")
def test_single_class_target_and_batch_size_one(eegnet, two_domains):
    epochs, y, subject = two_domains
    adapter = TENTAdapter(eegnet, batch_size=1, random_state=0).fit(epochs[:32], y[:32])
    only_b = np.flatnonzero(y[32:] == "b") + 32
    out = adapter.predict(epochs[only_b])
    assert out.shape == (len(only_b),)
    assert adapter.adaptation_report_[0]["steps"] == len(only_b)


class _Collapsing(T3AAdapter):
    """Adapted logits that always favour class 0."""

    def _adapt(self, Xd, rng, state):
        logits, report, state = super()._adapt(Xd, rng, state)
        return np.tile([5.0, 0.0], (len(logits), 1)), report, state


@pytest.mark.parametrize("collapse", ["rollback", "warn"])
def test_collapse_guard(collapse, two_domains):
    epochs, y, subject = two_domains
    X = EpochsData.from_epochs(epochs)
    pipe = make_riemannian_pipeline("erp", nfilter=1)
    adapter = _Collapsing(pipe, collapse=collapse).fit(X[:32], y[:32])
    source = adapter.estimator_.predict(X[32:])
    assert len(set(source)) > 1
    with pytest.warns(AdaptationCollapseWarning, match="single class"):
        pred = adapter.predict(X[32:])
    assert adapter.adaptation_report_[0]["collapsed"]
    if collapse == "rollback":
        np.testing.assert_array_equal(pred, source)
    else:
        assert set(pred) == {"a"}


def test_continual_mode_carries_state(eegnet, two_domains):
    epochs, y, subject = two_domains
    kw = {"domain": "subject", "random_state": 0, "lr": 0.05}
    episodic = TENTAdapter(eegnet, **kw).fit(epochs[:24], y[:24])
    continual = TENTAdapter(eegnet, episodic=False, **kw).fit(epochs[:24], y[:24])
    test = epochs[24:]
    p1 = continual.predict_proba(test)
    assert continual.continual_state_ is not None
    p2 = continual.predict_proba(test)  # continues from the first call
    assert not np.allclose(p1, p2)
    np.testing.assert_array_equal(episodic.predict_proba(test), episodic.predict_proba(test))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        np.testing.assert_allclose(episodic.predict_proba(test), p1, rtol=1e-5, atol=1e-6)


def test_an_unknown_domain_column_is_refused_before_the_source_training(two_domains):
    from sklearn_eegfm import T3AAdapter, make_riemannian_pipeline

    epochs, y, _ = two_domains
    adapter = T3AAdapter(make_riemannian_pipeline("erp"), domain="subjekt")
    with pytest.raises(ValueError, match="Unknown domain column 'subjekt'"):
        adapter.fit(epochs, y)
    assert not hasattr(adapter, "estimator_")
