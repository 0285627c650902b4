"""MOABB interop: our estimators inside MOABB evaluations, and MOABB data in compare()."""

import numpy as np
import pytest

moabb = pytest.importorskip("moabb")

pytestmark = [
    pytest.mark.filterwarnings("ignore::sklearn_eegfm.RandomWeightsWarning"),
    # MOABB's own deprecations and log plumbing, not ours
    pytest.mark.filterwarnings("ignore::DeprecationWarning"),
    pytest.mark.filterwarnings("ignore::FutureWarning"),
    pytest.mark.filterwarnings("ignore::RuntimeWarning:moabb.*"),
    pytest.mark.filterwarnings("ignore:Creating a dataset without passing data or dtype"),
]


@pytest.fixture
def moabb_env(tmp_path, monkeypatch):
    monkeypatch.setenv("MNE_DATA", str(tmp_path))
    monkeypatch.setenv("MOABB_RESULTS", str(tmp_path))
    from moabb.datasets.fake import FakeDataset
    from moabb.paradigms import LeftRightImagery

    dataset = FakeDataset(
        event_list=["left_hand", "right_hand"],
        n_subjects=2,
        n_sessions=1,
        n_runs=1,
        duration=60,
        paradigm="imagery",
        channels=("C3", "Cz", "C4", "Fz", "Pz"),
        sfreq=128,
    )
    return LeftRightImagery(tmin=0, tmax=2), dataset, tmp_path


def test_estimators_run_inside_a_moabb_evaluation(moabb_env):
    from moabb.evaluations import WithinSessionEvaluation
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    from sklearn_eegfm import FMEmbedder, LinearProbe, make_riemannian_pipeline

    paradigm, dataset, tmp = moabb_env
    pipes = {
        "fm": make_pipeline(
            FMEmbedder("cbramod", weights=None),
            StandardScaler(),
            LogisticRegression(C=0.1, max_iter=1000),
        ),
        "probe": LinearProbe("labram", weights=None),
        "mi": make_riemannian_pipeline("mi"),
    }
    evaluation = WithinSessionEvaluation(
        paradigm=paradigm,
        datasets=[dataset],
        overwrite=True,
        hdf5_path=str(tmp),
        return_epochs=True,
        save_model=False,
    )
    res = evaluation.process(pipes)
    assert set(res["pipeline"]) == set(pipes) and np.isfinite(res["score"]).all()


def test_compare_takes_a_moabb_paradigm_and_dataset(moabb_env):
    from sklearn_eegfm import make_riemannian_pipeline
    from sklearn_eegfm.evaluation import compare

    paradigm, dataset, _ = moabb_env
    res = compare(
        {"mi": make_riemannian_pipeline("mi")},
        (paradigm, dataset),
        protocol="loso",
        metrics=("balanced_accuracy",),
    )
    assert set(res["subject"]) == {1, 2} and res["dataset"].iloc[0] == dataset.code
