"""The reader registry: detection from the files, presets, paradigms, MOABB."""

import dataclasses

import numpy as np
import pytest

from sklearn_eegfm.datasets import (
    PARADIGMS,
    READERS,
    DataOptions,
    detect_reader,
    infer_paradigm,
    load_data,
)
from sklearn_eegfm.datasets._registry import check_paradigm


def test_detection_from_the_files(p300_dir, eegmmidb_dir, tmp_path):
    assert detect_reader(p300_dir / "subject1")[0] == "muse"
    name, files = detect_reader(eegmmidb_dir)
    assert name == "eegmmidb" and len(files) == 12
    # with --event-id, EEGMMIDB files are plain EDF recordings
    assert detect_reader(eegmmidb_dir, event_id="T1=left")[0] == "raw"
    (tmp_path / "notes.txt").write_text("x")
    with pytest.raises(FileNotFoundError, match=r"found no recordings.*'\.txt'.*-epo\.fif.*\.edf"):
        detect_reader(tmp_path)
    (tmp_path / "dataset_description.json").write_text("{}")
    assert detect_reader(tmp_path) == ("bids", [])


def test_edf_folder_without_reader_is_not_looked_for_as_csv(eegmmidb_dir, tmp_path):
    folder = tmp_path / "edfs"
    folder.mkdir()
    (folder / "rec01.edf").symlink_to(eegmmidb_dir / "S001R04.edf")
    options = DataOptions(data=str(folder), event_id="T1=left,T2=right", paradigm="mi")
    loaded = load_data(options)
    assert loaded.reader == "raw" and loaded.paradigm == "mi"
    assert loaded.epochs.tmin == PARADIGMS["mi"].tmin  # the paradigm's window
    assert loaded.epochs.info["highpass"] == PARADIGMS["mi"].l_freq
    assert any("detected" in n for n in loaded.notes)
    with pytest.raises(FileNotFoundError, match="no files for --reader muse.*--reader raw"):
        load_data(DataOptions(data=str(folder), reader="muse"))


def test_eegmmidb_preset_uses_motor_imagery_defaults(eegmmidb_dir):
    loaded = load_data(DataOptions(data=str(eegmmidb_dir), runs=(4,)))
    epochs = loaded.epochs
    assert (loaded.reader, loaded.paradigm, loaded.dataset) == ("eegmmidb", "mi", "eegmmidb")
    assert epochs.tmin == 1.0 and abs(epochs.times[-1] - 4.0) < 1e-9  # the data's README
    assert (epochs.info["highpass"], epochs.info["lowpass"]) == (8.0, 30.0)
    assert set(loaded.y) == {"left_fist", "right_fist"}
    with pytest.raises(ValueError, match="--paradigm erp does not fit.*--paradigm mi"):
        load_data(DataOptions(data=str(eegmmidb_dir), runs=(4,), paradigm="erp"))


def test_paradigm_from_labels():
    assert infer_paradigm(["nontarget", "target"]) == "erp"
    assert infer_paradigm(["left_hand", "right_hand", "feet"]) == "mi"
    assert infer_paradigm(["eyes_open", "eyes_closed"]) == "resting"
    assert infer_paradigm(["a", "b"]) is None
    assert check_paradigm(None, ["a", "b"], None) is None
    with pytest.raises(ValueError, match="Only one class"):
        check_paradigm("mi", np.array(["left"] * 4), "mi")


def test_every_reader_and_paradigm_has_help():
    assert {"demo", "muse", "eegmmidb", "epochs", "raw", "bids", "moabb"} <= set(READERS)
    assert all(r.help for r in READERS.values())
    assert set(PARADIGMS) == {"erp", "mi", "resting", "ssvep"}


def test_moabb_dataset_not_downloaded(tmp_path, monkeypatch):
    pytest.importorskip("moabb")
    monkeypatch.setenv("MNE_DATA", str(tmp_path))
    with pytest.raises(ValueError, match=r"--moabb BNCI2014_001: the data are not in the local"):
        load_data(DataOptions(moabb="BNCI2014_001"))
    with pytest.raises(ValueError, match="no such MOABB dataset"):
        load_data(DataOptions(moabb="NoSuchSet"))


def test_event_id_labels_choose_the_window(eegmmidb_dir, tmp_path):
    folder = tmp_path / "edfs"
    folder.mkdir()
    (folder / "rec01.edf").symlink_to(eegmmidb_dir / "S001R04.edf")
    loaded = load_data(DataOptions(data=str(folder), event_id="T1=left,T2=right"))
    assert loaded.paradigm == "mi" and loaded.epochs.tmin == PARADIGMS["mi"].tmin
    plain = load_data(DataOptions(data=str(folder), event_id="T1,T2"))
    assert plain.paradigm is None and plain.epochs.tmin == -0.1


# ----------------------------------------------------------------------- issue 25, item 3
def _muse_study(p300_dir, tmp_path, name="n170_faces"):
    """A user's Muse study: two real runs, one copy with its markers cut off the end."""
    import gzip

    import pandas as pd

    root = tmp_path / name
    src = sorted((p300_dir / "subject1" / "session1").glob("*.csv.gz"))[0]
    for subject in (1, 2):
        folder = root / f"subject{subject}" / "session1"
        folder.mkdir(parents=True)
        (folder / src.name).symlink_to(src)
    late = pd.read_csv(src)
    marker = "Marker" if "Marker" in late else "Marker0"
    late[marker] = 0
    late.loc[len(late) - 5, marker] = 1  # one marker whose window runs past the end
    with gzip.open(root / "subject2" / "session1" / "late_markers.csv.gz", "wt") as f:
        late.to_csv(f, index=False)
    empty = late.assign(**{marker: 0})
    with gzip.open(root / "subject2" / "session1" / "no_markers.csv.gz", "wt") as f:
        empty.to_csv(f, index=False)
    return root


def test_muse_study_named_after_its_folder_with_the_users_classes(p300_dir, tmp_path):
    import warnings

    root = _muse_study(p300_dir, tmp_path)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # MNE's "All epochs were dropped!" must not show
        loaded = load_data(DataOptions(data=str(root), event_id="1=face,2=house"))
    assert loaded.reader == "muse" and loaded.dataset == "n170_faces"
    assert sorted(np.unique(loaded.y)) == ["face", "house"]
    assert sorted(loaded.epochs.event_id) == ["face", "house"]
    assert sorted(loaded.epochs.metadata["label"].unique()) == ["face", "house"]
    skipped = sorted(n for n in loaded.notes if "skipped" in n)
    assert skipped == [
        "late_markers.csv.gz skipped: the window -0.1 to 1.1 s falls outside the recording "
        "for every marker",
        "no_markers.csv.gz skipped: no markers 1 (face), 2 (house) (markers: none)",
    ], loaded.notes
    # --dataset-name wins; without --event-id the P300 names are used, and said
    named = load_data(DataOptions(data=str(root), dataset_name="N170 pilot"))
    assert named.dataset == "N170 pilot" and sorted(np.unique(named.y)) == [
        "nontarget",
        "target",
    ]
    assert any("--event-id 1=face,2=house" in n for n in named.notes)
    with pytest.raises(ValueError, match="name them by code, e.g. --event-id 1=face"):
        load_data(DataOptions(data=str(root), event_id="face,house"))


def test_dataset_names_of_folders_files_and_globs(tmp_path):
    from sklearn_eegfm.datasets import dataset_name_of

    assert dataset_name_of(tmp_path / "recordings") == "recordings"
    assert dataset_name_of(f"{tmp_path}/recordings/") == "recordings"
    assert dataset_name_of(f"{tmp_path}/study/**/*.edf") == "study"
    assert dataset_name_of("my_study-epo.fif") == "my_study"
    assert dataset_name_of(None) == "custom"


def test_cli_dataset_name_option_reaches_the_reader(p300_dir, tmp_path):
    from sklearn_eegfm import cli

    root = _muse_study(p300_dir, tmp_path, name="faces_houses")
    args = cli.build_parser().parse_args(["compare", "--data", str(root)])
    assert cli._load(args).dataset == "faces_houses"
    args = cli.build_parser().parse_args(
        ["compare", "--data", str(root), "--dataset-name", "n170", "--event-id", "1=f,2=h"]
    )
    loaded = cli._load(args)
    assert loaded.dataset == "n170" and sorted(np.unique(loaded.y)) == ["f", "h"]


def test_a_new_reader_is_one_entry(monkeypatch, tmp_path, p300_epochs):
    """An entry added to READERS is detected, read and named, with no other edit."""
    from sklearn_eegfm.datasets._registry import Reader, ReadResult

    saved = tmp_path / "rec.toy"
    saved.write_text("toy")

    def read_toy(o):
        assert o.files == [saved]  # the files its rule claimed
        return ReadResult(p300_epochs, p300_epochs.metadata["label"].astype(str).to_numpy())

    def is_toy(path):
        return path.suffix == ".toy"

    toy = Reader("toy", read_toy, "toy files", "erp", "toy-set", files=is_toy)
    toy = dataclasses.replace(toy, detect=lambda root, files, o: [f for f in files if is_toy(f)])
    monkeypatch.setitem(READERS, "toy", toy)
    assert detect_reader(tmp_path) == ("toy", [saved])
    loaded = load_data(DataOptions(data=str(tmp_path)))
    assert (loaded.reader, loaded.dataset, loaded.paradigm) == ("toy", "toy-set", "erp")
    assert len(loaded.y) == len(p300_epochs)


def test_reader_choices_come_from_the_registry():
    from sklearn_eegfm.datasets import DATA_ARGUMENTS

    choices = dict(DATA_ARGUMENTS)["--reader"]["choices"]
    # every reader that reads --data, and only those
    assert set(choices) == {"muse", "eegmmidb", "epochs", "raw", "bids"}
    assert {n for n, r in READERS.items() if r.files is not None} <= set(choices)


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
@pytest.mark.filterwarnings("ignore::FutureWarning")
@pytest.mark.filterwarnings("ignore::RuntimeWarning:moabb.*")
def test_moabb_reader_reads_moabbs_fake_dataset(tmp_path, monkeypatch):
    pytest.importorskip("moabb")
    monkeypatch.setenv("MNE_DATA", str(tmp_path))
    loaded = load_data(DataOptions(moabb="FakeDataset", subjects=("1", "2")))
    assert (loaded.reader, loaded.paradigm) == ("moabb", "mi")
    assert loaded.dataset.startswith("FakeDataset-imagery")  # the MOABB code
    meta = loaded.epochs.metadata
    assert set(meta["subject"]) == {1, 2} and len(meta) == len(loaded.y)
    assert set(loaded.y) == {"fake1", "fake2", "fake3"}  # FakeDataset's own events
    assert (loaded.y == meta["label"].astype(str).to_numpy()).all()
