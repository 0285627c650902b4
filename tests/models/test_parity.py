"""For every model, FMEmbedder's embedding equals a bare braindecode forward (1e-5).

The bare side rebuilds the braindecode network independently, loads the same weights,
and reads features through the model's own API, pooled by hand.
"""

import numpy as np
import pytest
import torch

from sklearn_eegfm import FMEmbedder
from sklearn_eegfm.models._contracts import CONTRACTS

pytestmark = [
    pytest.mark.filterwarnings("ignore::sklearn_eegfm.RandomWeightsWarning"),
    pytest.mark.slow,
]


def _luna(net, x, b):
    net.final_layer = torch.nn.Identity()  # LUNA's documented way to expose the latent
    return net(x).mean(1)


BARE = {
    "cbramod": lambda net, x, b: net(x, return_features=True)["features"].mean((1, 2)),
    "labram": lambda net, x, b: net(x, return_features=True, ch_names=b.model_ch_names)[
        "features"
    ].mean(1),
    "biot": lambda net, x, b: net(x, return_features=True)["features"],
    "eegpt": lambda net, x, b: net(x, return_features=True)["features"].mean(1),
    "reve": lambda net, x, b: net(
        x,
        pos=torch.tensor(b.positions, dtype=torch.float32)[None].expand(len(x), -1, -1),
        return_features=True,
    )["features"].mean((1, 2)),
    "luna": _luna,
    "signaljepa": lambda net, x, b: net(x, return_features=True)["features"].mean(1),
    "bendr": lambda net, x, b: net(x, return_features=True)["features"],
    "codebrain": lambda net, x, b: net(x, return_features=True)["features"].mean((1, 2)),
    "eegdino": lambda net, x, b: net(x, return_features=True)["features"].mean(1),
    "steegformer": lambda net, x, b: net(x, return_features=True)["features"].mean(1),
}


def test_every_contract_has_a_bare_recipe():
    assert set(BARE) == set(CONTRACTS)


@pytest.mark.parametrize("name", sorted(CONTRACTS))
def test_embedding_equals_bare_forward(name, eegmmidb_epochs):
    epochs = eegmmidb_epochs[:3]
    emb = FMEmbedder(name, weights=None, channel_policy="interpolate", cache=None).fit(epochs)
    b = emb.backbone_
    x = b.prepare((epochs.get_data() * 1e6).astype(np.float32))
    net = b._construct().eval()
    net.load_state_dict(emb.model_.state_dict())
    with torch.no_grad():
        ref = BARE[name](net, x, b).numpy()
    np.testing.assert_allclose(emb.transform(epochs), ref, rtol=1e-5, atol=1e-5)
