"""Any MNE-readable recording (EDF folders, FIF with a stim channel) and -epo.fif files."""

import warnings

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


# ------------------------------------------------------------------ issue 25, items 4-5
@pytest.fixture
def brainvision_folder(eegmmidb_dir, tmp_path):
    """EEGMMIDB run 4 exported from MNE to BrainVision: markers read back as Comment/T1."""
    pytest.importorskip("pybv")
    raw = mne.io.read_raw_edf(eegmmidb_dir / "S001R04.edf", preload=True, verbose=False)
    raw.crop(0, 40).pick(raw.ch_names[:8])
    folder = tmp_path / "bv_export"
    folder.mkdir()
    with pytest.warns(RuntimeWarning, match="int"):  # EDF's integer samples become floats
        mne.export.export_raw(folder / "S001R04.vhdr", raw, fmt="brainvision", verbose=False)
    return folder


def test_brainvision_markers_take_the_readmes_event_id(brainvision_folder):
    from sklearn_eegfm.datasets import ReaderNote

    path = brainvision_folder / "S001R04.vhdr"
    assert "Comment/T1" in set(mne.io.read_raw(path, verbose=False).annotations.description)
    with pytest.warns(ReaderNote) as notes:
        epochs = read_raw_epochs([path], event_id="T1=left,T2=right", tmin=1.0, tmax=4.0)
    assert [str(n.message).split(" (")[0] for n in notes] == [
        "--event-id T1 read as the marker 'Comment/T1'",
        "--event-id T2 read as the marker 'Comment/T2'",
    ]
    assert set(epochs.metadata["label"]) == {"left", "right"} and len(epochs) == 4  # 40 s
    # the explicit name needs no note
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        same = read_raw_epochs([path], event_id="Comment/T1=left,Comment/T2=right", tmax=4.0)
    assert list(same.metadata["label"]) == list(epochs.metadata["label"])


def test_prefix_matching_only_when_unambiguous(tmp_path):
    info = mne.create_info(["Fz", "Cz", "Pz"], 100.0, "eeg")
    raw = mne.io.RawArray(np.random.default_rng(0).standard_normal((3, 3000)) * 1e-5, info)
    raw.set_annotations(
        mne.Annotations([2, 8, 14, 20], [0, 0, 0, 0], ["Comment/T1", "Stimulus/T1"] * 2)
    )
    path = tmp_path / "two_kinds_raw.fif"
    raw.save(path, verbose=False)
    with pytest.raises(ValueError, match=r"match --event-id T1=left.*Comment/T1 \(2\)"):
        read_raw_epochs([path], event_id="T1=left")


def test_files_without_events_are_skipped_with_one_line_each(eegmmidb_dir, tmp_path):
    from sklearn_eegfm.datasets import DataOptions, load_data

    folder = tmp_path / "study"
    folder.mkdir()
    (folder / "S001R04.edf").symlink_to(eegmmidb_dir / "S001R04.edf")
    raw = mne.io.read_raw_edf(eegmmidb_dir / "S001R04.edf", verbose=False).crop(0, 20)
    raw.load_data().set_annotations(None)
    raw.save(folder / "resting_raw.fif", verbose=False)  # no annotations, no stim channel
    options = DataOptions(data=str(folder), reader="raw", event_id="T1=left,T2=right",
                          tmin=1.0, tmax=4.0)  # fmt: skip
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # nothing floods the console
        loaded = load_data(options)
    assert set(loaded.epochs.metadata["recording"]) == {"S001R04.edf"}
    skipped = [n for n in loaded.notes if "skipped" in n]
    assert skipped == ["resting_raw.fif skipped: no annotations and no stim channel"], loaded.notes
    # every file without events: the error of the first, with the fix
    (folder / "S001R04.edf").unlink()
    with pytest.raises(ValueError, match="neither annotations nor a stim channel"):
        load_data(DataOptions(data=str(folder), reader="raw", event_id="T1=left"))
