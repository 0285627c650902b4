"""SpecialistClassifier: seeded training, labels, CV on Epochs, array input, persistence."""

import io

import joblib
import numpy as np
import pytest
import torch
from sklearn.base import clone
from sklearn.model_selection import StratifiedKFold, cross_val_score
from sklearn.utils.estimator_checks import (
    check_do_not_raise_errors_in_init_or_set_params,
    check_estimator_repr,
    check_get_params_invariance,
    check_mixin_order,
    check_no_attributes_set_in_init,
    check_parameters_default_constructible,
    check_set_params,
)

from sklearn_eegfm.baselines import SPECIALISTS, SpecialistClassifier

FAST = dict(max_epochs=2, batch_size=8)


@pytest.fixture(scope="module")
def small(p300_epochs):
    """12 targets and 12 non-targets of real P300 epochs, with string labels."""
    labels = p300_epochs.metadata["label"].to_numpy()
    keep = np.sort(
        np.r_[np.flatnonzero(labels == "target")[:12], np.flatnonzero(labels == "nontarget")[:12]]
    )
    return p300_epochs[keep], labels[keep]


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
def test_data_free_sklearn_checks(check):
    check("SpecialistClassifier", SpecialistClassifier())


def test_same_seed_same_network_and_string_labels(small):
    epochs, y = small
    rng_state = torch.get_rng_state()
    a = SpecialistClassifier(random_state=3, **FAST).fit(epochs, y)
    # training draws from a private stream: the caller's torch RNG is left as it was
    assert torch.equal(torch.get_rng_state(), rng_state)
    b = SpecialistClassifier(random_state=3, **FAST).fit(epochs, y)
    c = SpecialistClassifier(random_state=4, **FAST).fit(epochs, y)
    proba = a.predict_proba(epochs)
    np.testing.assert_array_equal(proba, b.predict_proba(epochs))
    assert not np.array_equal(proba, c.predict_proba(epochs))
    assert proba.shape == (24, 2)
    np.testing.assert_allclose(proba.sum(1), 1.0, rtol=1e-5)
    assert a.classes_.tolist() == ["nontarget", "target"]
    assert set(a.predict(epochs)) <= {"nontarget", "target"}
    assert a.n_passes_ == 2 and len(a.net_.history) == 2
    assert isinstance(a.module_, torch.nn.Module)


def test_cross_val_score_on_epochs(small):
    epochs, y = small
    cv = StratifiedKFold(2, shuffle=True, random_state=0)
    scores = cross_val_score(SpecialistClassifier(**FAST), epochs, y, cv=cv, scoring="roc_auc")
    assert scores.shape == (2,) and np.isfinite(scores).all()


def test_array_input_trains_the_same_network(small):
    epochs, y = small
    data = epochs.get_data() * 1e6
    from_array = SpecialistClassifier(
        sfreq=256.0, ch_names=epochs.ch_names, units="uV", **FAST
    ).fit(data, y)
    from_epochs = SpecialistClassifier(**FAST).fit(epochs, y)
    np.testing.assert_allclose(
        from_array.predict_proba(data), from_epochs.predict_proba(epochs), rtol=1e-5, atol=1e-6
    )
    with pytest.raises(ValueError, match="An array X needs sfreq and ch_names"):
        SpecialistClassifier(**FAST).fit(data, y)


def test_clone_and_get_params(small):
    epochs, y = small
    clf = SpecialistClassifier("shallow", lr=5e-4, valid_size=None, **FAST)
    assert clone(clf).get_params() == clf.get_params()
    fitted = clf.fit(epochs, y)
    fresh = clone(fitted)
    assert "net_" not in fresh.__dict__ and fresh.get_params()["model"] == "shallow"
    fresh.set_params(model="eegnet", max_epochs=1)
    assert fresh.fit(epochs, y).n_passes_ == 1


def test_joblib_round_trip_predicts_identically(small):
    # EEGNet holds torch parametrizations (max-norm), which torch cannot pickle as is.
    epochs, y = small
    clf = SpecialistClassifier(class_weight="balanced", **FAST).fit(epochs, y)
    buffer = io.BytesIO()
    joblib.dump(clf, buffer)
    buffer.seek(0)
    loaded = joblib.load(buffer)
    np.testing.assert_array_equal(loaded.predict_proba(epochs), clf.predict_proba(epochs))
    assert len(loaded.net_.history) == 2


def test_verbose_prints_progress_only_when_asked(small, capsys):
    epochs, y = small
    SpecialistClassifier(max_epochs=1).fit(epochs, y)
    assert capsys.readouterr().out == ""
    SpecialistClassifier(max_epochs=1, verbose=1).fit(epochs, y)
    assert "valid_loss" in capsys.readouterr().out


# EEGInceptionERP's even kernels trigger a torch notice on padding="same" convolutions.
@pytest.mark.filterwarnings("ignore:Using padding='same' with even kernel:UserWarning")
def test_model_with_a_fixed_rate_gets_resampled_input(small):
    epochs, y = small
    clf = SpecialistClassifier("eeginception-erp", max_epochs=1).fit(epochs, y)
    assert clf.sfreq_model_ == 128.0
    assert clf.n_times_model_ == round(epochs.times.size / 2)
    assert any("resampled 256 Hz -> 128 Hz" in s for s in clf.preprocessing_)
    assert clf.predict_proba(epochs[:3]).shape == (3, 2)


def test_errors(small):
    epochs, y = small
    with pytest.raises(ValueError, match="Invalid model='eegnet4'.*Did you mean 'eegnet'"):
        SpecialistClassifier("eegnet4").fit(epochs, y)
    y_one = np.array(["nontarget"] * 23 + ["target"])
    with pytest.raises(ValueError, match=r"at least 2 training examples per class.*'target': 1"):
        SpecialistClassifier(**FAST).fit(epochs, y_one)
    with pytest.raises(ValueError, match="valid_size"):
        SpecialistClassifier(valid_size=1.5).fit(epochs, y)
    with pytest.raises(ValueError, match="max_epochs must be a positive integer"):
        SpecialistClassifier(max_epochs=0).fit(epochs, y)
    fitted = SpecialistClassifier(max_epochs=1).fit(epochs, y)
    with pytest.raises(ValueError, match="samples but"):
        fitted.predict(epochs.copy().crop(0.0, None))


def test_every_specialist_names_a_braindecode_class():
    from sklearn_eegfm.utils._imports import import_braindecode

    models = import_braindecode("models")
    assert all(hasattr(models, spec.model_cls) for spec in SPECIALISTS.values())
