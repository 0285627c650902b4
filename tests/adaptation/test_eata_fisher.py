"""EATAAdapter's Fisher anti-forgetting regulariser (Niu et al. 2022, Eqs. 8-9)."""

import joblib
import numpy as np
import pytest
from sklearn.base import clone

from sklearn_eegfm import EATAAdapter

# Every test epoch kept (no entropy or redundancy filter) and several steps, so that
# the parameters really move and the regulariser has something to hold back.
EAGER = dict(e_margin=1.0, d_margin=1.0, lr=1e-2, steps=5, random_state=0)


def _adapted_distance(adapter, X):
    """Squared distance of the adapted norm-layer parameters to the source ones."""
    adapter.predict_proba(X)
    source = adapter.estimator_.adaptation_module().state_dict()
    adapted = adapter.continual_state_["module"]
    module = adapter.estimator_.adaptation_module()
    norm = [k for k, _ in module.named_parameters() if "bnorm" in k]  # EEGNet's BatchNorms
    return sum(float(((adapted[k] - source[k]) ** 2).sum()) for k in norm)


def test_fisher_is_computed_on_source_data_only(eegnet, two_domains):
    epochs, y, subject = two_domains
    src, tgt = epochs[:24], epochs[24:]
    eata = EATAAdapter(eegnet, **EAGER).fit(src, y[:24])
    assert eata.n_fisher_epochs_ == 24
    module = eata.estimator_.adaptation_module()
    trainable = {k for k, p in module.named_parameters() if "bnorm" in k}
    assert set(eata.fisher_) == trainable  # the norm layers' affine parameters
    assert all(v.shape == module.get_parameter(k).shape for k, v in eata.fisher_.items())
    assert all((v >= 0).all() for v in eata.fisher_.values())
    assert sum(float(v.sum()) for v in eata.fisher_.values()) > 0
    before = {k: v.copy() for k, v in eata.fisher_.items()}
    eata.predict_proba(tgt)  # test data never enters the Fisher
    for k in before:
        np.testing.assert_array_equal(eata.fisher_[k], before[k])
    # Deterministic for a random_state; another source gives another Fisher.
    again = EATAAdapter(eegnet, **EAGER).fit(src, y[:24])
    for k in before:
        np.testing.assert_array_equal(again.fisher_[k], before[k])
    other = EATAAdapter(eegnet, **EAGER).fit(tgt, y[24:])
    assert any(not np.allclose(other.fisher_[k], before[k]) for k in before)
    # At most fisher_size source epochs.
    assert EATAAdapter(eegnet, fisher_size=10, **EAGER).fit(src, y[:24]).n_fisher_epochs_ == 10


def test_penalty_pulls_parameters_towards_the_source(eegnet, two_domains):
    epochs, y, subject = two_domains
    distances = {}
    for alpha in (0.0, 2000.0, 1e6):
        eata = EATAAdapter(eegnet, fisher_alpha=alpha, episodic=False, **EAGER)
        distances[alpha] = _adapted_distance(eata.fit(epochs[:24], y[:24]), epochs[24:])
        report = eata.adaptation_report_[0]
        assert report["steps"] > 0
        assert (report["fisher_penalty"] > 0) == (alpha > 0)
    assert distances[0.0] > 0
    assert distances[1e6] < distances[2000.0] < distances[0.0]
    assert EATAAdapter(eegnet, fisher_alpha=0.0, **EAGER).fit(epochs[:24], y[:24]).fisher_ == {}


def test_source_model_untouched_and_round_trips(
    eegnet, two_domains, state_of, assert_same_state, tmp_path
):
    epochs, y, subject = two_domains
    plain = EATAAdapter(eegnet, fisher_alpha=0.0, **EAGER).fit(epochs[:24], y[:24])
    eata = EATAAdapter(eegnet, **EAGER).fit(epochs[:24], y[:24])
    # Computing the Fisher and adapting leave the fitted source model bit-identical.
    assert_same_state(state_of(plain.estimator_), state_of(eata.estimator_))
    proba = eata.predict_proba(epochs[24:])
    assert_same_state(state_of(plain.estimator_), state_of(eata.estimator_))
    params = clone(eata).get_params()
    assert params["fisher_alpha"] == 2000.0 and params["fisher_size"] == 2000
    joblib.dump(eata, tmp_path / "eata.joblib")
    loaded = joblib.load(tmp_path / "eata.joblib")
    for k in eata.fisher_:
        np.testing.assert_array_equal(loaded.fisher_[k], eata.fisher_[k])
    np.testing.assert_allclose(loaded.predict_proba(epochs[24:]), proba, atol=1e-6)


@pytest.mark.parametrize(
    ("params", "match"),
    [({"fisher_alpha": -1.0}, "fisher_alpha"), ({"fisher_size": 0}, "fisher_size")],
)
def test_bad_fisher_parameters(eegnet, two_domains, params, match):
    epochs, y, subject = two_domains
    with pytest.raises(ValueError, match=match):
        EATAAdapter(eegnet, **params).fit(epochs[:24], y[:24])
