"""RiemannianRecentering(stretch=True): per-domain dispersion equalisation (TLScale)."""

import numpy as np
import pytest
from sklearn.base import clone

from sklearn_eegfm import EpochsData, RiemannianRecentering, make_riemannian_pipeline
from sklearn_eegfm.evaluation.pipelines import SUFFIXES, make_named_pipeline


@pytest.fixture(scope="module")
def spread_domains():
    """Three subjects of 30 epochs, 4 channels: mixed differently, scattered differently.

    Subject 1 is plain white noise (tight), subject 2 is spatially mixed with per-epoch
    gains spread over a factor of ~4 (wide), subject 3 in between: their dispersions
    around their own means differ by an order of magnitude.
    """
    import mne
    import pandas as pd

    rng = np.random.default_rng(1)
    n_per, ch, sfreq = 30, ["Fz", "Cz", "Pz", "Oz"], 128.0
    subject = np.repeat([1, 2, 3], n_per)
    data = rng.standard_normal((len(subject), 4, 128)) * 10e-6
    for s, spread in ((2, 0.7), (3, 0.3)):
        mix = rng.standard_normal((4, 4)) + 2 * np.eye(4)
        gains = np.exp(rng.normal(0, spread, n_per))[:, None, None]
        data[subject == s] = np.einsum("cd,ndt->nct", mix, data[subject == s]) * gains
    meta = pd.DataFrame({"subject": subject})
    epochs = mne.EpochsArray(data, mne.create_info(ch, sfreq, "eeg"), metadata=meta, verbose=False)
    return epochs, subject


def _covs_and_dispersion(out, scale, mask):
    from pyriemann.estimation import Covariances
    from pyriemann.geometry.distance import distance
    from pyriemann.geometry.mean import mean_riemann

    covs = Covariances("scm").transform(out.data[mask].astype(np.float64) / scale)
    mean = mean_riemann(covs)
    return mean, float(np.mean(distance(covs, np.eye(len(mean)), squared=True)))


def test_each_domain_is_centred_with_equal_dispersion(spread_domains):
    epochs, subject = spread_domains
    plain = RiemannianRecentering(domain="subject", estimator="scm").fit(epochs)
    out_plain = plain.transform(epochs)
    before = [_covs_and_dispersion(out_plain, plain.scale_, subject == s)[1] for s in (1, 2, 3)]
    assert max(before) / min(before) > 5  # the fixture really has unequal dispersions

    align = RiemannianRecentering(domain="subject", estimator="scm", stretch=True)
    out = align.fit_transform(epochs)
    # Target: the mean of the source domains' own dispersions, measured by TLScale.
    assert align.source_dispersions_.keys() == {1, 2, 3}
    np.testing.assert_allclose(
        sorted(align.source_dispersions_.values()), sorted(before), rtol=1e-4
    )
    assert align.dispersion_ == pytest.approx(np.mean(before), rel=1e-4)
    for s in (1, 2, 3):
        mean, dispersion = _covs_and_dispersion(out, align.scale_, subject == s)
        np.testing.assert_allclose(mean, np.eye(4), atol=1e-3)  # still centred
        assert dispersion == pytest.approx(align.dispersion_, rel=1e-3)  # equalised
        report = align.alignment_report_[s]
        assert report["dispersion"] == pytest.approx(align.source_dispersions_[s])
        assert report["stretch_power"] == pytest.approx(
            np.sqrt(align.dispersion_ / align.source_dispersions_[s])
        )
    # Stretching is not a no-op: the output differs from plain recentering.
    assert not np.allclose(out.data, out_plain.data, rtol=1e-2)


def test_a_fixed_final_dispersion_and_test_domains_stay_apart(spread_domains):
    epochs, subject = spread_domains
    X = EpochsData.from_epochs(epochs)
    align = RiemannianRecentering(
        domain="subject", estimator="scm", stretch=True, final_dispersion=0.5
    ).fit(X[np.flatnonzero(subject == 1)])
    assert align.dispersion_ == 0.5
    both = align.transform(X[np.flatnonzero(subject != 1)])
    alone = align.transform(X[np.flatnonzero(subject == 3)])
    # Subject 3 is stretched by its own epochs only, whatever comes with it.
    np.testing.assert_allclose(both.data[subject[subject != 1] == 3], alone.data, rtol=1e-4)
    assert _covs_and_dispersion(alone, align.scale_, slice(None))[1] == pytest.approx(
        0.5, rel=1e-3
    )


def test_params_clone_and_errors(spread_domains):
    epochs, subject = spread_domains
    align = RiemannianRecentering(domain="subject", stretch=True, final_dispersion=2.0)
    params = clone(align).get_params()
    assert params["stretch"] is True and params["final_dispersion"] == 2.0
    # Without stretching nothing is measured.
    plain = RiemannianRecentering(domain="subject").fit(epochs)
    assert plain.dispersion_ is None and plain.source_dispersions_ == {}
    with pytest.raises(ValueError, match="final_dispersion"):
        RiemannianRecentering(stretch=True, final_dispersion=-1.0).fit(epochs)
    with pytest.raises(ValueError, match="stretch must be"):
        RiemannianRecentering(stretch="yes").fit(epochs)


def test_pipelines_and_names(spread_domains):
    epochs, subject = spread_domains
    pipe = make_riemannian_pipeline("mi", recenter=True, stretch=True, domain="subject")
    assert pipe.steps[0][1].stretch is True
    with pytest.raises(ValueError, match="recenter=True"):
        make_riemannian_pipeline("mi", stretch=True)
    assert "stretch" in SUFFIXES
    named = make_named_pipeline("xdawn+ts+recenter+stretch")
    assert [n for n, _ in named.steps][:2] == ["riemannianrecentering", "epochstoarray"]
    assert named.steps[0][1].stretch is True
    assert make_named_pipeline("xdawn+ts+recenter").steps[0][1].stretch is False
    with pytest.raises(ValueError, match=r"right after \+recenter"):
        make_named_pipeline("xdawn+ts+stretch")
    # A covariance pipeline fits and predicts through the stretched front.
    y = np.tile([0, 1], len(subject) // 2)
    proba = pipe.fit(epochs, y).predict_proba(epochs)
    assert proba.shape == (len(subject), 2) and np.isfinite(proba).all()
