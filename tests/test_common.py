"""scikit-learn's estimator checks that apply to Epochs estimators, plus our own."""

import pytest
from sklearn.utils.estimator_checks import (
    check_do_not_raise_errors_in_init_or_set_params,
    check_estimator_repr,
    check_get_params_invariance,
    check_mixin_order,
    check_no_attributes_set_in_init,
    check_parameters_default_constructible,
    check_set_params,
)

from sklearn_eegfm import FMClassifier, FMEmbedder, LinearProbe, RidgeProbe
from sklearn_eegfm.baselines import (
    BandPower,
    EpochsToArray,
    ERPFeatures,
    MeanAmplitudeWindows,
    SpecialistClassifier,
)
from sklearn_eegfm.models._registry import CONTRACTS
from sklearn_eegfm.tokenizers import (
    LaBraMTokenizer,
    PatchKMeansTokenizer,
    RVQTokenizer,
    VQTokenizer,
)

# One instance per Epochs estimator (and per model for the embedder).
INSTANCES = [FMEmbedder(name, weights=None) for name in CONTRACTS] + [
    LinearProbe(weights=None),
    FMClassifier(weights=None),
    RidgeProbe(weights=None),
    ERPFeatures(),
    MeanAmplitudeWindows(),
    BandPower(),
    EpochsToArray(),
    PatchKMeansTokenizer(),
    VQTokenizer(),
    RVQTokenizer(),
    LaBraMTokenizer(),
    SpecialistClassifier(),
]
CHECKS = [
    check_no_attributes_set_in_init,
    check_estimator_repr,
    check_mixin_order,
    check_do_not_raise_errors_in_init_or_set_params,
    check_get_params_invariance,
    check_set_params,
    check_parameters_default_constructible,
]


@pytest.mark.parametrize("estimator", INSTANCES, ids=repr)
@pytest.mark.parametrize("check", CHECKS, ids=lambda c: c.__name__)
def test_data_free_sklearn_checks(estimator, check):
    check(type(estimator).__name__, estimator)


@pytest.mark.parametrize("estimator", INSTANCES[:1] + INSTANCES[-1:], ids=repr)
def test_tags_declare_three_d_input(estimator):
    tags = estimator.__sklearn_tags__()
    assert tags.input_tags.three_d_array and not tags.input_tags.two_d_array
    assert not tags.input_tags.allow_nan


def test_every_contract_is_in_the_instance_table():
    assert {e.model for e in INSTANCES if isinstance(e, FMEmbedder)} == set(CONTRACTS)
