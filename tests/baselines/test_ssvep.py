"""SSVEP baselines on real background EEG with a weak steady-state response added."""

import numpy as np
import pytest
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sklearn_eegfm._ssvep import filter_bank_bands, label_frequency
from sklearn_eegfm.baselines import SSVEPCCA, SSVEPTRCA, FilterBank, MeanAmplitudeWindows
from sklearn_eegfm.datasets import DataOptions, load_data, read_muse_csv
from sklearn_eegfm.datasets._ssvep import MUSE_SSVEP_EVENT_ID
from sklearn_eegfm.evaluation import make_named_pipeline

pytestmark = pytest.mark.real_data
SSVEP_BASELINES = ("fb+ts", "fb+mdm", "cca", "trca")
# 2 µV at the fundamental under 5-60 µV of real EEG: invisible in single raw traces.
AMPLITUDE = 2.0


def _auroc(estimator, epochs, y):
    cv = StratifiedKFold(3, shuffle=True, random_state=0)
    return cross_val_score(estimator, epochs, y, cv=cv, scoring="roc_auc").mean()


@pytest.fixture(scope="module")
def ssvep(muse_ssvep_dir):
    """The SSVEP defaults' epochs (1-3 s after onset) of the weak response."""
    loaded = load_data(DataOptions(data=str(muse_ssvep_dir(AMPLITUDE)), paradigm="ssvep"))
    return loaded.epochs, loaded.y


@pytest.fixture(scope="module")
def no_response(muse_ssvep_dir):
    """The same markers and background without any added response."""
    loaded = load_data(DataOptions(data=str(muse_ssvep_dir(0.0)), paradigm="ssvep"))
    return loaded.epochs, loaded.y


@pytest.mark.slow
@pytest.mark.parametrize("name", SSVEP_BASELINES)
def test_each_ssvep_baseline_finds_the_weak_response(name, ssvep, no_response):
    epochs, y = ssvep
    assert (epochs.tmin, epochs.tmax) == (1.0, 3.0) and set(y) == {"20Hz", "30Hz"}
    assert _auroc(make_named_pipeline(name), epochs, y) > 0.85
    # What it finds is the added response, not something else in the background.
    assert _auroc(make_named_pipeline(name), *no_response) < 0.7


@pytest.mark.slow
def test_rank_deficient_data_after_an_average_reference(ssvep):
    # PITFALLS 9: after CAR each band's channels sum to zero; OAS keeps covariances SPD.
    epochs, y = ssvep
    from pyriemann.estimation import Covariances

    car = epochs.copy().set_eeg_reference("average", verbose=False)
    assert np.linalg.matrix_rank(car.get_data()[0]) == len(car.ch_names) - 1
    front = make_named_pipeline("fb+mdm")[:3].fit(car, y)
    assert np.linalg.eigvalsh(front.transform(car)).min() > 1e-6
    plain = Covariances("scm").transform(front[0].transform(car))
    assert np.linalg.eigvalsh(plain).min() < 1e-9  # what MDM would get without shrinkage
    # CAR also removes the part of the response common to all four channels (3/4 of
    # it here), so less is left to find; what is left is still found.
    assert _auroc(make_named_pipeline("fb+mdm"), car, y) > 0.6


def test_an_erp_only_pipeline_does_not_find_it(muse_ssvep_dir):
    # The ERP defaults' window and band, as a user without --paradigm ssvep would get.
    epochs = read_muse_csv(
        muse_ssvep_dir(AMPLITUDE), event_id=MUSE_SSVEP_EVENT_ID, tmin=-0.1, tmax=1.1
    )
    y = epochs.metadata["label"].to_numpy()
    erp_only = make_pipeline(MeanAmplitudeWindows(), StandardScaler(), LogisticRegression(C=0.1))
    assert _auroc(erp_only, epochs, y) < 0.65
    # The SSVEP pipeline on that same ERP window still sees the flicker's first second.
    assert _auroc(make_named_pipeline("cca"), epochs.copy().crop(0.1, 1.1), y) > 0.75


def test_cca_agrees_with_moabbs_ssvep_cca(ssvep):
    moabb_classification = pytest.importorskip("moabb.pipelines.classification")
    epochs, y = ssvep
    ours = SSVEPCCA(n_harmonics=3).fit(epochs, y)
    theirs = moabb_classification.SSVEP_CCA(
        n_harmonics=3, freq_map={"20Hz": 20.0, "30Hz": 30.0}
    ).fit(epochs, y)
    agree = np.mean(ours.predict(epochs) == np.asarray(theirs.predict(epochs)))
    assert agree > 0.95  # sklearn's iterative CCA in MOABB vs the exact SVD here


def test_filter_bank_bands_follow_frequencies_harmonics_and_rate():
    assert filter_bank_bands([20, 30], 256.0) == [
        (18.0, 22.0, 1), (28.0, 32.0, 1), (38.0, 42.0, 2), (58.0, 62.0, 2)
    ]  # fmt: skip
    # At 128 Hz the 60-Hz harmonic's band would reach past 90 % of Nyquist.
    assert [b[:2] for b in filter_bank_bands([20, 30], 128.0)] == [(18, 22), (28, 32), (38, 42)]
    # 10 Hz's second harmonic is 20 Hz's fundamental: one band.
    assert len(filter_bank_bands([10, 20], 256.0, n_harmonics=2)) == 3


def test_filter_bank_passes_the_band_and_stops_the_others():
    t = np.arange(512) / 256.0
    X = np.stack([np.sin(2 * np.pi * 30 * t)[None]] * 2)
    fb = FilterBank([20, 30], sfreq=256.0, ch_names=["Oz"], units="uV").fit(X)
    power = {
        b[:2]: (band[:, :, 64:-64] ** 2).mean()
        for b, band in zip(fb.bands_, fb.split_bands(fb.transform(X)))
    }
    assert power[(28.0, 32.0)] > 0.4 and power[(18.0, 22.0)] < 1e-3
    assert fb.ch_names_out_[:2] == ["Oz_18-22Hz", "Oz_28-32Hz"]


def test_frequencies_come_from_labels_or_a_clear_error():
    assert [label_frequency(v) for v in ("30 Hz", "12.5Hz", "left (8 Hz)", "13", "rest")] == [
        30.0, 12.5, 8.0, 13.0, None
    ]  # fmt: skip
    X = np.random.default_rng(0).normal(size=(4, 1, 256))
    kwargs = dict(sfreq=256.0, ch_names=["Oz"], units="uV")
    with pytest.raises(ValueError, match=r"No stimulation frequency.*--ssvep-freqs"):
        SSVEPCCA(**kwargs).fit(X, ["left", "right", "left", "right"])
    with pytest.raises(ValueError, match="one per class"):
        SSVEPCCA([20.0], **kwargs).fit(X, ["a", "b", "a", "b"])
    cca = SSVEPCCA({"a": 20.0, "b": 30.0}, **kwargs).fit(X, ["a", "b", "a", "b"])
    assert cca.freqs_ == {"a": 20.0, "b": 30.0}
    with pytest.raises(ValueError, match="at least 2"):
        SSVEPTRCA(**kwargs).fit(X[:3], ["20Hz", "30Hz", "30Hz"])
    for est in (SSVEPCCA(n_harmonics=True, **kwargs), SSVEPTRCA(n_harmonics=0, **kwargs)):
        with pytest.raises(ValueError, match="n_harmonics must be a positive integer"):
            est.fit(X, ["20Hz", "30Hz"] * 2)
    with pytest.raises(ValueError, match="requires y to be passed"):
        SSVEPCCA(**kwargs).fit(X, None)
    with pytest.raises(ValueError, match="got 1 class"):
        SSVEPTRCA(**kwargs).fit(X, ["20Hz"] * 4)
    with pytest.raises(ValueError, match="half_width must be a positive number"):
        FilterBank([20], half_width=-1, **kwargs).fit(X)


def test_unfitted_and_mismatched_inputs_are_refused():
    X = np.random.default_rng(0).normal(size=(4, 2, 256))
    kwargs = dict(sfreq=256.0, ch_names=["O1", "O2"], units="uV")
    for est in (SSVEPCCA(**kwargs), SSVEPTRCA(**kwargs), FilterBank([20], **kwargs)):
        with pytest.raises(NotFittedError):
            est.predict(X) if hasattr(est, "predict") else est.transform(X)
    cca = SSVEPCCA(**kwargs).fit(X, ["20Hz", "30Hz"] * 2)
    with pytest.raises(ValueError, match="samples but 256 were seen in fit"):
        cca.predict(X[:, :, :200])
    proba = cca.predict_proba(X)
    assert proba.shape == (4, 2) and np.allclose(proba.sum(1), 1)
    assert (np.argmax(proba, 1) == np.searchsorted(cca.classes_, cca.predict(X))).all()


@pytest.mark.slow  # torch and the model's build, on top of the data
@pytest.mark.filterwarnings("ignore::sklearn_eegfm.RandomWeightsWarning")
def test_default_lineup_adds_probes_that_record_the_window_cut(ssvep):
    from sklearn_eegfm import FMEmbedder
    from sklearn_eegfm.evaluation import default_pipelines

    pipes = default_pipelines(weights=None, paradigm="ssvep", fast=True)
    assert list(pipes) == [*SSVEP_BASELINES, "eegnet", "fm-cbramod"]
    epochs, _ = ssvep
    emb = FMEmbedder("cbramod", weights=None).fit(epochs[:4])
    # 2 s at 256 Hz is 401 samples at CBraMod's 200 Hz: cut to whole 1-s patches.
    assert "cropped: 401 -> 400 samples (kept the start)" in emb.preprocessing_
