"""The recipe of CONTRIBUTING.md held to the code: one module adds a model, nothing else.

A tiny model module is written here, registered at run time, and then appears in
``list_models()``, ``check_epochs()``, the estimators, ``compare()``'s pipeline names and
the CLI's ``--models`` choices with no other edit.
"""

import types

import numpy as np
import pytest
import torch

from sklearn_eegfm import FMEmbedder, check_epochs, cli, get_contract, list_models
from sklearn_eegfm.evaluation.pipelines import make_named_pipeline, pipeline_model
from sklearn_eegfm.models import CONTRACTS, FMContract, register_model
from sklearn_eegfm.models._contract import FidelityCheck
from sklearn_eegfm.models._contract_parts import Times, build_basic, features_grid

pytestmark = pytest.mark.filterwarnings("ignore::sklearn_eegfm.RandomWeightsWarning")


class TinyNet(torch.nn.Module):
    """Patches of 32 samples -> 8-dim tokens, braindecode's ``return_features`` shape."""

    def __init__(self, n_chans, n_times, n_outputs):
        super().__init__()
        self.proj = torch.nn.Linear(32, 8)
        self.final_layer = torch.nn.Linear(8, n_outputs)

    def forward(self, x, return_features=False):
        b, c, t = x.shape
        tokens = self.proj(x.reshape(b, c, t // 32, 32))
        return {"features": tokens} if return_features else self.final_layer(tokens.mean((1, 2)))


def tiny_module():
    """A model module as a contributor writes it: preparation, fidelity, CONTRACT."""
    module = types.ModuleType("sklearn_eegfm_test_tinyfm")
    module.FIDELITY = (FidelityCheck("units", "unverified", "a test model", "none"),)
    module.CONTRACT = FMContract(
        name="tinyfm",
        model_cls="TinyNet",
        sfreq=128.0,
        patch_len=32,
        channels="any",
        units="microvolts",
        scale=Times(1.0),
        build_kwargs=build_basic,
        features=features_grid,
        network=lambda backbone, **kwargs: TinyNet(**kwargs),
        embed_dim=8,
        hub_repo="",
        fidelity=module.FIDELITY,
        licence="MIT",
    )
    return module


@pytest.fixture
def tinyfm():
    contract = register_model(tiny_module())
    try:
        yield contract
    finally:
        CONTRACTS.pop("tinyfm")


def test_a_registered_module_is_a_model_everywhere(tinyfm, make_epochs):
    assert get_contract("TinyFM") is tinyfm
    row = list_models().set_index("name").loc["tinyfm"]
    assert row["embed_dim"] == 8 and "unverified: units" in row["fidelity"]
    epochs = make_epochs(n_epochs=6, sfreq=256.0, n_times=256)
    report = check_epochs(epochs, "tinyfm")
    assert report["model_input"] == "4 channels x 128 samples at 128 Hz"
    emb = FMEmbedder("tinyfm", weights=None, cache=None).fit(epochs)
    assert emb.transform(epochs).shape == (6, 8)
    assert pipeline_model("fm-tinyfm+tent") == "tinyfm"
    assert make_named_pipeline("ridge-tinyfm", weights=None).model == "tinyfm"
    assert "tinyfm" in cli.model_choices()
    parser = cli.build_parser()
    compare = parser._subparsers._group_actions[0].choices["compare"]
    models = next(a for a in compare._actions if "--models" in a.option_strings)
    assert "tinyfm" in models.help
    args = parser.parse_args(["compare", "--models", "tinyfm,cbramod"])
    assert cli._pipeline_names(cli._harness(), args, "erp")[-2:] == ["fm-tinyfm", "fm-cbramod"]


def test_an_unregistered_model_is_nowhere():
    assert "tinyfm" not in CONTRACTS
    assert "tinyfm" not in cli.model_choices()
    with pytest.raises(ValueError, match="Unknown model 'tinyfm'"):
        get_contract("tinyfm")


def test_register_model_refuses_what_is_not_a_model():
    with pytest.raises(TypeError, match="CONTRACT"):
        register_model(types.ModuleType("empty"))


def test_every_zoo_module_defines_its_contract_under_its_own_name():
    from sklearn_eegfm.models import zoo

    modules = zoo.model_modules()
    assert len(modules) == len([n for n in CONTRACTS if n != "tinyfm"]) >= 11
    for module in modules:
        assert module.CONTRACT.name == module.__name__.rpartition(".")[2]
        assert module.CONTRACT.fidelity is module.FIDELITY
    assert np.all([CONTRACTS[m.CONTRACT.name] is m.CONTRACT for m in modules])
