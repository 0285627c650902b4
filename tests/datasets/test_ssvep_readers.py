"""SSVEP data through every reader: window, frequencies in the metadata, notes."""

import warnings

import numpy as np
import pytest

from sklearn_eegfm.datasets import DataOptions, load_data

pytestmark = pytest.mark.real_data


@pytest.fixture(scope="module")
def muse_dir(muse_ssvep_dir):
    return muse_ssvep_dir(2.0)


def test_muse_ssvep_defaults_name_frequencies_window_and_filter_bank(muse_dir):
    loaded = load_data(DataOptions(data=str(muse_dir), paradigm="ssvep"))
    assert (loaded.reader, loaded.paradigm, loaded.dataset) == ("muse", "ssvep", "muse-ssvep")
    epochs, meta = loaded.epochs, loaded.epochs.metadata
    assert (epochs.tmin, epochs.tmax) == (1.0, 3.0)  # eeg-notebooks' 3-s flicker
    assert set(loaded.y) == {"30Hz", "20Hz"} and "target" not in meta
    assert (meta["ssvep_freq"] == np.where(loaded.y == "30Hz", 30.0, 20.0)).all()
    notes = " ".join(loaded.notes)
    assert "30Hz = 30 Hz, 20Hz = 20 Hz (from the event names)" in notes
    assert "1 to 3 s after onset (to the end of stimulation: eeg-notebooks' 3-s flicker)" in notes
    assert "18-22, 28-32, 38-42, 58-62 Hz" in notes


def test_event_names_with_frequencies_infer_the_paradigm(muse_dir):
    loaded = load_data(DataOptions(data=str(muse_dir), event_id="1=30 Hz,2=20 Hz"))
    assert loaded.paradigm == "ssvep" and set(loaded.y) == {"30 Hz", "20 Hz"}
    assert loaded.epochs.tmin == 1.0


def test_ssvep_freqs_name_the_classes_in_event_id_order(muse_dir):
    options = DataOptions(
        data=str(muse_dir), paradigm="ssvep", event_id="2=left,1=right", ssvep_freqs=("20", "30")
    )
    loaded = load_data(options)
    assert set(loaded.y) == {"left (20 Hz)", "right (30 Hz)"}
    meta = loaded.epochs.metadata
    assert set(meta.loc[meta["label"] == "right (30 Hz)", "ssvep_freq"]) == {30.0}
    assert "(from --ssvep-freqs)" in " ".join(loaded.notes)
    with pytest.raises(ValueError, match="2 classes"):
        load_data(DataOptions(data=str(muse_dir), paradigm="ssvep", ssvep_freqs=("20",)))
    with pytest.raises(ValueError, match="not a frequency"):
        load_data(DataOptions(data=str(muse_dir), paradigm="ssvep", ssvep_freqs=("a", "b")))
    with pytest.raises(ValueError, match=r"No stimulation frequency for the classes.*--ssvep"):
        load_data(DataOptions(data=str(muse_dir), paradigm="ssvep", event_id="1=a,2=b"))


def _raw_with_flicker(muse_dir, durations):
    """A real recording as FIF with one annotation per flicker (30Hz / 20Hz)."""
    from sklearn_eegfm.datasets import read_muse_csv

    epochs = read_muse_csv(
        muse_dir, event_id={1: "30Hz", 2: "20Hz"}, tmin=0.0, tmax=3.0, l_freq=None, h_freq=None
    )[:24]
    import mne

    data = np.concatenate(list(epochs.get_data()), axis=-1)  # back to back, 3 s each
    raw = mne.io.RawArray(data, epochs.info, verbose=False)
    onsets = np.arange(len(epochs)) * len(epochs.times) / raw.info["sfreq"]
    labels = epochs.metadata["label"].tolist()
    raw.set_annotations(mne.Annotations(onsets, durations, labels))
    return raw


def test_raw_and_bids_end_the_window_with_the_annotated_stimulus(muse_dir, tmp_path):
    raw = _raw_with_flicker(muse_dir, 2.5)
    path = tmp_path / "sub-01_task-ssvep_eeg.fif"
    raw.save(path, verbose=False)
    loaded = load_data(DataOptions(data=str(path), paradigm="ssvep"))
    assert loaded.reader == "raw" and loaded.paradigm == "ssvep"
    assert (loaded.epochs.tmin, round(loaded.epochs.tmax, 2)) == (1.0, 2.5)
    assert set(loaded.epochs.metadata["ssvep_freq"]) == {20.0, 30.0}
    assert "shortest annotated stimulus" in " ".join(loaded.notes)
    # Without durations, the next onset ends the window.
    raw.set_annotations(raw.annotations.copy().set_durations(0.0))
    raw.save(path, overwrite=True, verbose=False)
    gap = load_data(DataOptions(data=str(path), paradigm="ssvep"))
    assert round(gap.epochs.tmax, 2) == 3.0

    mne_bids = pytest.importorskip("mne_bids")
    raw = _raw_with_flicker(muse_dir, 2.5)
    raw.set_channel_types({ch: "eeg" for ch in raw.ch_names})
    bids_path = mne_bids.BIDSPath(
        subject="01", task="ssvep", root=tmp_path / "bids", datatype="eeg"
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # mne-bids' notes about missing sidecar fields
        mne_bids.write_raw_bids(
            raw, bids_path, format="BrainVision", allow_preload=True, verbose=False
        )
    bids = load_data(DataOptions(bids_root=str(tmp_path / "bids"), task="ssvep", paradigm="ssvep"))
    assert bids.reader == "bids" and round(bids.epochs.tmax, 2) == 2.5
    assert set(bids.epochs.metadata["ssvep_freq"]) == {20.0, 30.0}


@pytest.mark.slow
def test_moabb_ssvep_dataset(tmp_path, monkeypatch):
    pytest.importorskip("moabb")
    monkeypatch.setenv("MNE_DATA", str(tmp_path))
    from moabb.datasets.fake import FakeDataset

    from sklearn_eegfm.evaluation import compare, make_named_pipeline

    dataset = FakeDataset(
        paradigm="ssvep", event_list=("13", "15"), n_subjects=1, n_sessions=1, n_runs=1,
        duration=60, channels=("O1", "Oz", "O2"), sfreq=128,
    )  # fmt: skip
    loaded = load_data(DataOptions(moabb=dataset))
    assert (loaded.reader, loaded.paradigm) == ("moabb", "ssvep")
    assert loaded.epochs.tmin == 1.0  # past the onset; FakeDataset's interval is 0-3 s
    assert set(loaded.epochs.metadata["ssvep_freq"]) == {13.0, 15.0}
    assert "the dataset's interval in MOABB" in " ".join(loaded.notes)
    # The epochs MOABB's SSVEP paradigm cut run through compare(): no fold fails.
    results = compare(
        {"cca": make_named_pipeline("cca")}, loaded.epochs, loaded.y, protocol="within-subject"
    )
    assert len(results) and (results["error"] == "").all() and results["score"].notna().all()


@pytest.mark.slow
def test_cli_compare_runs_the_ssvep_defaults(muse_dir, tmp_path, capsys):
    from sklearn_eegfm import cli

    out = tmp_path / "out"
    argv = ["compare", "--data", str(muse_dir), "--paradigm", "ssvep", "--protocol"]
    argv += ["within-subject", "--pipelines", "cca,trca", "--out", str(out), "-q"]
    assert cli.main(argv) == 0
    report = (out / "report.html").read_text()
    for text in ("SSVEP stimulation frequencies", "1 to 3 s after onset", "28-32"):
        assert text in report
