"""sklearn-eegfm compare --recipe MODEL: the authors' preparation before epoching."""

from pathlib import Path

import mne
import numpy as np
import pytest

from sklearn_eegfm import apply_recipe, cli
from sklearn_eegfm.datasets import standard_montage
from sklearn_eegfm.models import get_contract

RUN = Path(__file__).parents[2] / ".." / "shared" / "data" / "eegmmidb" / "S001" / "S001R04.edf"
needs_run = pytest.mark.skipif(not RUN.is_file(), reason=f"{RUN} (shared real data) absent")


class _Stop(Exception):
    pass


@pytest.fixture
def epochs_asked(monkeypatch, tmp_path):
    """Run the command up to compare(); return the epochs it would evaluate."""
    from sklearn_eegfm import evaluation

    seen = {}

    class Harness:
        def __getattr__(self, name):
            return getattr(evaluation, name)

        def compare(self, pipelines, epochs, y=None, **kwargs):
            seen["epochs"], seen["y"] = epochs, y
            raise _Stop

    monkeypatch.setattr(cli, "_harness", Harness)
    monkeypatch.setenv("SKLEARN_EEGFM_HOME", str(tmp_path / "empty_cache"))

    def run(*argv):
        with pytest.raises(_Stop):
            cli.main(["compare", "--out", str(tmp_path / "out"), *argv])
        return seen["epochs"]

    return run


def _by_hand(model, rename):
    """The authors' way, by hand: the recording prepared, then cut around T1/T2."""
    raw = mne.io.read_raw_edf(RUN, preload=True, verbose=False)
    rename(raw)
    raw.set_montage(standard_montage(), match_case=False, verbose=False)
    raw = apply_recipe(raw, model, verbose=False)
    events, _ = mne.events_from_annotations(raw, {"T1": 1, "T2": 2}, verbose=False)
    epochs = mne.Epochs(
        raw, events, {"left_fist": 1, "right_fist": 2}, 1.0, 4.0, baseline=None,
        picks="eeg", preload=True, verbose=False,
    )  # fmt: skip
    return epochs, events


def _standardize(raw):
    mne.datasets.eegbci.standardize(raw)


def _strip_dots(raw):
    raw.rename_channels(lambda name: name.rstrip("."))


@needs_run
@pytest.mark.parametrize(
    ("model", "reader", "rename"),
    [
        ("cbramod", ["--reader", "eegmmidb", "--runs", "4"], _standardize),
        ("luna", ["--reader", "raw", "--event-id", "T1=left_fist,T2=right_fist"], _strip_dots),
    ],
)
def test_recipe_epochs_equal_apply_recipe_then_epoching(epochs_asked, model, reader, rename):
    # The command's epochs are those of apply_recipe on the continuous recording, then
    # epoching, as in the authors' scripts: same rate, same samples, no band-pass on top.
    epochs = epochs_asked(
        "--data", str(RUN), *reader, "--tmin", "1", "--tmax", "4", "--recipe", model,
        "--pipelines", f"csp,fm-{model}", "--weights", "random",
        "--protocol", "within-subject",
    )  # fmt: skip
    expected, events = _by_hand(model, rename)
    rate = dict(get_contract(model).recipe)["resample"]["sfreq"]
    assert epochs.info["sfreq"] == expected.info["sfreq"] == rate
    assert epochs.ch_names == expected.ch_names
    assert len(epochs) == len(events) == 15
    labels = np.where(events[:, 2] == 1, "left_fist", "right_fist")
    np.testing.assert_array_equal(epochs.metadata["label"], labels)
    np.testing.assert_allclose(epochs.get_data(), expected.get_data(), rtol=0, atol=1e-15)


def _args(*argv):
    return cli.build_parser().parse_args(["compare", *argv])


def test_models_sharing_the_recipe_run_together():
    args = _args("--models", "cbramod,codebrain,eegdino,reve", "--recipe", "cbramod")
    preprocess, note = cli._recipe(cli._harness(), args)
    assert preprocess.keywords["model"] == "cbramod"
    assert "raw.notch_filter(freqs=60.0)" in note and "preprocessing_physio.py" in note
    # BENDR's authors did not filter: the recipe is to leave the recording as it is.
    _, note = cli._recipe(cli._harness(), _args("--models", "bendr", "--recipe", "bendr"))
    assert "nothing: they did not filter" in note


@pytest.mark.parametrize(
    ("argv", "fragments"),
    [
        (["--models", "cbramod,labram", "--recipe", "cbramod"],
         ["labram (raw.filter(l_freq=0.1", "--models labram --recipe labram"]),
        (["--pipelines", "csp,fm-luna", "--recipe", "cbramod"], ["luna (", "own --recipe"]),
        (["--recipe", "femba_base", "--pipelines", "csp"], ["not recorded"]),
        (["--recipe", "cbramod", "--resample", "128"], ["to 200 Hz", "drop --resample"]),
        (["--recipe", "nomodel"], ["Unknown model 'nomodel'"]),
        (["--moabb", "BNCI2014_001", "--recipe", "cbramod", "--pipelines", "csp"],
         ["--reader moabb reads epochs already cut", "apply_recipe"]),
    ],
)  # fmt: skip
def test_recipe_refusals_name_the_fix(argv, fragments, tmp_path, capsys):
    assert cli.main(["compare", "--out", str(tmp_path), *argv]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1, err
    for fragment in fragments:
        assert fragment in err
