"""FEMBA and LuMamba throughput next to LUNA and CBraMod: windows per second, one run.

22 channels x 5 s at 256 Hz (the TUH TCP derivations FEMBA takes as given; LUNA and
LuMamba place them at their electrodes' midpoints; CBraMod takes any channels),
synthetic 20-uV noise (throughput does not depend on the values), batch 16, random
weights, CPU. Two figures per model: ``FMEmbedder.transform`` end to end (input
preparation included) and the network's forward alone on the prepared batch; each the
best of ``--repeat`` interleaved rounds (see ``_common.best_of``).

Run: OMP_NUM_THREADS=1 python benchmarks/bench_mamba_models.py
"""

import argparse

import mne
import numpy as np
import torch
from _common import best_of, quiet

from sklearn_eegfm import FMEmbedder
from sklearn_eegfm.models._femba import TCP_DERIVATIONS

MODELS = ("femba_tiny", "femba_base", "lumamba", "luna", "cbramod")


def tcp_epochs(n, seed=0):
    rng = np.random.default_rng(seed)
    info = mne.create_info(list(TCP_DERIVATIONS), 256.0, "eeg")
    return mne.EpochsArray(rng.standard_normal((n, 22, 1280)) * 20e-6, info, verbose=False)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--windows", type=int, default=32)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--models", default=",".join(MODELS))
    a = parser.parse_args()
    quiet()
    epochs = tcp_epochs(a.windows)
    names = a.models.split(",")
    embedders, batches = {}, {}
    for name in names:
        emb = FMEmbedder(name, weights=None, batch_size=16, cache=None).fit(epochs)
        embedders[name] = emb
        batches[name] = emb.backbone_.prepare(epochs.get_data(units="uV")[:16].astype("float32"))
        emb.transform(epochs[:2])  # warm-up

    def transform(name):
        return lambda: embedders[name].transform(epochs)

    def forward(name):
        def run():
            with torch.no_grad():
                embedders[name].backbone_.embed(batches[name])

        return run

    ends = best_of(*(transform(n) for n in names), repeat=a.repeat)
    nets = best_of(*(forward(n) for n in names), repeat=a.repeat)
    print(
        f"torch {torch.__version__}, threads {torch.get_num_threads()}; "
        f"{a.windows} windows of 22 ch x 1280 samples at 256 Hz, batch 16, random weights"
    )
    print(
        f"{'model':11s} {'params':>8s} {'model input':>30s} {'windows/s':>10s} {'net win/s':>10s}"
    )
    for name, end, net in zip(names, ends, nets):
        emb = embedders[name]
        n_params = sum(p.numel() for p in emb.model_.parameters()) / 1e6
        print(
            f"{name:11s} {n_params:7.2f}M {emb.contract_report_['model_input']:>30s} "
            f"{a.windows / end:10.1f} {16 / net:10.1f}"
        )


if __name__ == "__main__":
    main()
