"""Gradient-based adapters: TENT, EATA, SAR, SHOT on LinearProbe and EEGNet."""

import numpy as np
import pytest

from sklearn_eegfm import (
    EATAAdapter,
    EpochsData,
    LinearProbe,
    SARAdapter,
    SHOTAdapter,
    TENTAdapter,
)

GRADIENT = [TENTAdapter, EATAAdapter, SARAdapter, SHOTAdapter]


@pytest.fixture(scope="module")
def p300_split(p300_long):
    X = EpochsData.from_epochs(p300_long)
    y = p300_long.metadata["label"].to_numpy()
    subject = p300_long.metadata["subject"].to_numpy()
    return X, y, subject


@pytest.mark.real_data
@pytest.mark.filterwarnings("ignore::sklearn_eegfm.RandomWeightsWarning")
@pytest.mark.filterwarnings("ignore::sklearn_eegfm.adaptation.AdaptationCollapseWarning")
@pytest.mark.parametrize("cls", [TENTAdapter, SHOTAdapter])
def test_linear_probe_on_a_foundation_model(cls, p300_split, state_of, assert_same_state):
    X, y, subject = p300_split
    src, tgt = np.flatnonzero(subject == 1), np.flatnonzero(subject == 4)
    probe = LinearProbe("cbramod", weights=None, random_state=0, class_weight="balanced")
    adapter = cls(probe, domain="subject", lr=1e-2, steps=2, random_state=0).fit(X[src], y[src])
    before = state_of(adapter.estimator_)
    proba = adapter.predict_proba(X[tgt])
    assert_same_state(before, state_of(adapter.estimator_))
    report = adapter.adaptation_report_[4]
    assert report["steps"] > 0 and not report["skipped"]
    # (SHOT adapts on the whole domain before it predicts; TENT predicts online)
    assert report.get("n_predicted_after_update", report["n_epochs"]) == report["n_epochs"]
    # The same path without an update (lr ~ 0): what differs is the update's doing.
    still = adapter.set_params(lr=1e-12).predict_proba(X[tgt])
    assert np.abs(proba - still).max() > 1e-4


# EATA and SAR only step on epochs whose entropy is under e_margin x ln(n_classes), and
# EATA only on epochs unlike the running mean (d_margin); a barely trained two-class
# EEGNet is unsure of every epoch alike, so these margins admit all. SAR's default SGD
# at 1e-2 moves such a network by 3e-6 only: Adam, as TENT and EATA use.
ADMIT_ALL = {
    EATAAdapter: {"e_margin": 1.0, "d_margin": 1.0},
    SARAdapter: {"e_margin": 1.0, "optimizer": "adam"},
}


@pytest.mark.filterwarnings("ignore::sklearn_eegfm.adaptation.AdaptationCollapseWarning")
@pytest.mark.parametrize("cls", GRADIENT)
def test_each_update_changes_predictions_on_the_shifted_domain(cls, eegnet, two_domains):
    """The update itself, not BatchNorm's test statistics, moves the predictions."""
    epochs, y, subject = two_domains
    kwargs = {"domain": "subject", "steps": 3, "random_state": 0, **ADMIT_ALL.get(cls, {})}
    adapter = cls(eegnet, lr=1e-2, **kwargs).fit(epochs[:24], y[:24])
    proba = adapter.predict_proba(epochs[24:])  # subject 2: twice the amplitude
    report = adapter.adaptation_report_[2]
    assert report["steps"] == 3 and report["n_kept"] > 0
    # every prediction after an update (SHOT adapts offline, before predicting)
    assert report.get("n_predicted_after_update", 24) == 24
    # Same seed, same result; the module is rebuilt for every domain (episodic).
    np.testing.assert_array_equal(adapter.predict_proba(epochs[24:]), proba)
    # The same adapter with a vanishing step: test-batch statistics, no update.
    still = adapter.set_params(lr=1e-12).predict_proba(epochs[24:])
    assert np.abs(proba - still).max() > 1e-3
    if cls is not SHOTAdapter:  # entropy minimisers lower the entropy they minimise
        assert adapter.adaptation_report_[2]["entropy_after"] < report["entropy_before"]


def test_eata_filters_unreliable_epochs(eegnet, two_domains):
    epochs, y, subject = two_domains
    # A margin of 1e-6 x ln(2) admits no epoch: no step is taken, nothing changes.
    strict = EATAAdapter(eegnet, e_margin=1e-6, random_state=0).fit(epochs[:24], y[:24])
    proba = strict.predict_proba(epochs[24:])
    assert strict.adaptation_report_[0]["n_kept"] == 0
    assert strict.adaptation_report_[0]["steps"] == 0
    # BatchNorm uses the test batch statistics (TENT-style), not the source ones:
    tent_like = TENTAdapter(eegnet, lr=1e-12, random_state=0).fit(epochs[:24], y[:24])
    np.testing.assert_allclose(proba, tent_like.predict_proba(epochs[24:]), atol=1e-5)


def test_sar_resets_when_the_loss_collapses(eegnet, two_domains):
    epochs, y, subject = two_domains
    sar = SARAdapter(eegnet, reset_constant=10.0, e_margin=1.0, random_state=0)
    sar.fit(epochs[:24], y[:24]).predict(epochs[24:])
    assert sar.adaptation_report_[0]["resets"] >= 1


def test_no_normalisation_layer_is_a_clear_error(two_domains, monkeypatch):
    import sklearn_eegfm.baselines.scratch as scratch

    epochs, y, subject = two_domains
    # ShallowFBCSPNet without batch norm has no normalisation layer at all.
    spec = scratch.SPECIALISTS["shallow"]
    monkeypatch.setitem(
        scratch.SPECIALISTS,
        "shallow",
        scratch.SpecialistSpec(spec.model_cls, spec.sfreq, {"batch_norm": False}),
    )
    shallow = scratch.SpecialistClassifier("shallow", max_epochs=1, valid_size=None)
    with pytest.raises(TypeError, match="no normalisation layer"):
        TENTAdapter(shallow).fit(epochs, y)


@pytest.mark.filterwarnings("ignore::sklearn_eegfm.adaptation.AdaptationCollapseWarning")
def test_network_behind_an_alignment_is_adapted_on_aligned_input(two_domains):
    from sklearn_eegfm.evaluation.pipelines import make_named_pipeline

    epochs, y, subject = two_domains
    tta = make_named_pipeline("eegnet+ea+tent", fast=True)
    tta.set_params(domain="subject", estimator__euclideanalignment__domain="subject")
    tta.set_params(estimator__specialistclassifier__max_epochs=1)
    tta.fit(epochs[:24], y[:24])
    proba = tta.predict_proba(epochs[24:])
    assert proba.shape == (24, 2)
    assert tta.adaptation_report_[2]["steps"] > 0
    assert tta.estimator_[0].alignment_report_[2]["n_epochs"] == 24


def test_report_says_how_many_predictions_came_after_an_update(eegnet, two_domains):
    """Online TTA predicts each batch before its own update: one batch = no adaptation."""
    epochs, y, subject = two_domains
    one_batch = TENTAdapter(eegnet, lr=1e-2, random_state=0).fit(epochs[:24], y[:24])
    one_batch.predict(epochs[24:])
    assert one_batch.adaptation_report_[0]["n_predicted_after_update"] == 0
    small = TENTAdapter(eegnet, lr=1e-2, batch_size=8, random_state=0).fit(epochs[:24], y[:24])
    small.predict(epochs[24:])
    assert small.adaptation_report_[0]["n_predicted_after_update"] == 16  # batches 2 and 3
    twice = TENTAdapter(eegnet, lr=1e-2, steps=2, random_state=0).fit(epochs[:24], y[:24])
    twice.predict(epochs[24:])
    assert twice.adaptation_report_[0]["n_predicted_after_update"] == 24
