"""scikit-learn's estimator checks on every public estimator, plus our own.

How an estimator enters here: the table ``FULL`` maps every public estimator class
(found in the ``__all__`` of the package and its subpackages, so a new one cannot be
missed: ``test_every_public_estimator_is_in_the_table`` fails) to a small instance.
Estimators that take epochs (tag ``three_d_array``) run through :class:`Epochs2D`, a
test-only wrapper that turns scikit-learn's 2-D check data into epochs (feature ``j``
of a row is the amplitude of channel ``j``'s fixed waveform); 2-D estimators run as
they are. Checks that cannot apply are listed in ``EXPECTED_FAILED`` with a reason.
"""

import dataclasses

import numpy as np
import pytest
from sklearn.base import BaseEstimator, MetaEstimatorMixin, clone
from sklearn.utils import get_tags
from sklearn.utils.estimator_checks import (
    check_do_not_raise_errors_in_init_or_set_params,
    check_estimator_repr,
    check_get_params_invariance,
    check_mixin_order,
    check_no_attributes_set_in_init,
    check_parameters_default_constructible,
    check_set_params,
    estimator_checks_generator,
    parametrize_with_checks,
)
from sklearn.utils.metaestimators import available_if

import sklearn_eegfm
from sklearn_eegfm import adaptation, baselines, models, tokenizers
from sklearn_eegfm.models import CONTRACTS, FMContract, get_contract

pytestmark = [
    pytest.mark.filterwarnings("ignore::sklearn_eegfm.RandomWeightsWarning"),
    pytest.mark.filterwarnings("ignore::sklearn_eegfm.AmplitudeWarning"),
    pytest.mark.filterwarnings("ignore::sklearn_eegfm.adaptation.AdaptationSkippedWarning"),
    pytest.mark.filterwarnings("ignore::sklearn_eegfm.adaptation.AdaptationCollapseWarning"),
    pytest.mark.filterwarnings("ignore:Epochs of .* zero-padded:UserWarning"),
    pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning"),
]

CHANNELS = ["Fz", "Cz", "Pz", "Oz", "C3", "C4", "P3", "P4", "F3", "F4", "O1", "O2"]
CHANNELS += ["T7", "T8", "F7", "F8", "P7", "P8", "Fp1", "Fp2", "FC1", "FC2", "CP1", "CP2"]
SFREQ, N_TIMES = 200.0, 200  # one CBraMod patch
WAVE = 10 * np.sin(2 * np.pi * 10 * np.arange(N_TIMES) / SFREQ)  # uV


def _tiny_build(backbone):
    """CBraMod with one small layer: the real architecture at a fraction of the cost."""
    return {
        "n_chans": len(backbone.model_ch_names),
        "n_times": backbone.n_times,
        "n_outputs": 2,
        "n_layer": 1,
        "dim_feedforward": 32,
    }


class _TinyContract(FMContract):
    """The tiny contract, with a short repr for readable test ids."""

    def __repr__(self):
        return "TINY"


_BASE = get_contract("cbramod")
TINY = _TinyContract(
    **{f.name: getattr(_BASE, f.name) for f in dataclasses.fields(_BASE)}
    | {"build_kwargs": _tiny_build}
)


class Epochs2D(MetaEstimatorMixin, BaseEstimator):
    """Test-only: run an epochs estimator on 2-D ``(n_samples, n_features)`` arrays.

    Row ``i`` becomes an epoch of ``n_features`` channels (names from ``CHANNELS``),
    1 s at 200 Hz: channel ``j`` is ``X[i, j]`` times a fixed 10-uV 10-Hz sine. The
    input is passed on unvalidated, so the wrapped estimator's own checks meet every
    bad input of scikit-learn's suite; ``sfreq``, ``ch_names`` and ``units`` are set on
    a clone of it. Its ``n_features_in_`` is the wrapped one's (channels).
    """

    def __init__(self, estimator):
        self.estimator = estimator

    def _epochs(self, X):
        if hasattr(X, "toarray"):
            return X  # sparse: the wrapped estimator refuses it
        X = np.asarray(X)
        if X.ndim != 2:
            return X  # the wrapped estimator says what is wrong with it
        if X.dtype == object:
            try:
                X = X.astype(np.float64)
            except (TypeError, ValueError):  # not numbers: the estimator refuses them
                return np.repeat(X[:, :, None], N_TIMES, axis=2)
        with np.errstate(invalid="ignore", over="ignore"):  # NaN/inf stay NaN/inf
            return X[:, :, None] * WAVE

    def _describe(self, n_features):
        params = self.estimator.get_params(deep=True)
        names = {k: None for k in params if k.split("__")[-1] in ("sfreq", "ch_names", "units")}
        values = {"sfreq": SFREQ, "ch_names": CHANNELS[:n_features], "units": "uV"}
        return {k: values[k.split("__")[-1]] for k in names}

    def fit(self, X, y=None, **fit_params):
        X3 = self._epochs(X)
        n_features = X3.shape[1] if getattr(X3, "ndim", 0) == 3 else 1
        self.estimator_ = clone(self.estimator).set_params(**self._describe(n_features))
        self.estimator_.fit(X3, y, **fit_params)
        self.n_features_in_ = self.estimator_.n_features_in_
        return self

    def _apply(self, method, X, **kw):
        if "estimator_" not in self.__dict__:
            return getattr(clone(self.estimator), method)(self._epochs(X), **kw)
        return getattr(self.estimator_, method)(self._epochs(X), **kw)

    def _has(name):
        return available_if(lambda self: hasattr(self.estimator, name))

    @_has("predict")
    def predict(self, X):
        return self._apply("predict", X)

    @_has("predict_proba")
    def predict_proba(self, X):
        return self._apply("predict_proba", X)

    @_has("decision_function")
    def decision_function(self, X):
        return self._apply("decision_function", X)

    @_has("transform")
    def transform(self, X):
        return self._apply("transform", X)

    @_has("fit_transform")
    def fit_transform(self, X, y=None, **fit_params):
        return self.fit(X, y, **fit_params).transform(X)

    @_has("score")
    def score(self, X, y):
        return self._apply("score", X, y=y)

    @_has("get_feature_names_out")
    def get_feature_names_out(self, input_features=None):
        return self.estimator_.get_feature_names_out()

    @property
    def classes_(self):
        return self.estimator_.classes_

    def __sklearn_is_fitted__(self):
        return "estimator_" in self.__dict__

    def __sklearn_tags__(self):
        tags = get_tags(self.estimator)
        tags.input_tags.two_d_array, tags.input_tags.three_d_array = True, False
        return tags


def _public_estimators():
    found = set()
    for module in (sklearn_eegfm, adaptation, baselines, models, tokenizers):
        for name in module.__all__:
            obj = getattr(module, name)
            # Base* classes are abstract (BaseAdapter): their subclasses are checked
            if isinstance(obj, type) and issubclass(obj, BaseEstimator) and name[0] != "_":
                if name.startswith("Base"):
                    continue
                found.add(obj)
    return found


def _labram_file():
    """A one-block VQ-NSP checkpoint in the authors' layout (tests/tokenizers' recipe)."""
    import importlib.util
    import tempfile
    from pathlib import Path

    import torch

    path = Path(tempfile.gettempdir()) / "sklearn-eegfm-test-common-vqnsp.pth"
    if not path.is_file():
        here = Path(__file__).parent / "tokenizers" / "test_pretrained.py"
        spec = importlib.util.spec_from_file_location("_labram_recipe", here)
        recipe = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(recipe)
        torch.save({"model": recipe._published_state()}, path)
    return path


# adapt on every domain (the checks' batches are small), deterministically
_TTA_SETTINGS = {"min_epochs": 2, "random_state": 0}


CHECK_FREQS = {-1: 6.0, 0: 8.0, 1: 10.0, 2: 12.0, 3: 14.0, "one": 8.0, "two": 10.0, "three": 12.0}


def _probe():
    return sklearn_eegfm.LinearProbe(TINY, weights=None, max_iter=50)


# One small instance per public estimator class. FMEmbedder, the probes and
# FMClassifier run a one-layer CBraMod (TINY); adapters wrap the tiny LinearProbe.
FULL = {
    sklearn_eegfm.FMEmbedder: lambda: sklearn_eegfm.FMEmbedder(
        TINY, weights=None, cache=None, dtype="float64"
    ),
    sklearn_eegfm.LinearProbe: _probe,
    sklearn_eegfm.RidgeProbe: lambda: sklearn_eegfm.RidgeProbe(TINY, weights=None),
    sklearn_eegfm.FMClassifier: lambda: sklearn_eegfm.FMClassifier(
        TINY, finetune="head", weights=None, max_epochs=1, valid_size=None, dtype="float64"
    ),
    sklearn_eegfm.SpecialistClassifier: lambda: sklearn_eegfm.SpecialistClassifier(
        "eegnet", max_epochs=1, valid_size=None
    ),
    sklearn_eegfm.ERPFeatures: lambda: sklearn_eegfm.ERPFeatures(),
    sklearn_eegfm.MeanAmplitudeWindows: lambda: sklearn_eegfm.MeanAmplitudeWindows(),
    sklearn_eegfm.BandPower: lambda: sklearn_eegfm.BandPower(),
    baselines.EpochsToArray: lambda: baselines.EpochsToArray(),
    # Epochs2D's epochs are a 10-Hz sine; the classes get stimulation frequencies from a
    # dict covering the labels scikit-learn's checks use.
    baselines.FilterBank: lambda: baselines.FilterBank([10.0]),
    baselines.SSVEPCCA: lambda: baselines.SSVEPCCA(CHECK_FREQS),
    baselines.SSVEPTRCA: lambda: baselines.SSVEPTRCA(CHECK_FREQS),
    baselines.CheckTrainingData: lambda: baselines.CheckTrainingData(),
    sklearn_eegfm.PatchKMeansTokenizer: lambda: sklearn_eegfm.PatchKMeansTokenizer(
        8, random_state=0
    ),
    sklearn_eegfm.VQTokenizer: lambda: sklearn_eegfm.VQTokenizer(16, max_epochs=1, random_state=0),
    sklearn_eegfm.RVQTokenizer: lambda: sklearn_eegfm.RVQTokenizer(
        8, n_levels=2, max_epochs=1, random_state=0
    ),
    sklearn_eegfm.LaBraMTokenizer: lambda: sklearn_eegfm.LaBraMTokenizer(_labram_file(), depth=1),
    tokenizers.TFMTokenizer: lambda: tokenizers.TFMTokenizer(weights=None),
    tokenizers.BioCodecTokenizer: lambda: tokenizers.BioCodecTokenizer(weights=None),
    sklearn_eegfm.BagOfTokens: lambda: sklearn_eegfm.BagOfTokens(),
    sklearn_eegfm.EuclideanAlignment: lambda: sklearn_eegfm.EuclideanAlignment(),
    sklearn_eegfm.RiemannianRecentering: lambda: sklearn_eegfm.RiemannianRecentering(),
    sklearn_eegfm.LatencyAlignment: lambda: sklearn_eegfm.LatencyAlignment(),
    sklearn_eegfm.TENTAdapter: lambda: sklearn_eegfm.TENTAdapter(_probe(), **_TTA_SETTINGS),
    sklearn_eegfm.EATAAdapter: lambda: sklearn_eegfm.EATAAdapter(
        _probe(), fisher_size=16, min_epochs=2, random_state=0
    ),
    sklearn_eegfm.SARAdapter: lambda: sklearn_eegfm.SARAdapter(_probe(), **_TTA_SETTINGS),
    sklearn_eegfm.SHOTAdapter: lambda: sklearn_eegfm.SHOTAdapter(_probe(), **_TTA_SETTINGS),
    sklearn_eegfm.T3AAdapter: lambda: sklearn_eegfm.T3AAdapter(_probe(), **_TTA_SETTINGS),
    sklearn_eegfm.LAMEAdapter: lambda: sklearn_eegfm.LAMEAdapter(_probe(), **_TTA_SETTINGS),
    sklearn_eegfm.NormStatsAdapter: lambda: sklearn_eegfm.NormStatsAdapter(
        sklearn_eegfm.SpecialistClassifier("eegnet", max_epochs=1, valid_size=None),
        min_epochs=2,
        random_state=0,
    ),
}

# class name -> {check name: reason}. Each entry is a check that cannot apply, never a
# bug left for later; a check named here covers its variants (readonly_memmap, ...).
_TTA = (
    "test-time adaptation adapts on the batch it predicts: an epoch's prediction "
    "depends on the other epochs of the batch by design"
)
_ONE_PASS = (
    "one training pass of a randomly initialised network on blobs-as-epochs does not reach "
    "the 83 % accuracy this check asks for (a test budget, not a defect)"
)
EXPECTED_FAILED = {
    "SSVEPCCA": {
        "check_classifiers_train": (
            "training-free: CCA finds a class by its stimulation frequency, and every "
            "Epochs2D epoch is the same 10-Hz sine whatever its class (blobs differ by "
            "amplitude only)"
        ),
    },
    "FMClassifier": {
        "check_classifiers_train": _ONE_PASS,
        "check_methods_subset_invariance": (
            "float32 network: a batch and one-by-one forward passes differ by ~2e-7 "
            "(BLAS kernels depend on the batch size), above the check's 1e-7"
        ),
    },
    "EATAAdapter": {"check_methods_subset_invariance": _TTA},
    "SARAdapter": {"check_methods_subset_invariance": _TTA},
    "TENTAdapter": {"check_methods_subset_invariance": _TTA},
    "LAMEAdapter": {"check_methods_subset_invariance": _TTA},
    "SHOTAdapter": {
        "check_methods_subset_invariance": _TTA,
        "check_methods_sample_order_invariance": (
            "SHOT trains on mini-batches of the target in their order: reordering the "
            "epochs changes the adapted network"
        ),
    },
    "T3AAdapter": {
        "check_methods_subset_invariance": _TTA,
        "check_classifiers_train": (
            "T3A replaces the head by prototypes of the test batch's confident embeddings "
            "of a random tiny network; on blobs it stays under the check's 83 %"
        ),
    },
    "NormStatsAdapter": {
        "check_methods_subset_invariance": _TTA + " (BatchNorm statistics of the batch)",
        "check_classifiers_train": _ONE_PASS,
    },
    "RiemannianRecentering": {
        "check_estimators_dtypes": (
            "integer-cast uniform data hold all-zero rows, i.e. flat epochs, which have no "
            "positive definite covariance: refused by design (issue 23, item 6)"
        ),
    },
}


def _checked(cls):
    est = FULL[cls]()
    tags = get_tags(est).input_tags
    return Epochs2D(est) if tags.three_d_array and not tags.two_d_array else est


def _expected(estimator):
    inner = estimator.estimator if isinstance(estimator, Epochs2D) else estimator
    return EXPECTED_FAILED.get(type(inner).__name__, {})


# ~1,800 checks, about a minute: out of the quick subset (-m "not slow"), run in CI.
@pytest.mark.slow
@parametrize_with_checks(
    [_checked(cls) for cls in sorted(FULL, key=lambda c: c.__name__)],
    expected_failed_checks=_expected,
)
def test_sklearn_check_estimator(estimator, check):
    check(estimator)


def test_every_public_estimator_is_in_the_table():
    assert _public_estimators() == set(FULL)


def test_expected_failures_stay_under_ten_percent():
    n_checks = sum(len(list(estimator_checks_generator(_checked(c)))) for c in FULL)
    n_failed = sum(len(v) for v in EXPECTED_FAILED.values())
    assert n_failed < 0.1 * n_checks, (n_failed, n_checks)


# Checks that need no data, on every foundation model as well.
DATA_FREE_INSTANCES = [sklearn_eegfm.FMEmbedder(name, weights=None) for name in CONTRACTS]
DATA_FREE_INSTANCES += [FULL[cls]() for cls in sorted(FULL, key=lambda c: c.__name__)]
CHECKS = [
    check_no_attributes_set_in_init,
    check_estimator_repr,
    check_mixin_order,
    check_do_not_raise_errors_in_init_or_set_params,
    check_get_params_invariance,
    check_set_params,
    check_parameters_default_constructible,
]


@pytest.mark.parametrize("estimator", DATA_FREE_INSTANCES, ids=repr)
@pytest.mark.parametrize("check", CHECKS, ids=lambda c: c.__name__)
def test_data_free_sklearn_checks(estimator, check):
    check(type(estimator).__name__, estimator)


@pytest.mark.parametrize(
    "estimator",
    [sklearn_eegfm.FMEmbedder(weights=None), sklearn_eegfm.SpecialistClassifier()],
    ids=repr,
)
def test_tags_declare_three_d_input(estimator):
    tags = estimator.__sklearn_tags__()
    assert tags.input_tags.three_d_array and not tags.input_tags.two_d_array
    assert not tags.input_tags.allow_nan


def test_every_contract_is_in_the_instance_table():
    embedders = [e for e in DATA_FREE_INSTANCES if isinstance(e, sklearn_eegfm.FMEmbedder)]
    assert {e.model for e in embedders if isinstance(e.model, str)} == set(CONTRACTS)


def test_wrapper_keeps_the_estimator_s_own_refusals():
    wrapped = Epochs2D(FULL[sklearn_eegfm.FMEmbedder]())
    with pytest.raises(ValueError, match="3-D"):
        wrapped.fit(np.ones(5))
    X = np.random.default_rng(0).standard_normal((6, 3))
    assert wrapped.fit(X).transform(X).shape[0] == 6 and wrapped.n_features_in_ == 3
    # feature j is channel j's amplitude: scaling one feature scales that channel only
    X3 = wrapped._epochs(X * [1, 2, 1])
    np.testing.assert_allclose(X3[:, 1], 2 * wrapped._epochs(X)[:, 1])
    with pytest.raises(ValueError, match="X has 2 features, but ch_names is expecting 3"):
        wrapped.transform(X[:, :2])
