"""How ids, counts and times read (issue 25): natural order, plurals, no float noise."""

import warnings

import numpy as np
import pytest

from sklearn_eegfm.utils._display import count, duration, natural_key, seconds


def test_natural_order_of_subject_ids():
    ids = ["1", "10", "11", "2", "3", "S10", "S2", "sub-01"]
    assert sorted(ids, key=natural_key) == ["1", "2", "3", "10", "11", "S2", "S10", "sub-01"]
    assert sorted([10, 2, 1], key=natural_key) == [1, 2, 10]


def test_counts_and_times_read_as_words():
    assert count(1, "subject") == "1 subject"
    assert count(3, "subject") == "3 subjects"
    assert count(0, "epoch") == "0 epochs"
    # the P300 demo's window at 256 Hz: -26 / 256 and 282 / 256 s
    assert seconds(-26 / 256) == "-0.102" and seconds(282 / 256) == "1.102"
    assert seconds(0.5) == "0.5" and seconds(-0.0001) == "0" and seconds(2) == "2"
    assert [duration(v) for v in (42.4, 185, 3720)] == ["42 s", "3 min 05 s", "1 h 02 min"]


def test_random_weights_warning_points_at_the_users_line(p300_epochs):
    """Reported from this file, not from sklearn/utils/_set_output.py."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline

    from sklearn_eegfm import FMEmbedder, RandomWeightsWarning

    epochs = p300_epochs[:24]
    y = np.arange(24) % 2
    pipe = Pipeline([("fm", FMEmbedder("cbramod", weights=None)), ("clf", LogisticRegression())])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        pipe.fit(epochs, y)  # the line the warning must name
    (w,) = [w for w in caught if issubclass(w.category, RandomWeightsWarning)]
    assert w.filename == __file__, w.filename
    with open(__file__) as f:
        assert "pipe.fit(epochs, y)" in f.read().splitlines()[w.lineno - 1]


@pytest.mark.parametrize("value", [1.10156, -0.101562])
def test_window_in_data_summary_is_rounded(make_epochs, value):
    from sklearn_eegfm.evaluation.report import data_summary

    epochs = make_epochs(n_epochs=6, n_times=282)
    epochs.shift_time(value, relative=False)
    info = data_summary(epochs, np.arange(6) % 2, dataset="toy")
    assert info["window"].startswith(f"{seconds(value)} to "), info["window"]
    assert "0.10156" not in info["window"] and "1.10156" not in info["window"]
