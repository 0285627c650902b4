"""FMEmbedder.transform on Epochs at their native rate vs a bare braindecode forward.

The bare forward gets the tensor FMEmbedder would prepare (already resampled, mapped,
cropped and scaled), batch by batch, and pools it the same way; the ratio is the cost
of the input layer, resampling, channel mapping and pooling. Goal: <= 1.10x for
CBraMod, LaBraM and BIOT. Run: python benchmarks/bench_overhead.py
"""

import numpy as np
import torch
from _common import best_of, mmi_epochs, p300_epochs, quiet

from sklearn_eegfm import FMEmbedder


def bench(name, epochs, batch_size=64, **kwargs):
    emb = FMEmbedder(name, weights=None, cache=None, batch_size=batch_size, **kwargs).fit(epochs)
    data = (epochs.get_data() * 1e6).astype(np.float32)
    batches = [
        emb.backbone_.prepare(data[s : s + batch_size]) for s in range(0, len(data), batch_size)
    ]
    net, backbone = emb.model_, emb.backbone_

    def bare():
        with torch.no_grad():
            for x in batches:
                backbone.pool(*backbone.contract.features(net, x, backbone))

    emb.transform(epochs)  # warm-up
    t_fm, t_bare = best_of(lambda: emb.transform(epochs), bare)
    print(
        f"{name:8s} {len(epochs):4d} epochs {emb.contract_report_['model_input']:>38s} "
        f"FMEmbedder {t_fm:6.2f} s  bare {t_bare:6.2f} s  ratio {t_fm / t_bare:5.3f}x"
    )


if __name__ == "__main__":
    quiet()
    torch.manual_seed(0)
    p300 = p300_epochs(n=512)  # smallest input: 4 channels x 1 s, forward ~0.5 ms/epoch
    bench("cbramod", p300)
    bench("labram", p300)
    mmi = mmi_epochs()  # 64 channels x 4 s at 160 Hz
    bench("cbramod", mmi)
    bench("labram", mmi)
    bench("biot", mmi)
