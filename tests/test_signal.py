"""The signal helpers against the libraries whose arithmetic they follow."""

import numpy as np
import pytest

from sklearn_eegfm._signal import resample_epochs, resample_factors


@pytest.mark.parametrize("n_times", [3, 160, 257, 282, 640, 1280])
@pytest.mark.parametrize(
    ("sfreq_in", "sfreq_out"), [(160, 200), (256, 200), (128, 200), (200, 256), (500.0001, 200)]
)
def test_fft_resampling_is_mnes_on_every_row_at_once(n_times, sfreq_in, sfreq_out):
    # The authors of CBraMod, LaBraM and BIOT resample with MNE's FFT method; ours runs
    # every row in one transform instead of MNE's Python loop over rows, same arithmetic.
    import mne

    x = np.random.default_rng(n_times).standard_normal((3, 5, n_times)) * 20
    up, down = resample_factors(sfreq_in, sfreq_out)
    ref = mne.filter.resample(x, up=up, down=down, npad="auto", pad="edge", verbose=False)
    out = resample_epochs(x, sfreq_in, sfreq_out, "fft")
    assert out.shape == ref.shape
    np.testing.assert_allclose(out, ref, rtol=0, atol=1e-12 * np.abs(ref).max())


@pytest.mark.parametrize(
    ("sfreq_in", "sfreq_out", "n_times"),
    [(160, 128, 640), (160, 256, 640), (256, 200, 307), (250, 128, 1000)],
)
def test_fft_grid_keeps_every_sample_on_its_instant(sfreq_in, sfreq_out, n_times):
    # MNE's "auto" padding resamples to a rounded length (1024 samples at 160 Hz give 819,
    # not 819.2, at 128 Hz): every sample drifts by a fraction of a sample, which moves a
    # 23-Hz rhythm by up to 0.6 of its amplitude mid-epoch. On the exact grid it stays put,
    # as in a resampling of the whole recording.
    t = np.arange(n_times) / sfreq_in
    x = np.sin(2 * np.pi * 23.0 * t)[None]
    errors = {}
    for method in ("fft", "fft-grid"):
        y = resample_epochs(x, sfreq_in, sfreq_out, method)[0]
        expected = np.sin(2 * np.pi * 23.0 * np.arange(y.size) / sfreq_out)
        q = y.size // 4
        errors[method] = np.abs(y - expected)[q:-q].max()
    assert errors["fft-grid"] < 1e-3 < 3e-2 < errors["fft"]


def test_fft_grid_is_mnes_fft_where_its_padding_is_already_on_the_grid():
    # 640 samples at 160 Hz pad to 1024, which resample to 1280 at 200 Hz exactly.
    x = np.random.default_rng(0).standard_normal((2, 3, 640))
    np.testing.assert_array_equal(
        resample_epochs(x, 160, 200, "fft-grid"), resample_epochs(x, 160, 200, "fft")
    )


@pytest.mark.parametrize(("sfreq_in", "sfreq_out", "n_times"), [(160, 128, 640), (256, 200, 308)])
def test_fft_grid_is_mnes_fft_on_an_epoch_padded_by_whole_multiples(sfreq_in, sfreq_out, n_times):
    import mne

    x = np.random.default_rng(n_times).standard_normal((2, 3, n_times))
    up, down = resample_factors(sfreq_in, sfreq_out)
    left = 128 if down == 32 else 195  # MNE's "auto" 102 (192) widened to multiples of down
    right = left + (-(n_times + 2 * left)) % down
    padded = np.pad(x, ((0, 0), (0, 0), (left, right)), mode="edge")
    ref = mne.filter.resample(padded, up=up, down=down, npad=0, verbose=False)
    ref = ref[..., left * up // down :][..., : round(n_times * up / down)]
    out = resample_epochs(x, sfreq_in, sfreq_out, "fft-grid")
    np.testing.assert_allclose(out, ref, rtol=0, atol=1e-12 * np.abs(ref).max())
