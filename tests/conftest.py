"""Shared fixtures: real data from ../shared/data and small synthetic epochs."""

import os
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = Path(os.environ.get("SKLEARN_EEGFM_SHARED_DATA", ROOT.parent / "shared" / "data"))
P300_DIR = SHARED_DATA / "eeg-notebooks" / "visual_p300"
EEGMMIDB_DIR = SHARED_DATA / "eegmmidb" / "S001"


@pytest.fixture(autouse=True)
def _offline_hub(monkeypatch):
    """Tests never go online: the hub is off unless a test says otherwise."""
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")


# Fixtures that read ../shared/data: every test that uses one (directly or through
# another fixture) is marked real_data, so that none can be missed.
REAL_DATA_FIXTURES = ("p300_dir", "eegmmidb_dir")


NO_DATA = "real data not found"


def _require(path):
    if not path.exists():
        pytest.skip(f"{NO_DATA} at {path} (set SKLEARN_EEGFM_SHARED_DATA)")
    return path


def _in_ci():
    return os.environ.get("CI", "").lower() in ("true", "1")


@pytest.hookimpl(tryfirst=True)  # before -m selects on the marker
def pytest_collection_modifyitems(config, items):
    for item in items:
        if set(REAL_DATA_FIXTURES) & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.real_data)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """In CI (``CI=true``) a real-data test skipped for want of the data is a failure.

    (Skips for other reasons, an optional dependency say, stay skips.)
    """
    outcome = yield
    report = outcome.get_result()
    if not (report.skipped and _in_ci() and item.get_closest_marker("real_data")):
        return
    reason = report.longrepr[-1] if isinstance(report.longrepr, tuple) else str(report.longrepr)
    if NO_DATA in str(reason):
        report.outcome = "failed"
        report.longrepr = (
            f"real-data test skipped in CI ({reason}); CI must run every real-data test: "
            "provide ../shared/data or SKLEARN_EEGFM_SHARED_DATA"
        )


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


# --------------------------------------------------------------------- time budgets
# The whole suite stays under 10 minutes on 2 quiet cores and the quick subset
# (-m "not slow") under 2 (issue 25). Every run prints both figures, measured test by
# test (setup, call and teardown), so that one CI run of the whole suite also says what
# the quick subset costs. With SKLEARN_EEGFM_TEST_BUDGET=enforce (CI, .ci/run) a run
# over budget fails; "over" means over in wall-clock *and* CPU time, so that a busy
# shared machine (wall time inflated, CPU time not) does not fail a suite that fits.
BUDGETS_S = {"whole suite": 600.0, 'quick subset (-m "not slow")': 120.0}
# test id -> (slow, wall s, cpu s), kept in the run's own config
SPENT = pytest.StashKey[dict]()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item, nextitem):
    import resource
    import time

    def cpu():
        usage = [resource.getrusage(w) for w in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)]
        return sum(u.ru_utime + u.ru_stime for u in usage)

    wall0, cpu0 = time.perf_counter(), cpu()
    yield
    item.config.stash.setdefault(SPENT, {})[item.nodeid] = (
        item.get_closest_marker("slow") is not None,
        time.perf_counter() - wall0,
        cpu() - cpu0,
    )


def budget_lines(spent):
    """Wall and CPU seconds of the whole run and of its quick subset, against budgets."""
    quick = [v for v in spent.values() if not v[0]]
    out, over = [], []
    for name, rows in (("whole suite", list(spent.values())), (list(BUDGETS_S)[1], quick)):
        wall, cpu = sum(r[1] for r in rows), sum(r[2] for r in rows)
        budget = BUDGETS_S[name]
        out.append(f"{name}: {wall:.0f} s wall, {cpu:.0f} s CPU (budget {budget:.0f} s)")
        if wall > budget and cpu > budget:
            over.append(name)
    return out, over


def pytest_terminal_summary(terminalreporter):
    spent = terminalreporter.config.stash.get(SPENT, {})
    if spent:
        lines, _ = budget_lines(spent)
        terminalreporter.write_sep("-", "time budgets")
        for line in lines:
            terminalreporter.write_line(line)


def pytest_sessionfinish(session, exitstatus):
    spent = session.config.stash.get(SPENT, {})
    if os.environ.get("SKLEARN_EEGFM_TEST_BUDGET") != "enforce" or not spent:
        return
    _, over = budget_lines(spent)
    if over and exitstatus == 0:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
        print(
            f"\nFAILED: the {' and the '.join(over)} ran over budget in wall-clock and CPU "
            "time. Mark tests over ~3 s @pytest.mark.slow and make them cheaper (tiny "
            "slices, tiny random-init models): see CONTRIBUTING.md, 'Tests'."
        )


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
