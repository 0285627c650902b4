"""NormStatsAdapter (AdaBN): BatchNorm statistics re-estimated per target domain."""

import warnings

import numpy as np
import pytest

from sklearn_eegfm import LinearProbe, NormStatsAdapter, RandomWeightsWarning


def test_adabn_removes_a_per_domain_gain(eegnet, two_domains):
    epochs, y, subject = two_domains
    adabn = NormStatsAdapter(eegnet, domain="subject").fit(epochs[:24], y[:24])
    target = epochs[24:]
    louder = target.copy()
    louder._data = louder.get_data() * 3.0
    # EEGNet's first convolution has no bias and is followed by BatchNorm: with the
    # target's own statistics, a gain on the whole domain cancels out.
    np.testing.assert_allclose(
        adabn.predict_proba(target), adabn.predict_proba(louder), rtol=1e-3, atol=1e-4
    )
    source = adabn.estimator_
    assert not np.allclose(source.predict_proba(target), source.predict_proba(louder), atol=1e-3)
    assert adabn.adaptation_report_[2]["n_layers"] == 3


def test_prior_mixes_in_the_source_statistics(eegnet, two_domains):
    epochs, y, subject = two_domains
    target = epochs[24:]
    full = NormStatsAdapter(eegnet, prior=0.0).fit(epochs[:24], y[:24])
    half = NormStatsAdapter(eegnet, prior=0.5).fit(epochs[:24], y[:24])
    p0, p5, src = (
        full.predict_proba(target),
        half.predict_proba(target),
        full.estimator_.predict_proba(target),
    )
    assert not np.allclose(p0, p5) and not np.allclose(p5, src)
    with pytest.raises(ValueError, match="prior"):
        NormStatsAdapter(eegnet, prior=1.0).fit(epochs[:24], y[:24])


@pytest.mark.real_data
def test_layernorm_only_network_is_refused(p300_long):
    y = p300_long.metadata["label"].to_numpy()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RandomWeightsWarning)
        with pytest.raises(TypeError, match="no BatchNorm layer.*TENTAdapter"):
            NormStatsAdapter(LinearProbe("cbramod", weights=None)).fit(p300_long, y)
