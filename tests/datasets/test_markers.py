"""Events that are missing or differ between subjects are refused by name."""

import warnings

import numpy as np
import pytest


@pytest.mark.real_data
def test_bids_labels_that_differ_between_subjects_are_refused(eegmmidb_dir, tmp_path):
    pytest.importorskip("mne_bids")
    import mne
    import mne_bids

    from sklearn_eegfm.datasets import read_bids

    # sub-02 lost its events.tsv: its labels are the recording's own marker names
    names = {"01": {"T1": "left", "T2": "right"}, "02": {"T1": "S  1", "T2": "S  2"}}
    for subject, rename in names.items():
        raw = mne.io.read_raw_edf(eegmmidb_dir / "S001R04.edf", verbose=False, preload=True)
        raw.crop(0, 30)
        raw.annotations.rename({"T0": "rest", **rename})
        path = mne_bids.BIDSPath(
            subject=subject, task="imagery", root=tmp_path, datatype="eeg", session="1"
        )
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # mne-bids' notes about missing sidecar fields
            mne_bids.write_raw_bids(raw, path, format="EDF", allow_preload=True, verbose=False)
    with pytest.raises(ValueError, match=r"sub-1: \['left', 'rest', 'right'\]; sub-2: \['S  1'"):
        read_bids(tmp_path, "imagery", tmin=0.0, tmax=1.0)
    ok = read_bids(tmp_path, "imagery", event_id="left=l,right=r,S  1=l,S  2=r", tmax=1.0)
    assert set(ok.metadata["label"]) == {"l", "r"} and set(ok.metadata["subject"]) == {1, 2}


def test_missing_brainvision_marker_file_is_named(tmp_path):
    pybv = pytest.importorskip("pybv")
    import mne

    from sklearn_eegfm.datasets import read_raw_epochs

    data = np.random.default_rng(0).standard_normal((3, 2560)) * 10
    events = np.array([[256, 1], [512, 2], [768, 1]])
    pybv.write_brainvision(
        data=data, sfreq=256, ch_names=["Fz", "Cz", "Pz"], fname_base="rec",
        folder_out=tmp_path, events=events, unit="µV",
    )  # fmt: skip
    assert len(read_raw_epochs([tmp_path / "rec.vhdr"], tmax=0.5)) == 3
    (tmp_path / "rec.vmrk").unlink()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # MNE's own "MarkerFile 'rec.vmrk' not found"
        with pytest.raises(ValueError, match=r"marker file rec.vmrk, which is missing"):
            read_raw_epochs([tmp_path / "rec.vhdr"])
        raw = mne.io.read_raw_brainvision(tmp_path / "rec.vhdr", verbose=False)
        with pytest.raises(ValueError, match=r"marker file rec.vmrk, which is missing"):
            read_raw_epochs([raw])
