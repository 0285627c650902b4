"""Small fitted models shared by the adaptation tests."""

import numpy as np
import pytest


@pytest.fixture(scope="module")
def two_domains():
    """48 synthetic epochs, 4 channels x 1 s at 128 Hz, two subjects of different scale.

    The classes differ by a bump on Cz so that the source model predicts both.
    """
    import mne
    import pandas as pd

    rng = np.random.default_rng(0)
    n, ch, sfreq, n_times = 48, ["Fz", "Cz", "Pz", "Oz"], 128.0, 128
    y = np.tile(["a", "b"], n // 2)
    subject = np.repeat([1, 2], n // 2)
    data = rng.standard_normal((n, len(ch), n_times)) * 10e-6
    data[y == "b", 1, 40:80] += 15e-6
    data[subject == 2] *= 2.0  # a domain shift in amplitude
    info = mne.create_info(ch, sfreq, "eeg")
    meta = pd.DataFrame({"subject": subject, "session": 1, "label": y})
    epochs = mne.EpochsArray(data, info, metadata=meta, verbose=False)
    return epochs, y, subject


@pytest.fixture(scope="module")
def eegnet():
    from sklearn_eegfm import SpecialistClassifier

    return SpecialistClassifier("eegnet", max_epochs=2, valid_size=None, random_state=0)


def _state_of(estimator):
    """Every parameter and buffer of a fitted package estimator, as numpy copies."""
    if hasattr(estimator, "net_"):
        sd = estimator.net_.module_.state_dict()
    else:
        sd = dict(estimator.embedder_.backbone_.model.state_dict())
        sd["head"] = estimator.head_.coef_
    return {
        k: np.array(v.detach().cpu().numpy() if hasattr(v, "detach") else v) for k, v in sd.items()
    }


def _assert_same_state(a, b):
    assert a.keys() == b.keys()
    for k in a:
        np.testing.assert_array_equal(a[k], b[k], err_msg=k)


@pytest.fixture
def state_of():
    """Snapshot a fitted estimator's parameters."""
    return _state_of


@pytest.fixture
def assert_same_state():
    """Assert two snapshots are bit-identical."""
    return _assert_same_state
