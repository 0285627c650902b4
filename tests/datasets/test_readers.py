"""Dataset readers and the built-in demo, on the real recordings."""

import gzip

import numpy as np
import pytest

from sklearn_eegfm.datasets import (
    DEMO_ATTRIBUTION,
    demo_data_path,
    load_eegmmidb,
    load_p300_demo,
    read_muse_csv,
)


def test_demo_has_both_classes_several_subjects_and_sessions():
    epochs = load_p300_demo()
    assert set(epochs.event_id) == {"nontarget", "target"}
    counts = epochs.metadata["label"].value_counts()
    assert counts["target"] > 50 and counts["nontarget"] > 300
    assert epochs.metadata["subject"].nunique() >= 2
    assert epochs.metadata.query("subject == 1")["session"].nunique() == 2
    assert epochs.info["sfreq"] == 256.0 and epochs.ch_names == ["TP9", "AF7", "AF8", "TP10"]
    # labels in metadata agree with the event codes
    codes = epochs.events[:, 2]
    assert np.array_equal(codes == 2, epochs.metadata["target"].to_numpy() == 1)
    assert -0.11 < epochs.tmin < -0.09 and 1.09 < epochs.tmax < 1.11  # fits every model


def test_demo_ships_its_licence_and_stays_small():
    root = demo_data_path().parent
    assert "BSD" in (root / "LICENSE_eeg-notebooks").read_text()
    assert "Barachant" in DEMO_ATTRIBUTION
    size = sum(p.stat().st_size for p in root.rglob("*") if p.is_file())
    assert size < 4e6


def test_demo_targets_are_decodable():
    # Real-signal sanity check of the demo: the README reports ~0.77 within-subject AUROC
    # for subject 1 with XdawnCovariances + TangentSpace + logistic regression.
    from pyriemann.estimation import XdawnCovariances
    from pyriemann.tangentspace import TangentSpace
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold, cross_val_score
    from sklearn.pipeline import make_pipeline

    epochs = load_p300_demo()
    sub1 = epochs[epochs.metadata["subject"].to_numpy() == 1]
    X, y = sub1.get_data() * 1e6, sub1.metadata["target"].to_numpy()
    pipe = make_pipeline(XdawnCovariances(2), TangentSpace(), LogisticRegression(max_iter=1000))
    auc = cross_val_score(
        pipe, X, y, cv=StratifiedKFold(5, shuffle=True, random_state=0), scoring="roc_auc"
    ).mean()
    assert auc > 0.65


def test_both_marker_column_names_are_read(p300_dir):
    old = read_muse_csv(p300_dir / "subject2" / "session1")  # 2017: "Marker"
    new = read_muse_csv(p300_dir / "subject2" / "session2")  # 2018: "Marker0"
    for epochs in (old, new):
        assert set(epochs.metadata["label"]) == {"target", "nontarget"}
        assert (epochs.metadata["subject"] == 2).all()
    assert set(old.metadata["session"]) == {1} and set(new.metadata["session"]) == {2}
    assert old.metadata["run"].nunique() == 5


def test_glob_and_file_list(p300_dir):
    pattern = str(p300_dir / "subject4" / "*" / "*.csv.gz")
    by_glob = read_muse_csv(pattern)
    by_list = read_muse_csv(sorted((p300_dir / "subject4").rglob("*.csv.gz")))
    np.testing.assert_array_equal(by_glob.get_data(), by_list.get_data())


def test_unknown_csv_layout_is_refused(tmp_path):
    bad = tmp_path / "subject9" / "session1" / "x.csv.gz"
    bad.parent.mkdir(parents=True)
    with gzip.open(bad, "wt") as f:
        f.write("timestamps,C3,C4\n0,1,2\n")
    with pytest.raises(ValueError, match="not a Muse P300 recording.*Marker0"):
        read_muse_csv(bad)


def test_missing_path_is_refused(tmp_path):
    with pytest.raises(FileNotFoundError, match="No files match"):
        read_muse_csv(tmp_path / "nothing*.csv")


def test_eegmmidb_imagery_left_right(eegmmidb_epochs):
    epochs = eegmmidb_epochs
    assert set(epochs.event_id) == {"left_fist", "right_fist"}
    assert len(epochs) == 45 and epochs.info["sfreq"] == 160.0
    assert (
        len(epochs.ch_names) == 64 and "FC5" in epochs.ch_names and "Fc5." not in epochs.ch_names
    )
    assert (
        set(epochs.metadata["run"]) == {4, 8, 12} and (epochs.metadata["task"] == "imagery").all()
    )
    pos = np.array([ch["loc"][:3] for ch in epochs.info["chs"]])
    assert np.isfinite(pos).all() and (np.abs(pos).sum(axis=1) > 0).all()


def test_eegmmidb_feet_runs_and_rest(eegmmidb_dir):
    epochs = load_eegmmidb(eegmmidb_dir, runs=(6,), include_rest=True, tmax=1.0)
    assert set(epochs.metadata["label"]) == {"both_fists", "both_feet", "rest"}


def test_eegmmidb_bad_runs(eegmmidb_dir, tmp_path):
    with pytest.raises(ValueError, match="Unknown EEGMMIDB runs"):
        load_eegmmidb(eegmmidb_dir, runs=(1, 4))
    with pytest.raises(FileNotFoundError, match="No EDF file"):
        load_eegmmidb(eegmmidb_dir, runs=(4,), subjects=(7,))
