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


def _seeded_state(model, keep=()):
    """Fill a network's floating tensors by the rule the reference fixtures were made with.

    ``u = default_rng(crc32(key)).uniform(-1, 1, shape)``; 1-D ``...weight``: ``1 + 0.1 u``,
    other 1-D: ``0.1 u``, else ``u * sqrt(3 / prod(shape[1:]))``. Integer tensors and the
    ``keep`` keys stay as built (tests/tokenizers/reference/README.md).
    """
    import zlib

    import torch

    out = {}
    for key, value in model.state_dict().items():
        if not value.is_floating_point() or key in set(keep):
            out[key] = value.clone()
            continue
        shape = tuple(value.shape)
        u = np.random.default_rng(zlib.crc32(key.encode())).uniform(-1, 1, shape)
        if len(shape) == 1:
            v = 1 + 0.1 * u if key.endswith("weight") else 0.1 * u
        else:
            v = u * np.sqrt(3.0 / max(int(np.prod(shape[1:])), 1))
        out[key] = torch.from_numpy(v.astype(np.float32))
    return out


@pytest.fixture(scope="session")
def seeded_state():
    """The seeded weight rule of the reference fixtures (see :func:`_seeded_state`)."""
    return _seeded_state


SHARED_WEIGHTS = SHARED_DATA.parent / "weights"


@pytest.fixture(scope="session")
def tfm_tuev_checkpoint():
    """The authors' TUEV-fine-tuned TFM downstream encoder from ../shared/weights."""
    return _require(SHARED_WEIGHTS / "tfm-tokenizer" / "tfm_encoder_best_model_TUEV.pth")
