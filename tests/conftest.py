"""Shared fixtures: real data from ../shared/data and small synthetic epochs."""

import os
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = Path(os.environ.get("SKLEARN_EEGFM_SHARED_DATA", ROOT.parent / "shared" / "data"))
P300_DIR = SHARED_DATA / "eeg-notebooks" / "visual_p300"
EEGMMIDB_DIR = SHARED_DATA / "eegmmidb" / "S001"


def _require(path):
    if not path.exists():
        pytest.skip(f"real data not found at {path} (set SKLEARN_EEGFM_SHARED_DATA)")
    return path


@pytest.fixture(scope="session")
def p300_dir():
    return _require(P300_DIR)


@pytest.fixture(scope="session")
def eegmmidb_dir():
    return _require(EEGMMIDB_DIR)


@pytest.fixture(scope="session")
def p300_epochs(p300_dir):
    """Two real runs from two subjects (2017 'Marker' and 2018 'Marker0' files)."""
    from sklearn_eegfm.datasets import read_muse_csv

    files = [
        next(iter(sorted((p300_dir / "subject1" / "session1").glob("*.csv.gz")))),
        next(iter(sorted((p300_dir / "subject4" / "session1").glob("*.csv.gz")))),
    ]
    return read_muse_csv(files)


@pytest.fixture(scope="session")
def eegmmidb_epochs(eegmmidb_dir):
    """Imagined left vs right fist, subject 1, runs 4/8/12 (64 channels, 160 Hz)."""
    from sklearn_eegfm.datasets import load_eegmmidb

    return load_eegmmidb(eegmmidb_dir, runs=(4, 8, 12))


@pytest.fixture
def make_epochs():
    """Factory for small synthetic EEG epochs in volts (std ~20 uV)."""

    def make(
        n_epochs=12,
        ch_names=("Fz", "Cz", "Pz", "Oz"),
        sfreq=256.0,
        n_times=256,
        seed=0,
        montage=True,
        metadata=True,
    ):
        import mne
        import pandas as pd

        rng = np.random.default_rng(seed)
        data = rng.standard_normal((n_epochs, len(ch_names), n_times)) * 20e-6
        info = mne.create_info(list(ch_names), sfreq, "eeg")
        events = np.column_stack(
            [
                np.arange(n_epochs) * (n_times + 10),
                np.zeros(n_epochs, int),
                1 + np.arange(n_epochs) % 2,
            ]
        )
        meta = None
        if metadata:
            meta = pd.DataFrame({"subject": 1 + np.arange(n_epochs) % 3, "session": 1})
        epochs = mne.EpochsArray(
            data, info, events=events, event_id={"a": 1, "b": 2}, metadata=meta, verbose=False
        )
        if montage:
            from sklearn_eegfm.datasets import standard_montage

            epochs.set_montage(standard_montage(), on_missing="ignore", verbose=False)
        return epochs

    return make


@pytest.fixture(scope="session")
def p300_long(p300_dir):
    """Real P300 epochs, -0.1..1.0 s (long enough for 1-s patch models), both classes.

    36 epochs from two subjects (subject 1: 2017 files, subject 4: 2018 files).
    """
    from sklearn_eegfm.datasets import read_muse_csv

    files = [
        sorted((p300_dir / "subject1" / "session1").glob("*.csv.gz"))[0],
        sorted((p300_dir / "subject4" / "session1").glob("*.csv.gz"))[0],
    ]
    epochs = read_muse_csv(files, tmax=1.0)
    meta = epochs.metadata.reset_index(drop=True)
    keep = []
    for _, rows in meta.groupby(["subject", "label"]):
        keep += list(rows.index[:9])
    return epochs[sorted(keep)]


@pytest.fixture(scope="session")
def muse_ssvep_dir(p300_dir, tmp_path_factory):
    """Factory: Muse SSVEP CSVs built from real P300 background (no SSVEP is shared).

    ``make(amplitude)`` rewrites subject 1's first two P300 runs (2017 ``Marker``
    files) in their own format with eeg-notebooks' SSVEP timing: a flicker of 3 s
    after 0.5-0.7 s pauses, marker 1 = 30 Hz and 2 = 20 Hz, the P300 markers dropped.
    During each flicker a phase-locked response of ``amplitude`` µV (and half that at
    the second harmonic) is added, full on TP9/TP10 and half on AF7/AF8; the
    background is real EEG of 5-60 µV standard deviation.
    """
    import pandas as pd

    made = {}

    def make(amplitude):
        if amplitude in made:
            return made[amplitude]
        root = tmp_path_factory.mktemp(f"muse_ssvep_{amplitude:g}")
        rng = np.random.default_rng(27)
        gains = {"TP9": 1.0, "AF7": 0.5, "AF8": 0.5, "TP10": 1.0}
        for src in sorted((p300_dir / "subject1" / "session1").glob("*.csv.gz"))[:2]:
            df = pd.read_csv(src)
            df["Marker"] = 0
            onset = 256
            while True:
                onset += int((0.5 + rng.uniform(0, 0.2)) * 256)
                stop = onset + 3 * 256
                if stop >= len(df):
                    break
                code = int(rng.integers(1, 3))
                freq, phase = {1: (30.0, 1.1), 2: (20.0, 0.3)}[code]
                phase += rng.normal(0, 0.3)
                t = np.arange(stop - onset) / 256.0
                wave = np.sin(2 * np.pi * freq * t + phase)
                wave += 0.5 * np.sin(4 * np.pi * freq * t + 2 * phase)
                df.loc[onset, "Marker"] = code
                for ch, gain in gains.items():
                    df.loc[onset : stop - 1, ch] += amplitude * gain * wave
                onset = stop
            dest = root / "subject1" / "session1" / src.name
            dest.parent.mkdir(parents=True, exist_ok=True)
            df.to_csv(dest, index=False, float_format="%.3f")
        made[amplitude] = root
        return root

    return make
