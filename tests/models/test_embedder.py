"""FMEmbedder: exactness against braindecode, cache, CV behaviour, bad input."""

import pickle

import mne
import numpy as np
import pytest
import torch
from sklearn.base import clone
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, LeaveOneGroupOut, cross_val_score
from sklearn.pipeline import Pipeline

from sklearn_eegfm import FMEmbedder, get_contract
from sklearn_eegfm.models._cache import MEMORY_CACHE, EmbeddingCache
from sklearn_eegfm.utils._imports import import_braindecode

pytestmark = pytest.mark.filterwarnings("ignore::sklearn_eegfm.RandomWeightsWarning")


@pytest.fixture
def fresh_cache():
    EmbeddingCache.clear_memory()
    yield
    EmbeddingCache.clear_memory()


def _bare(model_cls, emb, **kwargs):
    """An independent braindecode model with the embedder's weights."""
    net = getattr(import_braindecode("models"), model_cls)(**kwargs).eval()
    net.load_state_dict(emb.model_.state_dict())
    return net


def _resample_on_grid(x, up, down):
    """MNE's FFT resampling of epochs padded by hand by whole multiples of ``down``: the
    authors' resampling of the whole recording keeps every sample on its instant."""
    n = x.shape[-1]
    auto = 2 ** int(np.ceil(np.log2(n + min(n // 8, 100) * 2))) - n  # MNE's npad="auto"
    left = -(-(auto // 2) // down) * down
    right = left + (-(n + 2 * left)) % down
    x = np.pad(x, ((0, 0), (0, 0), (left, right)), mode="edge")
    y = mne.filter.resample(x, up=up, down=down, npad=0, verbose=False)
    return y[..., left * up // down :][..., : round(n * up / down)]


def test_cbramod_equals_a_bare_braindecode_forward(p300_long):
    emb = FMEmbedder("cbramod", weights=None, random_state=1, cache=None).fit(p300_long)
    # Prepared by hand: resample 256 -> 200 Hz (MNE FFT on the grid), crop to 1 s, uV / 100.
    x = (p300_long.get_data() * 1e6).astype(np.float32).astype(np.float64)  # as read: float32 uV
    x = _resample_on_grid(x, up=25, down=32)[..., :200]
    x = x.astype(np.float32) * np.float32(0.01)
    net = _bare("CBraMod", emb, n_chans=4, n_times=200, n_outputs=2)
    with torch.no_grad():
        # The encoder's output: the authors drop proj_out before pooling (issue 10).
        xt = torch.tensor(x, dtype=torch.float32)
        ref = net.encoder(net.patch_embedding(net.rearrange(xt), None))
    np.testing.assert_allclose(emb.transform(p300_long), ref.mean(dim=(1, 2)).numpy(), atol=1e-5)


def test_labram_equals_a_bare_forward_with_channel_names_and_cls(p300_long):
    emb = FMEmbedder("labram", weights=None, pooling="cls", cache=None).fit(p300_long)
    x = (p300_long.get_data() * 1e6).astype(np.float32).astype(np.float64)  # as read: float32 uV
    x = _resample_on_grid(x, up=25, down=32)[..., :200]
    x = x.astype(np.float32) * np.float32(0.01)
    net = _bare("Labram", emb, n_chans=128, n_times=200, n_outputs=2)
    with torch.no_grad():
        ref = net(
            torch.tensor(x, dtype=torch.float32),
            return_features=True,
            ch_names=["TP9", "AF7", "AF8", "TP10"],
        )["cls_token"]
    np.testing.assert_allclose(emb.transform(p300_long), ref.numpy(), atol=1e-5)


def test_biot_equals_a_bare_forward_on_bipolar_derivations(eegmmidb_epochs):
    epochs = eegmmidb_epochs[:6]
    emb = FMEmbedder("biot", weights=None, cache=None).fit(epochs)
    pairs = emb.contract_.bipolar
    x = (epochs.get_data() * 1e6).astype(np.float32).astype(np.float64)
    x = _resample_on_grid(x, up=5, down=4)
    names = [n.upper() for n in epochs.ch_names]
    x = np.stack([x[:, names.index(a)] - x[:, names.index(b)] for a, b in pairs], axis=1)
    x = x[..., :800].astype(np.float32)
    # BIOT utils.py:29-32 adds 1e-8 to the quantile of volts: 0.01 uV
    x = x / (np.quantile(np.abs(x), 0.95, axis=-1, keepdims=True) + 1e-2)
    net = _bare("BIOT", emb, n_chans=16, n_times=800, n_outputs=2, sfreq=200)
    with torch.no_grad():
        ref = net(torch.tensor(x, dtype=torch.float32), return_features=True)["features"]
    np.testing.assert_allclose(emb.transform(epochs), ref.numpy(), atol=1e-5)
    assert emb.backbone_.mapping.counts()["bipolar"] == 16


def test_report_feature_names_and_shapes(p300_long):
    emb = FMEmbedder("cbramod", weights=None).fit(p300_long)
    Z = emb.transform(p300_long)
    assert Z.shape == (len(p300_long), 200) and Z.dtype == np.float32
    assert emb.get_feature_names_out().tolist()[:2] == ["fmembedder0", "fmembedder1"]
    rep = emb.contract_report_
    assert rep["model_input"] == "4 channels x 200 samples at 200 Hz"
    steps = " | ".join(emb.preprocessing_)
    for word in (
        "converted V to uV",
        "resampled: 256 Hz -> 200 Hz",
        "cropped: 221 -> 200",
        "microvolts / 100",
    ):
        assert word in steps
    assert list(emb.ch_names_in_) == ["TP9", "AF7", "AF8", "TP10"]


@pytest.mark.parametrize("pooling", ["mean", "flatten", "channel"])
def test_poolings(p300_long, pooling):
    Z = FMEmbedder("cbramod", weights=None, pooling=pooling).fit_transform(p300_long[:4])
    assert Z.shape[1] == {"mean": 200, "flatten": 4 * 200, "channel": 4 * 200}[pooling]


def test_cls_pooling_is_refused_without_a_cls_token(p300_long):
    with pytest.raises(ValueError, match="supports pooling in"):
        FMEmbedder("cbramod", weights=None, pooling="cls").fit(p300_long)


def test_cache_is_shared_across_clones_and_folds(p300_long, fresh_cache):
    emb = FMEmbedder("cbramod", weights=None).fit(p300_long)
    Z = emb.transform(p300_long)
    assert emb.cache_info() == {"hits": 0, "misses": len(p300_long)}
    twin = clone(emb).fit(p300_long[:10])
    np.testing.assert_array_equal(twin.transform(p300_long[5:15]), Z[5:15])
    assert emb.cache_info() == {"hits": 10, "misses": len(p300_long)}
    # A different setting (weights seed) is a different entry.
    other = FMEmbedder("cbramod", weights=None, random_state=5).fit(p300_long)
    assert not np.allclose(other.transform(p300_long[:3]), Z[:3])
    assert other.cache_info() == {"hits": 0, "misses": 3}


def test_changed_data_is_a_miss(p300_long, fresh_cache):
    emb = FMEmbedder("cbramod", weights=None).fit(p300_long)
    emb.transform(p300_long[:3])
    modified = mne.EpochsArray(p300_long[:3].get_data() * 1.01, p300_long.info, verbose=False)
    emb.transform(modified)
    assert emb.cache_info() == {"hits": 0, "misses": 6}


def test_disk_cache_is_atomic_and_survives_a_new_process_state(p300_long, tmp_path, fresh_cache):
    emb = FMEmbedder("cbramod", weights=None, cache=tmp_path).fit(p300_long)
    Z = emb.transform(p300_long[:5])
    files = sorted(tmp_path.rglob("*.npy"))
    assert len(files) == 5 and not list(tmp_path.rglob("*.tmp"))
    EmbeddingCache.clear_memory()
    files[0].write_bytes(b"garbage")  # a torn entry is recomputed, never returned
    # (recomputed alone rather than in a batch of 5: equal up to float32 kernel noise)
    np.testing.assert_allclose(emb.transform(p300_long[:5]), Z, rtol=1e-4, atol=1e-4)
    assert emb.cache_info() == {"hits": 4, "misses": 1}


def test_hashing_costs_far_less_than_embedding(p300_long, fresh_cache):
    import time

    from sklearn_eegfm._data import epoch_fingerprints

    emb = FMEmbedder("cbramod", weights=None, cache=None).fit(p300_long)
    data = (p300_long.get_data() * 1e6).astype(np.float32)
    t0 = time.perf_counter()
    epoch_fingerprints(data)
    t1 = time.perf_counter()
    emb.transform(p300_long)
    t2 = time.perf_counter()
    assert (t1 - t0) < 0.1 * (t2 - t1)


def test_every_fold_starts_from_the_same_weights(p300_long, fresh_cache):
    ref = FMEmbedder("cbramod", weights=None, cache=None).fit(p300_long).transform(p300_long)
    first = FMEmbedder("cbramod", weights=None, cache=None).fit(p300_long)
    with torch.no_grad():  # someone trains fold 1's network in place
        next(first.model_.parameters()).add_(1.0)
    second = clone(first).fit(p300_long)
    assert second.model_ is not first.model_
    np.testing.assert_allclose(second.transform(p300_long), ref, atol=1e-6)


def test_backbone_is_frozen_in_eval_mode(p300_long):
    emb = FMEmbedder("cbramod", weights=None).fit(p300_long)
    assert not emb.model_.training
    assert not any(p.requires_grad for p in emb.model_.parameters())
    fresh = emb.backbone_.new_network()
    assert fresh is not emb.model_ and fresh.training


def test_batches_are_streamed(p300_long, monkeypatch):
    emb = FMEmbedder("cbramod", weights=None, batch_size=8, cache=None).fit(p300_long)
    sizes = []
    original = emb.backbone_.prepare
    monkeypatch.setattr(emb.backbone_, "prepare", lambda x: sizes.append(len(x)) or original(x))
    emb.transform(p300_long)
    assert max(sizes) == 8 and sum(sizes) == len(p300_long)


def test_pickle_round_trip(p300_long):
    emb = FMEmbedder("cbramod", weights=None, cache=None).fit(p300_long)
    back = pickle.loads(pickle.dumps(emb))
    np.testing.assert_allclose(back.transform(p300_long), emb.transform(p300_long), atol=1e-6)


def test_pipeline_with_leave_one_group_out_on_epochs(p300_long, fresh_cache):
    y = p300_long.metadata["target"].to_numpy()
    groups = p300_long.metadata["subject"].to_numpy()
    pipe = Pipeline(
        [("fm", FMEmbedder("cbramod", weights=None)), ("clf", LogisticRegression(max_iter=500))]
    )
    scores = cross_val_score(pipe, p300_long, y, groups=groups, cv=LeaveOneGroupOut())
    assert scores.shape == (2,) and np.isfinite(scores).all()
    # every epoch was embedded once; later folds hit the cache
    stats = list(MEMORY_CACHE._stats.values())[0]
    assert stats.misses == len(p300_long) and stats.hits >= len(p300_long)


def test_grid_search_over_the_head_reuses_embeddings(p300_long, fresh_cache):
    y = p300_long.metadata["target"].to_numpy()
    pipe = Pipeline(
        [("fm", FMEmbedder("cbramod", weights=None)), ("clf", LogisticRegression(max_iter=500))]
    )
    grid = GridSearchCV(pipe, {"clf__C": [0.1, 1.0, 10.0]}, cv=3).fit(p300_long, y)
    assert grid.best_params_["clf__C"] in (0.1, 1.0, 10.0)
    stats = list(MEMORY_CACHE._stats.values())[0]
    assert stats.misses == len(p300_long)


def test_array_input(p300_long):
    x_uv = p300_long.get_data() * 1e6
    a = FMEmbedder(
        "cbramod", weights=None, sfreq=256.0, ch_names=p300_long.ch_names, units="uV", cache=None
    ).fit_transform(x_uv)
    b = FMEmbedder("cbramod", weights=None, cache=None).fit_transform(p300_long)
    np.testing.assert_allclose(a, b, atol=1e-5)
    with pytest.raises(ValueError, match="needs units="):
        FMEmbedder("cbramod", weights=None, sfreq=256.0, ch_names=p300_long.ch_names).fit(x_uv)


@pytest.mark.parametrize("sfreq", [128.0, 250.0, 512.0, 1000.0, 500.0001])
def test_common_and_odd_rates(sfreq, make_epochs):
    epochs = make_epochs(n_epochs=3, sfreq=sfreq, n_times=int(1.5 * sfreq))
    emb = FMEmbedder("cbramod", weights=None, cache=None).fit(epochs)
    assert emb.backbone_.n_times == 200 and emb.transform(epochs).shape == (3, 200)


def test_short_epochs_are_padded_by_default_refused_on_request(p300_dir):
    from sklearn_eegfm.datasets import load_p300_demo

    short = load_p300_demo(tmax=0.8)[:4]  # -0.1..0.8 s: shorter than CBraMod's 1-s patch
    with pytest.warns(UserWarning, match=r"0\.906 s.*zero-padded by 19 samples \(0\.095 s, 10%"):
        emb = FMEmbedder("cbramod", weights=None, cache=None).fit(short)
    assert emb.transform(short).shape == (4, 200)
    steps = " ".join(emb.contract_report_["steps"])
    assert "padded: 181 -> 200 samples" in steps and "19 samples" in steps
    for policy in ("error", "crop"):
        with pytest.raises(ValueError, match=r"0\.906 s.*too short for cbramod.*'pad'"):
            FMEmbedder("cbramod", weights=None, length_policy=policy).fit(short)
    emb = FMEmbedder("cbramod", weights=None, length_policy="pad").fit(short)
    assert any("padded: 181 -> 200" in s for s in emb.preprocessing_)


def test_demo_default_window_fits_every_model(p300_dir):
    import warnings

    from sklearn_eegfm import check_epochs, list_models
    from sklearn_eegfm.datasets import load_p300_demo

    epochs = load_p300_demo()[:2]
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # neither padding nor dropped channels
        for name in list_models()["name"]:
            report = check_epochs(epochs, name, channel_policy="interpolate")
            assert not any(s.startswith("padded") for s in report["steps"]), name


def test_unusable_channels_name_the_working_policy(p300_long):
    with pytest.raises(ValueError, match=r"vocabulary lacks \['TP9', 'AF7', 'AF8', 'TP10'\]"):
        FMEmbedder("eegpt", weights=None, channel_policy="error").fit(p300_long)
    with pytest.raises(ValueError, match=r"needs channels.*channel_policy='interpolate'"):
        FMEmbedder("biot", weights=None).fit(p300_long)


def test_transform_checks_channels_rate_and_length(p300_long, make_epochs):
    emb = FMEmbedder("cbramod", weights=None).fit(p300_long)
    with pytest.raises(ValueError, match="channels differ"):
        emb.transform(p300_long.copy().reorder_channels(["AF7", "TP9", "AF8", "TP10"]))
    with pytest.raises(ValueError, match="samples but"):
        emb.transform(p300_long.copy().crop(0, 0.9))


def test_not_fitted_and_bad_parameters(p300_long):
    from sklearn.exceptions import NotFittedError

    with pytest.raises(NotFittedError):
        FMEmbedder().transform(p300_long)
    with pytest.raises(ValueError, match="Unknown model 'cbramd'"):
        FMEmbedder("cbramd", weights=None).fit(p300_long)
    with pytest.raises(ValueError, match="Invalid channel_policy='interp'.*'interpolate'"):
        FMEmbedder(weights=None, channel_policy="interp").fit(p300_long)
    with pytest.raises(ValueError, match="batch_size"):
        FMEmbedder(weights=None, batch_size=0).fit(p300_long)


def test_set_params_model_rebuilds(p300_long):
    emb = FMEmbedder("cbramod", weights=None).fit(p300_long)
    emb.set_params(model="labram").fit(p300_long)
    assert emb.contract_.name == "labram" and type(emb.model_).__name__ == "Labram"


def test_bipolar_epochs_are_taken_as_given_by_biot(eegmmidb_epochs):
    pairs = get_contract("biot").bipolar
    mono = eegmmidb_epochs[:4]
    names = [n.upper() for n in mono.ch_names]
    data = np.stack(
        [
            mono.get_data()[:, names.index(a)] - mono.get_data()[:, names.index(b)]
            for a, b in pairs
        ],
        axis=1,
    )
    info = mne.create_info([f"{a}-{b}" for a, b in pairs], mono.info["sfreq"], "eeg")
    bip = mne.EpochsArray(data, info, verbose=False)
    from_bipolar = FMEmbedder("biot", weights=None, cache=None).fit(bip)
    from_mono = FMEmbedder("biot", weights=None, cache=None).fit(mono)
    assert "bipolar derivations taken as given" in " ".join(from_bipolar.preprocessing_)
    np.testing.assert_allclose(from_bipolar.transform(bip), from_mono.transform(mono), atol=1e-4)
    # ... and bipolar channels mean nothing to a named-electrode model
    with pytest.raises(ValueError, match="vocabulary lacks"):
        FMEmbedder("labram", weights=None, channel_policy="error").fit(bip)


def test_position_models_refuse_unknown_positions(make_epochs):
    epochs = make_epochs(ch_names=("Cz", "Pz", "X1"), n_times=256)
    epochs.set_montage(None)
    with pytest.raises(ValueError, match=r"no position for \['X1'\].*set_montage"):
        FMEmbedder("reve", weights=None).fit(epochs)
    with pytest.raises(ValueError, match=r"needs electrode positions.*\['X1'\].*set_montage"):
        FMEmbedder("luna", weights=None).fit(epochs)
    # montage set with on_missing="ignore": known names are completed from the template
    ok = make_epochs(ch_names=("Cz", "Pz", "Oz"), n_times=256)
    emb = FMEmbedder("luna", weights=None, cache=None).fit(ok)
    assert np.isfinite(emb.backbone_.positions).all()


def test_dropped_epochs_keep_metadata_aligned(p300_long):
    epochs = p300_long.copy()
    epochs.drop([0, 3, 5], verbose=False)
    emb = FMEmbedder("cbramod", weights=None).fit(epochs)
    assert emb.transform(epochs).shape[0] == len(epochs) == 33
    from sklearn_eegfm._data import as_epochs_data

    assert len(as_epochs_data(epochs).metadata) == 33


def test_single_epoch_transform(p300_long):
    emb = FMEmbedder("cbramod", weights=None).fit(p300_long)
    assert emb.transform(p300_long[0]).shape == (1, 200)


def test_version_and_weights_are_part_of_the_cache_key(p300_long, monkeypatch, fresh_cache):
    import sklearn_eegfm.models.embedder as embedder_module

    emb = FMEmbedder("cbramod", weights=None).fit(p300_long)
    key = emb._cache_key()
    monkeypatch.setattr(embedder_module, "__version__", "999.0")
    assert emb._cache_key() != key
    monkeypatch.undo()
    assert FMEmbedder("cbramod", weights=None, random_state=3).fit(p300_long)._cache_key() != key


def _embed_in_worker(cache_dir, epochs):
    import warnings

    from sklearn_eegfm import RandomWeightsWarning

    warnings.simplefilter("ignore", RandomWeightsWarning)
    return FMEmbedder("cbramod", weights=None, cache=cache_dir).fit_transform(epochs)


@pytest.mark.slow
def test_parallel_workers_share_a_disk_cache_safely(p300_long, tmp_path):
    from joblib import Parallel, delayed

    outs = Parallel(n_jobs=2)(delayed(_embed_in_worker)(tmp_path, p300_long[:8]) for _ in range(2))
    np.testing.assert_allclose(outs[0], outs[1], atol=1e-5)
    files = list(tmp_path.rglob("*.npy"))
    assert len(files) == 8 and not list(tmp_path.rglob("*.tmp"))
    for f in files:
        assert np.load(f).shape == (200,)


def test_check_epochs_reports_the_plan_without_building(p300_long, monkeypatch):
    import sklearn_eegfm.models._backbone as backbone_module
    from sklearn_eegfm import check_epochs

    monkeypatch.setattr(backbone_module.Backbone, "new_network", None)  # must not be called
    report = check_epochs(p300_long, "biot", channel_policy="interpolate")
    assert report["model_input"] == "16 channels x 200 samples at 200 Hz"
    assert len(report["channel_mapping"]) == 16 and report["channel_mapping"][0].startswith(
        "FP1-F7: bipolar"
    )
    assert any("resampled: 256 Hz -> 200 Hz" in s for s in report["steps"])
    with pytest.raises(ValueError, match="channel_policy='interpolate'"):
        check_epochs(p300_long, "biot")


def test_channels_outside_the_vocabulary_are_dropped_by_default(eegmmidb_epochs):
    # EEGPT's 58 pretraining channels lack 6 of the 64 EEGMMIDB channels (AF7, AFz, AF8,
    # T9, T10, Iz; EEGPT engine_pretraining.py:23-31).
    epochs = eegmmidb_epochs[:2]
    with pytest.warns(UserWarning, match=r"eegpt: dropped 6 channel\(s\).*uses the other 58"):
        emb = FMEmbedder("eegpt", weights=None, cache=None).fit(epochs)
    assert len(emb.contract_report_["model_channels"]) == 58
    assert any("dropped" in s and "Iz" in s for s in emb.contract_report_["steps"])
    with pytest.raises(ValueError, match="vocabulary lacks"):
        FMEmbedder("eegpt", weights=None, channel_policy="error").fit(epochs)
    # too few left: 2 named channels among 6 unknown ones
    few = epochs.copy().pick(epochs.ch_names[:8])
    few.rename_channels({n: f"X{i}" for i, n in enumerate(few.ch_names[2:])})
    with pytest.raises(ValueError, match="only 2 of the 8 channels would remain"):
        FMEmbedder("eegpt", weights=None).fit(few)


def test_random_weights_warning_once_per_model_and_seed(p300_long, monkeypatch):
    import warnings

    from sklearn.model_selection import StratifiedKFold
    from sklearn.pipeline import make_pipeline

    from sklearn_eegfm import EpochsData, RandomWeightsWarning
    from sklearn_eegfm.models import embedder

    monkeypatch.setattr(embedder, "_RANDOM_WARNED", set())
    X, y = EpochsData.from_epochs(p300_long), p300_long.metadata["target"].to_numpy()
    pipe = make_pipeline(FMEmbedder("cbramod", weights=None), LogisticRegression())
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("default")
        cross_val_score(pipe, X, y, cv=StratifiedKFold(3))  # 3 folds, one warning
    assert sum(issubclass(w.category, RandomWeightsWarning) for w in caught) == 1
    with pytest.warns(RandomWeightsWarning):  # an explicit check still sees it
        FMEmbedder("cbramod", weights=None).fit(X)
