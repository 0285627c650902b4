"""EuclideanAlignment and RiemannianRecentering: per-domain whitening of the signals."""

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.pipeline import make_pipeline

from sklearn_eegfm import (
    EpochsData,
    EpochsNDArray,
    EuclideanAlignment,
    RiemannianRecentering,
    make_riemannian_pipeline,
)
from sklearn_eegfm.adaptation import AdaptationSkippedWarning

ALIGNMENTS = [EuclideanAlignment, RiemannianRecentering]


def _mean_cov(data):
    return np.einsum("nct,ndt->cd", data, data) / (data.shape[0] * data.shape[2])


@pytest.mark.parametrize("cls", ALIGNMENTS)
def test_each_domain_is_whitened_at_the_source_scale(cls, two_domains):
    epochs, y, subject = two_domains
    align = cls(domain="subject")
    out = align.fit_transform(epochs)
    assert isinstance(out, EpochsNDArray) and isinstance(out.epochs_data, EpochsData)
    assert out.metadata["subject"].tolist() == subject.tolist()  # metadata kept
    src = epochs.get_data() * 1e6
    # Amplitude kept at the source's RMS (what a foundation model's contract expects),
    # while subject 2 was recorded twice as large.
    assert align.scale_ == pytest.approx(np.sqrt(np.mean(src**2)), rel=1e-6)
    for s in (1, 2):
        d = out.data[subject == s].astype(np.float64) / align.scale_
        if cls is EuclideanAlignment:
            C = _mean_cov(d)  # the arithmetic mean of X X^T / T is the identity
        else:
            from pyriemann.estimation import Covariances
            from pyriemann.geometry.mean import mean_riemann

            C = mean_riemann(Covariances("oas").transform(d))  # the Riemannian mean is
        # (OAS shrinkage is not affine-equivariant: a few percent off for recentering)
        np.testing.assert_allclose(C, np.eye(4), atol=3e-3 if cls is EuclideanAlignment else 5e-2)
    ratio = out.data[subject == 2].std() / out.data[subject == 1].std()
    assert ratio == pytest.approx(1.0, abs=0.1)


@pytest.mark.parametrize("cls", ALIGNMENTS)
def test_test_domains_use_their_own_epochs_only(cls, two_domains):
    epochs, y, subject = two_domains
    X = EpochsData.from_epochs(epochs)
    align = cls(domain="subject").fit(X[subject == 1])
    both = align.transform(X)
    alone = align.transform(X[np.flatnonzero(subject == 2)])
    np.testing.assert_allclose(both.data[subject == 2], alone.data, rtol=1e-4, atol=1e-4)
    assert clone(align).get_params()["domain"] == "subject"


def test_small_domain_falls_back_with_a_warning(two_domains):
    epochs, y, subject = two_domains
    align = EuclideanAlignment(domain="subject", min_epochs=3).fit(epochs)
    with pytest.warns(AdaptationSkippedWarning, match="source reference"):
        align.transform(epochs[[0, 30]])
    assert align.alignment_report_[1]["skipped"]


def test_errors(two_domains):
    epochs, y, subject = two_domains
    with pytest.raises(ValueError, match="Unknown domain column 'sub'"):
        EuclideanAlignment(domain="sub").fit(epochs)
    with pytest.raises(ValueError, match="units="):
        EuclideanAlignment().fit(epochs.get_data())
    data = epochs.get_data()
    data[0, 0, 0] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        EuclideanAlignment(units="V", sfreq=128.0, ch_names=epochs.ch_names).fit(data)


@pytest.mark.parametrize("kind", ["erp", "erp-mdm", "mi", "csp"])
def test_make_riemannian_pipeline_recenters_every_kind(kind, two_domains):
    epochs, y, subject = two_domains
    pipe = make_riemannian_pipeline(
        kind,
        recenter=True,
        domain="subject",
        **({"nfilter": 1} if kind == "erp" else {"n_components": 2} if kind == "csp" else {}),
    )
    assert pipe.steps[0][0] == "riemannianrecentering"
    pipe.fit(epochs[:24], y[:24])  # subject 1
    assert pipe.predict(epochs[24:]).shape == (24,)  # subject 2, recentred on its own
    report = pipe[0].alignment_report_
    assert set(report) == {1, 2}
    assert report[1]["source"] and "source" not in report[2]


def test_ea_in_front_of_a_foundation_model_keeps_its_input_scale(two_domains):
    import warnings

    from sklearn_eegfm import LinearProbe, RandomWeightsWarning

    epochs, y, subject = two_domains
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RandomWeightsWarning)
        pipe = make_pipeline(
            EuclideanAlignment(domain="subject"), LinearProbe("cbramod", weights=None)
        ).fit(epochs[:32], y[:32])
    x_raw = pipe[-1].adaptation_input(EpochsData.from_epochs(epochs[32:]))
    x_aligned = pipe[-1].adaptation_input(pipe[0].transform(epochs[32:]))
    # Same order of magnitude as unaligned data (CBraMod reads uV / 100).
    ratio = float(x_aligned.std() / x_raw.std())
    assert 0.3 < ratio < 3
    assert pipe.predict_proba(epochs[32:]).shape == (16, 2)


@pytest.mark.parametrize("cls", ALIGNMENTS)
def test_nan_in_hand_built_epochs_data_is_named_not_a_matrix_error(cls):
    rng = np.random.default_rng(0)
    data = (rng.standard_normal((10, 4, 128)) * 20).astype(np.float32)
    data[3, 1, 7] = np.nan
    X = EpochsData(data, 128.0, ["Fz", "Cz", "Pz", "Oz"], np.full((4, 3), np.nan))
    message = r"NaN or infinite values in 1 epoch\(s\) \(first: \[3\]\)"
    with pytest.raises(ValueError, match=message):
        cls().fit(X)
