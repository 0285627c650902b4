"""ERPFeatures, MeanAmplitudeWindows and BandPower: layout, errors and real P300 decoding."""

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.estimator_checks import (
    check_do_not_raise_errors_in_init_or_set_params,
    check_estimator_repr,
    check_get_params_invariance,
    check_mixin_order,
    check_no_attributes_set_in_init,
    check_parameters_default_constructible,
    check_set_params,
)

from sklearn_eegfm.baselines import BandPower, ERPFeatures, MeanAmplitudeWindows
from sklearn_eegfm.datasets import load_p300_demo

ESTIMATORS = [ERPFeatures(), MeanAmplitudeWindows(), BandPower()]
CHECKS = [
    check_no_attributes_set_in_init,
    check_get_params_invariance,
    check_set_params,
    check_parameters_default_constructible,
    check_estimator_repr,
    check_mixin_order,
    check_do_not_raise_errors_in_init_or_set_params,
]


@pytest.mark.parametrize("estimator", ESTIMATORS, ids=lambda e: type(e).__name__)
@pytest.mark.parametrize("check", CHECKS, ids=lambda c: c.__name__)
def test_data_free_sklearn_checks(estimator, check):
    check(type(estimator).__name__, estimator)


@pytest.mark.parametrize("estimator", ESTIMATORS, ids=lambda e: type(e).__name__)
def test_defaults_fit_real_epochs_and_names_match_columns(estimator, p300_epochs):
    epochs = p300_epochs[:30]
    est = clone(estimator)
    Z = est.fit_transform(epochs)
    names = est.get_feature_names_out()
    assert Z.shape == (30, len(names)) == (30, est.n_features_out_)
    assert np.isfinite(Z).all() and Z.dtype == np.float64
    assert len(set(names)) == len(names)
    assert all(n.split("_", 1)[0] in epochs.ch_names for n in names)
    # the CV path (a list of single-epoch Epochs) gives the same rows
    np.testing.assert_allclose(est.transform([epochs[i] for i in range(5)]), Z[:5])


def test_mean_amplitude_windows_shape_names_and_values(make_epochs):
    epochs = make_epochs(n_epochs=6, sfreq=100.0, n_times=100)  # 0.00 .. 0.99 s
    maw = MeanAmplitudeWindows(windows={"early": (0.1, 0.3), "late": (0.3, 0.6)})
    Z = maw.fit_transform(epochs)
    assert Z.shape == (6, 4 * 2)
    assert maw.get_feature_names_out().tolist() == [
        f"{ch}_{w}" for ch in ["Fz", "Cz", "Pz", "Oz"] for w in ["early", "late"]
    ]
    data = epochs.get_data() * 1e6
    np.testing.assert_allclose(Z[:, 0], data[:, 0, 10:30].mean(-1))  # [0.1, 0.3) s
    np.testing.assert_allclose(Z[:, 3], data[:, 1, 30:60].mean(-1))
    # "auto": consecutive 100-ms windows from the stimulus to the epoch end
    auto = MeanAmplitudeWindows().fit(epochs)
    assert list(auto.windows_) == [f"{i / 10:g}-{(i + 1) / 10:g}s" for i in range(10)]
    assert auto.n_features_out_ == 40


def test_array_input_uses_tmin_and_matches_epochs(p300_epochs):
    epochs = p300_epochs[:12]
    data = epochs.get_data() * 1e6
    windows = [(0.25, 0.45), (0.45, 0.6)]
    from_epochs = ERPFeatures(windows).fit_transform(epochs)
    arr = ERPFeatures(
        windows, tmin=epochs.tmin, sfreq=epochs.info["sfreq"], ch_names=epochs.ch_names, units="uV"
    )
    np.testing.assert_allclose(arr.fit_transform(data), from_epochs, rtol=1e-10)
    assert "TP9_mean_0.25-0.45s" in arr.get_feature_names_out()
    # without tmin, the array is taken to start at 0 s: the windows move
    shifted = ERPFeatures(windows, sfreq=256.0, ch_names=epochs.ch_names, units="uV")
    assert not np.allclose(shifted.fit_transform(data), from_epochs)


def test_erp_features_values_on_a_known_signal():
    sfreq, n = 100.0, 100
    t = np.arange(n) / sfreq
    x = np.zeros((1, 1, n))
    x[0, 0] = 5.0 * np.exp(-((t - 0.3) ** 2) / 0.002)  # positive peak at 0.3 s
    x[0, 0, 50] = -2.0
    erp = ERPFeatures(
        {"w": (0.2, 0.6)}, features=("amplitude",), sfreq=sfreq, ch_names=["Cz"], units="uV"
    )
    feats = dict(zip(erp.fit(x).get_feature_names_out(), erp.transform(x)[0], strict=True))
    assert feats["Cz_pos_peak_w"] == pytest.approx(5.0)
    assert feats["Cz_pos_latency_w"] == pytest.approx(0.3)
    assert feats["Cz_neg_peak_w"] == pytest.approx(-2.0)
    assert feats["Cz_neg_latency_w"] == pytest.approx(0.5)
    assert feats["Cz_neg_area_w"] == pytest.approx(-2.0 / sfreq)
    assert feats["Cz_mean_w"] == pytest.approx(x[0, 0, 20:60].mean())


def test_temporal_and_spectral_features_on_a_sine():
    sfreq, n = 200.0, 400
    t = np.arange(n) / sfreq
    x = (10 * np.sin(2 * np.pi * 10 * t))[None, None]  # 10 Hz: alpha
    erp = ERPFeatures(features=("temporal", "spectral"), sfreq=sfreq, ch_names=["Oz"], units="uV")
    feats = dict(zip(erp.fit(x).get_feature_names_out(), erp.transform(x)[0], strict=True))
    assert feats["Oz_var"] == pytest.approx(50.0, rel=1e-3)
    assert feats["Oz_ptp"] == pytest.approx(20.0, rel=1e-2)
    assert feats["Oz_zero_crossings"] == pytest.approx(39, abs=1)
    # Hjorth mobility of a sine is its angular frequency per sample
    assert feats["Oz_hjorth_mobility"] == pytest.approx(2 * np.pi * 10 / sfreq, rel=1e-2)
    assert feats["Oz_hjorth_complexity"] == pytest.approx(1.0, rel=1e-2)
    assert feats["Oz_alpha_relpower"] > 0.95
    assert feats["Oz_alpha_power"] == pytest.approx(50.0, rel=0.1)  # µV² of the sine


def test_flat_channel_gives_finite_features():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((3, 2, 128)) * 10
    x[:, 1] = 0.0
    Z = ERPFeatures(sfreq=128.0, ch_names=["Cz", "Pz"], units="uV").fit_transform(x)
    assert np.isfinite(Z).all()
    assert np.isfinite(
        BandPower(log=True, sfreq=128.0, ch_names=["Cz", "Pz"], units="uV").fit_transform(x)
    ).all()


def test_band_power_relative_and_log(p300_epochs):
    epochs = p300_epochs[:10]
    absolute = BandPower().fit_transform(epochs)
    relative = BandPower(relative=True).fit_transform(epochs)
    np.testing.assert_allclose(relative.reshape(10, 4, 5).sum(-1), 1.0)
    np.testing.assert_allclose(BandPower(log=True).fit_transform(epochs), np.log10(absolute))


@pytest.mark.parametrize("estimator", [ERPFeatures, MeanAmplitudeWindows])
def test_window_outside_the_epoch_is_named(estimator, p300_epochs):
    with pytest.raises(ValueError, match=r"Window 'late' \(0.5 to 1.2 s\).*epoch \(-0.10"):
        estimator(windows={"late": (0.5, 1.2)}).fit(p300_epochs[:5])
    with pytest.raises(ValueError, match="start < stop"):
        estimator(windows=[(0.4, 0.2)]).fit(p300_epochs[:5])


@pytest.mark.parametrize("estimator", [ERPFeatures, BandPower])
def test_band_above_nyquist_is_refused(estimator, eegmmidb_epochs):
    epochs = eegmmidb_epochs[:4]  # 160 Hz: Nyquist 80 Hz
    with pytest.raises(ValueError, match=r"Band 'high_gamma' \(60-100 Hz\).*Nyquist.*80"):
        estimator(bands={"beta": (13, 30), "high_gamma": (60, 100)}).fit(epochs)


def test_auto_bands_are_capped_at_nyquist(make_epochs):
    epochs = make_epochs(n_epochs=4, sfreq=64.0, n_times=128)
    bp = BandPower().fit(epochs)
    assert bp.bands_["gamma"] == (30.0, 32.0)


def test_nan_is_refused_by_the_input_layer(make_epochs):
    data = make_epochs(n_epochs=4).get_data()
    data[1, 2, 10] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        ERPFeatures(sfreq=256.0, ch_names=["Fz", "Cz", "Pz", "Oz"], units="V").fit(data)


def test_transform_refuses_other_epoch_layout(p300_epochs):
    maw = MeanAmplitudeWindows().fit(p300_epochs[:5])
    with pytest.raises(ValueError, match="samples but 232 were seen in fit"):
        maw.transform(p300_epochs[:5].copy().crop(0.0, None))
    # same length, shifted start: the latency windows would shift
    shifted = p300_epochs[:5].copy()
    shifted.shift_time(0.05, relative=True)
    with pytest.raises(ValueError, match="windows would shift"):
        maw.transform(shifted)
    with pytest.raises(ValueError, match="Epochs start at"):
        MeanAmplitudeWindows(tmin=0.2).fit(p300_epochs[:5])


def test_bad_feature_group():
    with pytest.raises(ValueError, match="Invalid features='erp'"):
        ERPFeatures(features=("erp",), sfreq=100.0, ch_names=["Cz"], units="uV").fit(
            np.ones((2, 1, 100)) + np.arange(100)
        )


@pytest.mark.real_data
def test_erp_features_beat_chance_on_real_p300():
    # Subject 1 of the shipped demo (581 epochs, 92 targets). Measured with this seed:
    # AUROC 0.659; over five CV shuffles 0.59-0.66. 0.55 leaves room for numerical drift.
    epochs = load_p300_demo()
    epochs = epochs[epochs.metadata["subject"].to_numpy() == 1]
    y = epochs.metadata["target"].to_numpy()
    # Arrays slice much faster than Epochs in CV; the features are identical (tested above).
    X = epochs.get_data() * 1e6
    pipe = make_pipeline(
        ERPFeatures(tmin=epochs.tmin, sfreq=256.0, ch_names=epochs.ch_names, units="uV"),
        StandardScaler(),
        LogisticRegression(C=0.1, max_iter=1000),
    )
    cv = StratifiedKFold(5, shuffle=True, random_state=0)
    auc = cross_val_score(pipe, X, y, cv=cv, scoring="roc_auc").mean()
    assert auc > 0.55
