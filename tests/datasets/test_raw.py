"""Any MNE-readable recording (EDF folders, FIF with a stim channel) and -epo.fif files."""

import mne
import numpy as np
import pytest

from sklearn_eegfm.datasets import (
    entities_from_path,
    load_p300_demo,
    parse_event_id,
    read_epochs_files,
    read_raw_epochs,
)

pytestmark = pytest.mark.real_data


@pytest.fixture
def edf_folder(eegmmidb_dir, tmp_path):
    """A user's folder of EDFs: two imagined left/right-fist runs of EEGMMIDB subject 1."""
    folder = tmp_path / "my_recordings"
    folder.mkdir()
    for run in (4, 8):
        (folder / f"S001R{run:02d}.edf").symlink_to(eegmmidb_dir / f"S001R{run:02d}.edf")
    return folder


def test_edf_folder_with_event_id(edf_folder):
    paths = sorted(edf_folder.glob("*.edf"))
    epochs = read_raw_epochs(
        paths, event_id="T1=left,T2=right", tmin=1.0, tmax=4.0, l_freq=8.0, h_freq=30.0
    )
    meta = epochs.metadata
    assert sorted(epochs.event_id) == ["left", "right"]
    assert set(meta["label"]) == {"left", "right"} and len(epochs) == 30  # 15 cues per run
    assert set(meta["subject"]) == {1} and list(meta["run"].unique()) == [1, 2]
    assert set(meta["recording"]) == {"S001R04.edf", "S001R08.edf"}
    assert len(epochs.ch_names) == 64 and "Fc5" in epochs.ch_names  # trailing dots gone
    assert np.isfinite(epochs.info["chs"][0]["loc"][:3]).all()  # template positions set
    assert epochs.info["highpass"] == 8.0 and epochs.info["lowpass"] == 30.0
    assert epochs.tmin == 1.0 and abs(epochs.times[-1] - 4.0) < 1e-9
    # labels from EEGMMIDB's own reader agree, epoch by epoch
    from sklearn_eegfm.datasets import load_eegmmidb

    ref = load_eegmmidb(edf_folder, runs=(4, 8), tmin=1.0, tmax=4.0)
    assert list(ref.metadata["label"].str.replace("_fist", "")) == list(meta["label"])


def test_stim_channel_fif_and_resample(tmp_path, make_epochs):
    sfreq, n = 256.0, 256 * 20
    rng = np.random.default_rng(0)
    info = mne.create_info(["Fz", "Cz", "Pz", "STI"], sfreq, ["eeg"] * 3 + ["stim"])
    data = np.vstack([rng.standard_normal((3, n)) * 1e-5, np.zeros((1, n))])
    data[3, 256 * np.arange(2, 18)] = np.tile([1, 2], 8)
    path = tmp_path / "sub-07" / "ses-2" / "rec_raw.fif"
    path.parent.mkdir(parents=True)
    mne.io.RawArray(data, info, verbose=False).save(path, verbose=False)
    epochs = read_raw_epochs([path], event_id="1=standard,2=target", tmin=-0.1, tmax=0.7)
    assert len(epochs) == 16 and epochs.ch_names == ["Fz", "Cz", "Pz"]
    assert (epochs.metadata["subject"] == 7).all() and (epochs.metadata["session"] == 2).all()
    assert list(epochs.metadata["label"][:2]) == ["standard", "target"]
    half = read_raw_epochs([path], event_id="2=target,1=standard", resample=128.0)
    assert half.info["sfreq"] == 128.0


def test_epo_fif_from_the_p300_demo(tmp_path):
    demo = load_p300_demo()[::8]
    path = tmp_path / "p300-epo.fif"
    demo.save(path, verbose=False)
    epochs = read_epochs_files([path])
    meta = epochs.metadata
    assert len(epochs) == len(demo) and epochs.ch_names == demo.ch_names
    # metadata columns of the file win over the path
    assert list(meta["subject"]) == list(demo.metadata["subject"])
    assert list(meta["label"]) == list(demo.metadata["label"])
    np.testing.assert_allclose(epochs.get_data(), demo.get_data())
    # without metadata, labels come from the event names and the subject from the path
    bare = demo.copy()
    bare.metadata = None
    other = tmp_path / "subject3" / "x-epo.fif"
    other.parent.mkdir()
    bare.save(other, verbose=False)
    meta = read_epochs_files([other]).metadata
    assert set(meta["label"]) == {"nontarget", "target"} and set(meta["subject"]) == {3}


def test_unreadable_file_names_the_fix(tmp_path):
    bad = tmp_path / "broken.edf"
    bad.write_bytes(b"not an EDF at all")
    with pytest.raises(ValueError, match=r"Cannot read .*broken\.edf.*format MNE reads"):
        read_raw_epochs([bad])
    with pytest.raises(ValueError, match=r"Cannot read .*mne\.read_epochs.*epochs\.save"):
        read_epochs_files([bad])


def test_no_matching_events_lists_those_present(edf_folder):
    path = edf_folder / "S001R04.edf"
    with pytest.raises(ValueError, match=r"match --event-id T9=x.*T0 \(15\), T1 \(8\), T2 \(7\)"):
        read_raw_epochs([path], event_id="T9=x")


def test_window_outside_the_recording(edf_folder):
    path = edf_folder / "S001R04.edf"
    with pytest.raises(ValueError, match=r"--tmin 200 --tmax 201 s falls outside.*125\.0 s long"):
        read_raw_epochs([path], event_id="T1,T2", tmin=200.0, tmax=201.0)
    with pytest.raises(ValueError, match="--tmax 1 must be after --tmin 2"):
        read_raw_epochs([path], tmin=2.0, tmax=1.0)


def test_entities_and_event_ids():
    assert entities_from_path("root/sub-03/ses-2/eeg/x_eeg.edf") == (3, 2)
    assert entities_from_path("d/subject12/session3/run.csv.gz") == (12, 3)
    assert entities_from_path("S004/S004R08.edf") == (4, None)
    assert entities_from_path("lab/P07_day2.bdf", r"P(?P<subject>\d+)_day(?P<session>\d)") == (
        7,
        2,
    )
    assert entities_from_path("flat/file.edf") == (None, None)
    assert parse_event_id("T1=left, T2=right") == {"T1": "left", "T2": "right"}
    assert parse_event_id("target,standard") == {"target": "target", "standard": "standard"}
    with pytest.raises(ValueError, match="expected e.g. T1=left"):
        parse_event_id(" , ")
