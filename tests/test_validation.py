"""One validation helper per rule: positive counts and sizes, the same everywhere."""

import numpy as np
import pytest

from sklearn_eegfm._validation import check_positive


@pytest.mark.parametrize("value", [True, False, 0, -1, 1.5, "3", None, np.nan])
def test_positive_integer_refuses(value):
    with pytest.raises(ValueError, match=r"n must be a positive integer; got"):
        check_positive("n", value, integer=True)


@pytest.mark.parametrize("value", [True, 0, -0.1, np.nan, "1e-3"])
def test_positive_number_refuses(value):
    with pytest.raises(ValueError, match=r"lr must be a positive number; got"):
        check_positive("lr", value)


def test_accepted_values_come_back_unchanged():
    assert check_positive("n", np.int64(3), integer=True) == 3
    assert check_positive("lr", 2.5e-4) == 2.5e-4
    assert check_positive("lr", np.float32(1)) == 1


def _estimators():
    from sklearn_eegfm import (
        FMClassifier,
        FMEmbedder,
        PatchKMeansTokenizer,
        SpecialistClassifier,
        TENTAdapter,
    )

    probe = SpecialistClassifier("eegnet")
    return [
        ("SpecialistClassifier.max_epochs", SpecialistClassifier("eegnet", max_epochs=True)),
        ("FMClassifier.batch_size", FMClassifier("cbramod", weights=None, batch_size=True)),
        ("FMEmbedder.batch_size", FMEmbedder("cbramod", weights=None, batch_size=True)),
        ("PatchKMeansTokenizer.n_codes", PatchKMeansTokenizer(n_codes=True)),
        ("TENTAdapter.steps", TENTAdapter(probe, steps=True)),
    ]


@pytest.mark.filterwarnings("ignore::sklearn_eegfm.RandomWeightsWarning")
def test_every_estimator_refuses_true_as_a_count(make_epochs):
    """The copies used to disagree: some took True for 1."""
    epochs = make_epochs(n_epochs=8)
    y = np.arange(8) % 2
    for what, est in _estimators():
        name = what.split(".")[1]
        with pytest.raises(ValueError, match=f"{name} must be a positive integer; got True"):
            est.fit(epochs, y)
