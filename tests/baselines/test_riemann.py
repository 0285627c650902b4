"""Riemannian/CSP reference pipelines: parity with hand-built pipelines, errors, adapter."""

import numpy as np
import pytest
from mne.decoding import CSP
from pyriemann.classification import MDM
from pyriemann.estimation import Covariances, ERPCovariances, XdawnCovariances
from pyriemann.tangentspace import TangentSpace
from sklearn.base import clone
from sklearn.discriminant_analysis import LinearDiscriminantAnalysis
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.utils.estimator_checks import (
    check_do_not_raise_errors_in_init_or_set_params,
    check_estimator_repr,
    check_get_params_invariance,
    check_mixin_order,
    check_no_attributes_set_in_init,
    check_parameters_default_constructible,
    check_set_params,
)

from sklearn_eegfm.baselines import (
    PIPELINES,
    CheckTrainingData,
    EpochsToArray,
    make_riemannian_pipeline,
)

# 16 sensorimotor channels keep the 64-channel MI parity tests light on 2 CPU cores.
MOTOR = [
    "FC3",
    "FC1",
    "FCz",
    "FC2",
    "FC4",
    "C5",
    "C3",
    "C1",
    "Cz",
    "C2",
    "C4",
    "C6",
    "CP3",
    "CP1",
    "CP2",
    "CP4",
]


@pytest.fixture(scope="module")
def mi_epochs(eegmmidb_epochs):
    return eegmmidb_epochs.copy().pick(MOTOR).crop(1.0, 4.0)


@pytest.mark.parametrize(
    "estimator", [EpochsToArray(), CheckTrainingData()], ids=lambda e: type(e).__name__
)
@pytest.mark.parametrize(
    "check",
    [
        check_no_attributes_set_in_init,
        check_get_params_invariance,
        check_set_params,
        check_parameters_default_constructible,
        check_estimator_repr,
        check_mixin_order,
        check_do_not_raise_errors_in_init_or_set_params,
    ],
    ids=lambda c: c.__name__,
)
def test_data_free_sklearn_checks(estimator, check):
    check(type(estimator).__name__, estimator)


@pytest.mark.parametrize("kind", sorted(PIPELINES))
def test_every_kind_builds_and_clones(kind):
    pipe = make_riemannian_pipeline(kind)
    assert isinstance(pipe.steps[0][1], EpochsToArray)
    assert isinstance(pipe.steps[1][1], CheckTrainingData)
    assert clone(pipe).get_params(deep=True).keys() == pipe.get_params(deep=True).keys()


def test_unknown_kind_lists_the_kinds():
    kinds = r"\['csp', 'erp', 'erp-mdm', 'mi'\]"
    with pytest.raises(ValueError, match=r"Invalid kind='xdawn'.*" + kinds):
        make_riemannian_pipeline("xdawn")


def test_unknown_keyword_names_the_accepted_ones():
    with pytest.raises(TypeError, match="n_filters.*xdawn_tangent_space accepts.*nfilter"):
        make_riemannian_pipeline("erp", n_filters=2)


def _cv_scores(pipe, X, y, scoring):
    cv = StratifiedKFold(3, shuffle=True, random_state=0)
    return cross_val_score(pipe, X, y, cv=cv, scoring=scoring)


@pytest.mark.real_data
@pytest.mark.parametrize(
    ("kind", "hand_built"),
    [
        (
            "erp",
            lambda: make_pipeline(
                XdawnCovariances(nfilter=2, estimator="oas", xdawn_estimator="oas"),
                TangentSpace(),
                LogisticRegression(max_iter=1000),
            ),
        ),
        ("erp-mdm", lambda: make_pipeline(ERPCovariances(estimator="oas"), MDM())),
    ],
)
@pytest.mark.slow
def test_erp_pipelines_score_like_hand_built_ones(kind, hand_built, p300_epochs):
    y = p300_epochs.metadata["target"].to_numpy()
    ours = _cv_scores(make_riemannian_pipeline(kind), p300_epochs, y, "roc_auc")
    theirs = _cv_scores(hand_built(), p300_epochs.get_data() * 1e6, y, "roc_auc")
    np.testing.assert_allclose(ours, theirs, rtol=1e-10)
    assert ours.mean() > 0.5  # and they learn something on these two real runs


@pytest.mark.real_data
@pytest.mark.parametrize(
    ("kind", "hand_built"),
    [
        (
            "mi",
            lambda: make_pipeline(
                Covariances("oas"), TangentSpace(), LogisticRegression(max_iter=1000)
            ),
        ),
        (
            "csp",
            lambda: make_pipeline(
                CSP(n_components=4, reg="oas", log=True), LinearDiscriminantAnalysis()
            ),
        ),
    ],
)
def test_mi_pipelines_score_like_hand_built_ones(kind, hand_built, mi_epochs):
    y = mi_epochs.metadata["label"].to_numpy()
    ours = _cv_scores(make_riemannian_pipeline(kind), mi_epochs, y, "accuracy")
    theirs = _cv_scores(hand_built(), mi_epochs.get_data() * 1e6, y, "accuracy")
    np.testing.assert_allclose(ours, theirs, rtol=1e-10)


def test_array_input_needs_and_uses_its_description(p300_epochs):
    epochs = p300_epochs[:60]
    y = epochs.metadata["target"].to_numpy()
    data = epochs.get_data() * 1e6
    kwargs = dict(sfreq=256.0, ch_names=epochs.ch_names, units="uV")
    from_array = make_riemannian_pipeline("erp", **kwargs).fit(data, y)
    from_epochs = make_riemannian_pipeline("erp").fit(epochs, y)
    np.testing.assert_allclose(from_array.predict_proba(data), from_epochs.predict_proba(epochs))
    with pytest.raises(ValueError, match="units="):
        make_riemannian_pipeline("erp").fit(data, y)


def test_too_few_channels_for_xdawn(make_epochs):
    epochs = make_epochs(n_epochs=12, ch_names=("Cz",))
    y = np.arange(12) % 2
    with pytest.raises(
        ValueError,
        match=r"XdawnCovariances\(nfilter=2\) needs at least 2 "
        r"channels; the data have 1",
    ):
        make_riemannian_pipeline("erp").fit(epochs, y)
    three = make_epochs(n_epochs=12, ch_names=("C3", "Cz", "C4"))
    with pytest.raises(ValueError, match=r"CSP\(n_components=4\) needs at least 4 channels"):
        make_riemannian_pipeline("csp").fit(three, y)


@pytest.mark.parametrize("kind", sorted(PIPELINES))
def test_one_example_class_is_refused(kind, make_epochs):
    epochs = make_epochs(n_epochs=10)
    y = np.array(["a"] * 9 + ["b"])
    with pytest.raises(ValueError, match=r"at least 2 training examples per class.*'b': 1"):
        make_riemannian_pipeline(kind).fit(epochs, y)
    with pytest.raises(ValueError, match="at least two classes"):
        make_riemannian_pipeline(kind).fit(epochs, np.zeros(10))


def test_rank_deficient_data_fit_with_the_shrinkage_defaults(make_epochs):
    # An average reference removes one dimension: plain sample covariances are singular.
    epochs = make_epochs(n_epochs=24, ch_names=("Fz", "Cz", "Pz", "Oz", "C3", "C4"))
    epochs.set_eeg_reference("average", projection=False, verbose=False)
    y = np.arange(24) % 2
    for kind in sorted(PIPELINES):
        proba_or_pred = make_riemannian_pipeline(kind).fit(epochs, y).predict(epochs)
        assert proba_or_pred.shape == (24,)


def test_epochs_to_array_enforces_fit_layout(p300_epochs):
    step = EpochsToArray().fit(p300_epochs[:4])
    out = step.transform(p300_epochs[4:8])
    assert out.dtype == np.float64 and out.shape == (4, 4, p300_epochs.times.size)
    np.testing.assert_allclose(out, p300_epochs[4:8].get_data() * 1e6)
    with pytest.raises(ValueError, match="samples but"):
        step.transform(p300_epochs[:4].copy().crop(0.0, None))
    with pytest.raises(ValueError, match="channels differ"):
        step.transform(p300_epochs[:4].copy().reorder_channels(["AF7", "TP9", "AF8", "TP10"]))
