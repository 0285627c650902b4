"""Contracts: completeness, lookup, defaults that pass their own validation."""

import pytest

from sklearn_eegfm import get_contract, list_models
from sklearn_eegfm.models._contract import CHANNEL_KINDS, POOLINGS
from sklearn_eegfm.models._registry import CONTRACTS

# Every pretrained foundation model braindecode 1.8 implements.
BRAINDECODE_FMS = {
    "CBraMod",
    "Labram",
    "BIOT",
    "EEGPT",
    "REVE",
    "LUNA",
    "SignalJEPA",
    "BENDR",
    "CodeBrain",
    "EEGDINO",
    "STEEGFormer",
}


def test_every_braindecode_foundation_model_has_a_contract():
    assert BRAINDECODE_FMS <= {c.model_cls for c in CONTRACTS.values()}


def test_list_models_is_generated_from_the_contracts():
    table = list_models()
    assert table["name"].tolist() == list(CONTRACTS)
    for col in ("sfreq", "window_multiple_s", "channels", "units", "weights", "embed_dim"):
        assert table[col].notna().all()


@pytest.mark.parametrize("name", sorted(CONTRACTS))
def test_contract_defaults_are_valid(name):
    c = CONTRACTS[name]
    assert c.channels in CHANNEL_KINDS
    assert c.pooling in c.poolings and set(c.poolings) <= set(POOLINGS)
    assert c.sfreq > 0 and c.patch_len > 0 and c.embed_dim > 0
    assert c.hub_repo and c.hub_files and c.licence and c.pretraining
    if c.channels in ("subset", "fixed", "bipolar"):
        assert len(c.vocabulary) > 0
    if c.channels == "bipolar":
        assert all(len(p) == 2 for p in c.bipolar)
    assert get_contract(name) is c


def test_lookup_is_forgiving_and_unknown_names_get_suggestions():
    assert get_contract("CBraMod").name == "cbramod"
    assert get_contract("LaBraM").name == "labram"
    with pytest.raises(ValueError, match=r"Unknown model 'cbramd'.*Did you mean 'cbramod'"):
        get_contract("cbramd")


def test_every_foundation_model_estimator_shares_the_input_defaults():
    """One input plan: the same channel/length policies by default everywhere."""
    from sklearn_eegfm import FMClassifier, FMEmbedder, LinearProbe, RidgeProbe

    expected = {k: FMEmbedder().get_params()[k] for k in ("channel_policy", "length_policy")}
    for cls in (LinearProbe, RidgeProbe, FMClassifier):
        params = cls().get_params()
        assert {k: params[k] for k in expected} == expected, cls.__name__
