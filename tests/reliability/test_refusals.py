"""Issue 23: adapters that refuse bad domains, flat epochs, over-padding, late checks."""

import numpy as np
import pytest
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline

from sklearn_eegfm import (
    AmplitudeWarning,
    EuclideanAlignment,
    FMEmbedder,
    LAMEAdapter,
    LinearProbe,
    NormStatsAdapter,
    RidgeProbe,
    RiemannianRecentering,
    SpecialistClassifier,
    T3AAdapter,
    TENTAdapter,
)
from sklearn_eegfm.adaptation import SARAdapter, SHOTAdapter
from sklearn_eegfm.baselines import EpochsToArray

pytestmark = pytest.mark.filterwarnings("ignore::sklearn_eegfm.RandomWeightsWarning")

CH = ["Fz", "Cz", "Pz", "Oz"]
ARRAY = {"sfreq": 128.0, "ch_names": CH, "units": "uV"}


def _data(n=40, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, 4, 128)) * 20
    y = np.tile(["a", "b"], n // 2)
    X[y == "b", 1, 40:80] += 30
    return X, y


def _lr_pipeline():
    return make_pipeline(EpochsToArray(**ARRAY), _Flatten(), LogisticRegression(max_iter=200))


class _Flatten:
    """A stateless step (n_epochs, c, t) -> (n_epochs, c * t)."""

    def fit(self, X, y=None):
        return self

    def transform(self, X):
        return np.asarray(X).reshape(len(X), -1)

    def get_params(self, deep=True):
        return {}

    def __sklearn_is_fitted__(self):
        return True

    def __sklearn_tags__(self):
        from sklearn.base import BaseEstimator

        return BaseEstimator().__sklearn_tags__()


@pytest.fixture(scope="module")
def lame():
    X, y = _data()
    return LAMEAdapter(_lr_pipeline(), min_epochs=2).fit(X, y), X


# item 4
@pytest.mark.parametrize("cls", [EuclideanAlignment, RiemannianRecentering])
def test_alignments_feed_pyriemann_and_sklearn(cls):
    from pyriemann.classification import MDM
    from pyriemann.estimation import Covariances
    from pyriemann.tangentspace import TangentSpace

    from sklearn_eegfm import EpochsNDArray

    X, y = _data()
    for tail in ([TangentSpace(), LogisticRegression()], [MDM()]):
        pipe = make_pipeline(cls(**ARRAY), Covariances("oas"), *tail).fit(X, y)
        assert pipe.score(X, y) > 0.5
    out = cls(**ARRAY).fit_transform(X)
    assert isinstance(out, EpochsNDArray) and np.asarray(out).shape == (40, 4, 128)
    assert out[:5].epochs_data.n_epochs == 5 and out.ch_names == CH  # still described
    assert (out * 2).epochs_data is None  # changed samples are no longer those epochs
    # the package's own estimators read the description (no sfreq/ch_names/units)
    assert FMEmbedder("cbramod", weights=None, cache=None).fit_transform(out).shape[0] == 40


# item 5
@pytest.mark.parametrize(
    ("groups", "match"),
    [
        ([1] * 20 + ["1"] * 20, r"mixes kinds.*1 \(number, epoch 0\), '1' \(text, epoch 20\)"),
        ([None] * 5 + ["s1"] * 35, r"no domain for 5 epoch\(s\).*first \[0, 1, 2, 3, 4\]"),
        ([np.nan] + [1.0] * 39, r"no domain for 1 epoch"),
        (np.array(["s1"] * 39 + [2], dtype=object), "mixes kinds"),
    ],
)
def test_ambiguous_or_missing_domains_are_refused(lame, groups, match):
    adapter, X = lame
    with pytest.raises(ValueError, match=match):
        adapter.predict(X, groups=groups)


def test_object_domains_of_one_kind_work(lame):
    adapter, X = lame
    groups = np.array(["s1"] * 20 + ["s2"] * 20, dtype=object)
    assert adapter.predict(X, groups=groups).shape == (40,)


# item 6
def test_flat_epochs_are_named(lame):
    adapter, X = lame
    X = X.copy()
    X[[3, 7]] = 0.0
    X[9] = 5.0  # constant, not zero
    with pytest.warns(AmplitudeWarning, match=r"3 of 40 epoch\(s\) are flat.*\[3, 7, 9\]"):
        adapter.predict(X)
    with pytest.warns(AmplitudeWarning, match="are flat"):
        with pytest.raises(ValueError, match=r"RiemannianRecentering.*first \[3, 7, 9\]"):
            RiemannianRecentering(**ARRAY).fit(X)


# item 7
def test_auto_padding_refuses_mostly_zero_input():
    rng = np.random.default_rng(0)
    short = rng.standard_normal((4, 4, 7)) * 20  # 0.055 s at 128 Hz; CBraMod needs 1 s
    kw = {"weights": None, "cache": None, "sfreq": 128.0, "ch_names": CH, "units": "uV"}
    with pytest.raises(ValueError, match=r"shorter than half.*at least 0\.500 s.*'pad'"):
        FMEmbedder("cbramod", **kw).fit(short)
    with pytest.warns(UserWarning, match="zero-padded"):  # half is still padded
        FMEmbedder("cbramod", **kw).fit(rng.standard_normal((4, 4, 64)) * 20)
    assert FMEmbedder("cbramod", length_policy="pad", **kw).fit_transform(short).shape[0] == 4


# item 8
@pytest.mark.parametrize(
    "estimator",
    [
        LinearProbe(weights=None),
        RidgeProbe(weights=None),
        SpecialistClassifier(),
        TENTAdapter(LinearProbe(weights=None)),
        LAMEAdapter(LinearProbe(weights=None)),
    ],
    ids=lambda e: type(e).__name__,
)
@pytest.mark.parametrize("method", ["predict", "predict_proba", "decision_function"])
def test_unfitted_estimators_raise_not_fitted(estimator, method):
    X, _ = _data(4)
    if not hasattr(estimator, method):
        pytest.skip(f"{type(estimator).__name__} has no {method}")
    with pytest.raises(NotFittedError):
        getattr(estimator, method)(X)


# item 9
def test_report_describes_the_last_call_only(lame):
    adapter, X = lame
    adapter.predict(X, groups=["s0"] * 20 + ["s1"] * 20)
    assert sorted(adapter.adaptation_report_) == ["s0", "s1"]
    adapter.predict(X[:10], groups=["1"] * 10)
    assert sorted(adapter.adaptation_report_) == ["1"]


# item 10
def test_incompatible_estimators_are_refused_before_fitting():
    X, y = _data()

    class Untouchable(LogisticRegression):
        def fit(self, *args, **kwargs):
            raise AssertionError("fit must not run")

    for adapter in (LAMEAdapter(Untouchable()), T3AAdapter(Untouchable())):
        with pytest.raises(TypeError, match="exposes no embedding"):
            adapter.fit(X.reshape(40, -1), y)

    class Probe(LinearProbe):
        def fit(self, *args, **kwargs):
            raise AssertionError("the source must not be fitted")

    with pytest.raises(TypeError, match="no BatchNorm layer"):
        NormStatsAdapter(Probe(weights=None, **ARRAY)).fit(X, y)


# item 12
@pytest.mark.parametrize("cls", [TENTAdapter, SHOTAdapter, SARAdapter, LAMEAdapter, T3AAdapter])
def test_adapter_tags_follow_the_wrapped_estimator(cls):
    three_d = cls(LinearProbe(weights=None)).__sklearn_tags__().input_tags
    assert three_d.three_d_array and not three_d.two_d_array
    two_d = cls(LogisticRegression()).__sklearn_tags__().input_tags
    assert two_d.two_d_array and not two_d.three_d_array
