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
