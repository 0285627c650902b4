"""Throughput (epochs/s) of every model on this machine, random weights, CPU.

Input: EEGMMIDB subject 1, 64 channels at 160 Hz, 4-s epochs, channel_policy="interpolate"
(each model gets its own channels, rate and window). Run: python benchmarks/bench_throughput.py
"""

import torch
from _common import epochs_per_second, mmi_epochs, quiet

from sklearn_eegfm.models._registry import CONTRACTS

if __name__ == "__main__":
    quiet()
    epochs = mmi_epochs()[:32]
    print(f"torch threads: {torch.get_num_threads()}")
    print(f"{'model':11s} {'batch':>5s} {'model input':>38s} {'epochs/s':>9s}")
    for name in CONTRACTS:
        emb, rate = epochs_per_second(name, epochs)
        print(f"{name:11s} {16:5d} {emb.contract_report_['model_input']:>38s} {rate:9.1f}")
