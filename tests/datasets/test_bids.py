"""BIDS datasets through mne-bids: a small dataset written from the shared EEGMMIDB runs."""

import warnings

import pytest

pytest.importorskip("mne_bids")
pytestmark = pytest.mark.real_data


@pytest.fixture(scope="module")
def bids_root(eegmmidb_dir, tmp_path_factory):
    """Subject 01, two sessions (imagined left/right fist, runs 4 and 8), task 'imagery'."""
    import mne
    import mne_bids

    root = tmp_path_factory.mktemp("bids")
    for session, run in (("1", 4), ("2", 8)):
        raw = mne.io.read_raw_edf(eegmmidb_dir / f"S001R{run:02d}.edf", verbose=False)
        raw.annotations.rename({"T0": "rest", "T1": "left", "T2": "right"})
        path = mne_bids.BIDSPath(
            subject="01", session=session, task="imagery", root=root, datatype="eeg"
        )
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # mne-bids' notes about missing sidecar fields
            mne_bids.write_raw_bids(raw, path, format="EDF", verbose=False)
    return root


def test_read_bids_takes_subject_and_session_from_the_entities(bids_root):
    from sklearn_eegfm.datasets import read_bids

    epochs = read_bids(bids_root, "imagery", event_id="left,right", tmin=1.0, tmax=4.0)
    meta = epochs.metadata
    assert len(epochs) == 30 and set(meta["label"]) == {"left", "right"}
    assert set(meta["subject"]) == {1} and sorted(meta["session"].unique()) == [1, 2]
    only = read_bids(bids_root, None, sessions=["2"], event_id="left,right")  # one task
    assert set(only.metadata["session"]) == {2}


def test_bids_root_without_the_task(bids_root, tmp_path):
    from sklearn_eegfm.datasets import read_bids

    with pytest.raises(ValueError, match=r"no task 'rest'; choose one with --task \(imagery\)"):
        read_bids(bids_root, "rest")
    with pytest.raises(ValueError, match="not a BIDS root.*dataset_description.json"):
        read_bids(tmp_path, "imagery")


@pytest.mark.slow
def test_cli_runs_cross_session_on_bids(bids_root, tmp_path, capsys):
    from sklearn_eegfm import cli

    out = tmp_path / "out"
    argv = ["compare", "--bids-root", str(bids_root), "--task", "imagery", "--event-id"]
    argv += ["left,right", "--protocol", "cross-session", "--pipelines", "cov+ts,csp"]
    assert cli.main([*argv, "--out", str(out), "-q"]) == 0
    text = capsys.readouterr().out
    assert "per session" in text and "smallest achievable p-value is 0.5" in text
    assert (out / "report.html").stat().st_size > 0
