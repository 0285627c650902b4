"""LatencyAlignment: one label-free time shift per domain, from its average response."""

import numpy as np
import pytest
from sklearn.base import clone

from sklearn_eegfm import EpochsData, LatencyAlignment
from sklearn_eegfm.adaptation import AdaptationSkippedWarning
from sklearn_eegfm.evaluation.pipelines import make_named_pipeline

SFREQ = 100.0


def _evoked_domains(delays, n_epochs=60, n_times=120, seed=0):
    """Epochs whose response peaks ``delay`` samples later in each domain, plus noise."""
    rng = np.random.default_rng(seed)
    t = np.arange(n_times)
    data, domains = [], []
    for d, delay in enumerate(delays):
        wave = np.exp(-0.5 * ((t - 50 - delay) / 4.0) ** 2) - 0.6 * np.exp(
            -0.5 * ((t - 70 - delay) / 6.0) ** 2
        )
        gains = np.array([1.0, -0.5, 0.8])[:, None]
        epochs = 10 * gains * wave + 2 * rng.standard_normal((n_epochs, 3, n_times))
        data.append(epochs)
        domains += [d] * n_epochs
    data = np.concatenate(data).astype(np.float32)
    return (
        EpochsData(data, SFREQ, ["C3", "Cz", "C4"], np.full((3, 3), np.nan), tmin=-0.2),
        np.array(domains),
    )


def test_a_delayed_domain_is_shifted_back_onto_the_source():
    X, dom = _evoked_domains([0, 0, 7])
    align = LatencyAlignment(max_shift=0.1).fit(X[dom < 2], groups=dom[dom < 2])
    out = align.transform(X[dom == 2], groups=dom[dom == 2])
    report = align.alignment_report_[2]
    assert report["shift"] == pytest.approx(0.07)
    assert report["correlation"] > 0.9 and not report["skipped"]
    assert out.data.shape == (60, 3, 120 - 2 * 10)
    assert out.tmin == pytest.approx(-0.2 + 0.1)
    # The shifted domain's average now peaks where the source's does.
    src = align.transform(X[dom == 0], groups=dom[dom == 0]).data.mean(0)
    assert abs(np.argmax(out.data.mean(0)[0]) - np.argmax(src[0])) <= 1
    # Unshifted, it would be 7 samples late.
    plain = X.data[dom == 2][:, :, 10:110].mean(0)
    assert abs(np.argmax(plain[0]) - np.argmax(src[0]) - 7) <= 1


def test_source_domains_are_aligned_to_a_common_reference_in_fit():
    X, dom = _evoked_domains([-5, 0, 4, 6])
    align = LatencyAlignment(max_shift=0.1)
    align.fit_transform(X, groups=dom)
    shifts = np.array([align.source_shifts_[d] for d in range(4)]) * SFREQ
    # Shifts are relative to a reference the domains agree on: only differences matter.
    np.testing.assert_allclose(np.diff(shifts), np.diff([-5, 0, 4, 6]), atol=1)
    assert all(r["source"] for r in align.alignment_report_.values())


def test_each_domain_is_timed_by_its_own_epochs_only():
    X, dom = _evoked_domains([0, 3, -4, 8])
    align = LatencyAlignment(max_shift=0.1).fit(X[dom == 0])
    together = align.transform(X[dom > 0], groups=dom[dom > 0]).data
    for d in (1, 2, 3):
        alone = align.transform(X[dom == d], groups=dom[dom == d]).data
        np.testing.assert_array_equal(together[dom[dom > 0] == d], alone)


def test_labels_are_never_used():
    X, dom = _evoked_domains([0, 5])
    y = np.random.default_rng(1).integers(0, 2, len(dom))
    a = LatencyAlignment().fit(X, y, groups=dom).reference_
    b = LatencyAlignment().fit(X, 1 - y, groups=dom).reference_
    np.testing.assert_array_equal(a, b)


def test_small_domains_are_not_shifted_and_say_so():
    X, dom = _evoked_domains([0, 6], n_epochs=30)
    align = LatencyAlignment(min_epochs=20).fit(X[dom == 0])
    few = np.flatnonzero(dom == 1)[:5]
    with pytest.warns(AdaptationSkippedWarning, match="5 epoch"):
        out = align.transform(X[few])
    assert align.alignment_report_[0]["skipped"] and align.alignment_report_[0]["shift"] == 0
    np.testing.assert_array_equal(out.data, X.data[few][:, :, 10:110])


def test_bad_settings_and_inputs_get_clear_errors():
    X, dom = _evoked_domains([0], n_times=30)
    with pytest.raises(ValueError, match="too short.*margin"):
        LatencyAlignment(max_shift=0.15).fit(X)
    with pytest.raises(ValueError, match="max_shift"):
        LatencyAlignment(max_shift=-1).fit(X)
    with pytest.raises(ValueError, match="n_iter"):
        LatencyAlignment(n_iter=0).fit(X)
    with pytest.raises(ValueError, match="window"):
        LatencyAlignment(max_shift=0.05, window=(0.1, 0.5)).fit(X)
    X2, _ = _evoked_domains([0])
    align = LatencyAlignment().fit(X2)
    with pytest.raises(ValueError, match="samples"):
        align.transform(X)


def test_window_restricts_the_match():
    X, dom = _evoked_domains([0, 5])
    align = LatencyAlignment(window=(0.2, 0.8)).fit(X[dom == 0])
    align.transform(X[dom == 1])
    assert align.alignment_report_[0]["shift"] == pytest.approx(0.05)


def test_clone_params_and_pipeline_name():
    align = LatencyAlignment(domain="session", max_shift=0.05)
    assert clone(align).get_params() == align.get_params()
    pipe = make_named_pipeline("xdawn+ts+latency")
    assert isinstance(pipe.steps[0][1], LatencyAlignment)
    pipe = make_named_pipeline("xdawn+ts+latency+recenter+stretch")
    assert [type(s).__name__ for _, s in pipe.steps[:2]] == [
        "RiemannianRecentering",
        "LatencyAlignment",
    ]


def test_a_real_recording_delayed_by_50_ms_is_found(p300_dir):
    """Real Muse epochs: a copy of subject 1's session read 50 ms late is timed back."""
    from sklearn_eegfm.datasets import read_muse_csv

    files = sorted((p300_dir / "subject1" / "session1").glob("*.csv.gz"))[:3]
    epochs = read_muse_csv(files, tmin=-0.2, tmax=0.9)
    data = epochs.get_data() * 1e6
    n = data.shape[-1] - 13  # 13 samples = 50.8 ms at 256 Hz
    on_time = EpochsData(data[:, :, :n].copy(), 256.0, epochs.ch_names, np.full((4, 3), np.nan))
    late = EpochsData(data[:, :, 13:].copy(), 256.0, epochs.ch_names, np.full((4, 3), np.nan))
    runs = epochs.metadata["run"].to_numpy()
    align = LatencyAlignment(max_shift=0.1).fit(on_time[runs < 3], groups=runs[runs < 3])
    align.transform(late[runs == 3])
    # The late copy's response sits 13 samples earlier in its window: shift -13.
    assert align.alignment_report_[0]["shift"] * 256 == pytest.approx(-13, abs=2)
    align.transform(on_time[runs == 3])
    assert abs(align.alignment_report_[0]["shift"] * 256) <= 2
