"""Fine-tuning strategies of FMClassifier on real P300 and EEGMMIDB data, CPU.

For CBraMod and LaBraM (pretrained weights when found in the local cache, else random
initialisation, said in the output), one short run per strategy on a stratified hold-out
split: balanced accuracy, trainable parameters, seconds per training pass, the memory of
one training step on 16 epochs (weights, gradients, AdamW moments and the activations
saved for backward, counted exactly) and the growth of the process's peak resident
memory during the fit (sampled; allocator reuse between strategies makes it a rough
figure, and the first fit also pays one-time allocations). Then the LoRA/full trainable-parameter
ratio, and the ridge probe against LinearProbe on the same 5 folds.

Small slices keep it to a few minutes on 2 cores:
P300 (eeg-notebooks, Muse, 4 channels, 256 Hz): 64 epochs of -0.1..1.0 s, half targets;
EEGMMIDB S001 imagined left/right fist (runs 4/8/12): 45 epochs, 11 sensorimotor
channels, 0..2 s. Two-thirds train (a fifth of which is the early-stopping split), one
third test.

    PYTHONPATH=. OMP_NUM_THREADS=2 python benchmarks/finetune_modes.py [--epochs 2]
        [--models cbramod,labram] [--datasets p300,eegmmidb] [--strategies lora,full]
"""

import argparse
import threading
import time

import numpy as np
from _common import mmi_epochs, quiet

STRATEGIES = ("head", "last_k", "two_stage", "full", "lora", "ia3", "adalora", "dora", "oft")


def p300():
    from sklearn_eegfm.datasets import load_p300_demo

    epochs = load_p300_demo(tmax=1.0)
    y = epochs.metadata["label"].to_numpy()
    rng = np.random.default_rng(0)
    keep = np.r_[
        rng.choice(np.flatnonzero(y == "target"), 32, replace=False),
        rng.choice(np.flatnonzero(y == "nontarget"), 32, replace=False),
    ]
    keep.sort()
    return epochs[keep], y[keep]


def eegmmidb():
    epochs = mmi_epochs()
    motor = ["FC3", "FC4", "C5", "C3", "C1", "Cz", "C2", "C4", "C6", "CP3", "CP4"]
    epochs = epochs.copy().pick(motor).crop(0.0, 2.0, include_tmax=False)
    return epochs, epochs.metadata["label"].to_numpy()


class PeakRSS:
    """Peak resident memory of this process above its level at entry (MiB), sampled."""

    def __enter__(self):
        import psutil

        self._proc = psutil.Process()
        self.base = self.peak = self._proc.memory_info().rss
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return self

    def _sample(self):
        while not self._stop.wait(0.01):
            self.peak = max(self.peak, self._proc.memory_info().rss)

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()
        self.mib = (self.peak - self.base) / 2**20


def training_memory(clf, x):
    """Memory one training step needs, in MiB, independent of machine load.

    Weights, plus gradients and AdamW's two moments of the trainable parameters, plus
    the activations autograd saves for backward on this batch (counted once per storage,
    parameters excluded).
    """
    import torch

    module = clf.module_.train()
    params = {p.untyped_storage().data_ptr() for p in module.parameters()}
    saved = {}

    def pack(t):
        storage = t.untyped_storage()
        if storage.data_ptr() not in params:
            saved[storage.data_ptr()] = storage.nbytes()
        return t

    try:
        with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
            module(x)
    finally:
        module.eval()
    weights = sum(p.numel() * p.element_size() for p in module.parameters())
    trainable = sum(p.numel() * p.element_size() for p in module.parameters() if p.requires_grad)
    return (weights + 3 * trainable + sum(saved.values())) / 2**20


def weights_for(model):
    from sklearn_eegfm.models import get_contract
    from sklearn_eegfm.models._weights import find_cached

    path = find_cached(get_contract(model))
    return ("auto", f"pretrained ({path})") if path is not None else (None, "RANDOM init")


def run_strategies(name, X, y, model, weights, args):
    from sklearn.metrics import balanced_accuracy_score
    from sklearn.model_selection import train_test_split

    from sklearn_eegfm import FMClassifier

    idx = np.arange(len(y))
    train, test = train_test_split(idx, test_size=1 / 3, stratify=y, random_state=0)
    rows = []
    for strategy in args.strategies:
        clf = FMClassifier(
            model,
            finetune=strategy,
            weights=weights,
            channel_policy="interpolate",
            max_epochs=args.epochs,
            batch_size=16,
            class_weight="balanced",
            random_state=0,
        )
        t0 = time.perf_counter()
        with PeakRSS() as mem:
            clf.fit(X[train], y[train])
        fit = time.perf_counter() - t0
        score = balanced_accuracy_score(y[test], clf.predict(X[test]))
        per_pass = np.mean([r["dur"] for r in clf.history_])
        train_mib = training_memory(clf, clf.adaptation_input(X[train[:16]]))
        rows.append((strategy, clf.n_trainable_params_, clf.n_params_, score, per_pass, fit))
        print(
            f"{name:9s} {model:8s} {strategy:10s} {clf.n_trainable_params_:>10,d} "
            f"{100 * clf.n_trainable_params_ / clf.n_params_:6.2f}% {score:6.3f} "
            f"{per_pass:8.2f} s {len(clf.history_):3d} {train_mib:8.0f} MiB {mem.mib:7.0f} MiB",
            flush=True,
        )
    n = {r[0]: r[1] for r in rows}
    if "lora" in n and "full" in n:
        print(
            f"{name:9s} {model:8s} LoRA/full trainable parameters: {n['lora']:,d} / "
            f"{n['full']:,d} = {n['lora'] / n['full']:.4f}",
            flush=True,
        )


def ridge_vs_linear(name, X, y, model, weights):
    from sklearn.model_selection import StratifiedKFold, cross_val_score

    from sklearn_eegfm import EpochsData, LinearProbe, RidgeProbe

    X = EpochsData.from_epochs(X)
    cv = StratifiedKFold(5, shuffle=True, random_state=0)
    common = {"weights": weights, "channel_policy": "interpolate", "class_weight": "balanced"}
    for probe in (LinearProbe(model, **common), RidgeProbe(model, **common)):
        t0 = time.perf_counter()
        s = cross_val_score(probe, X, y, cv=cv, scoring="balanced_accuracy")
        print(
            f"{name:9s} {model:8s} {type(probe).__name__:12s} balanced accuracy "
            f"{s.mean():.3f} +- {s.std():.3f} (5 folds, {time.perf_counter() - t0:.1f} s)",
            flush=True,
        )


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", default="cbramod,labram")
    parser.add_argument("--strategies", default=",".join(STRATEGIES))
    parser.add_argument("--datasets", default="p300,eegmmidb")
    parser.add_argument("--epochs", type=int, default=2, help="training passes per stage")
    args = parser.parse_args()
    args.strategies = args.strategies.split(",")
    quiet()
    import torch

    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, CPU")
    loaders = {"p300": p300, "eegmmidb": eegmmidb}
    for dataset in args.datasets.split(","):
        X, y = loaders[dataset]()
        print(f"\n{dataset}: {len(y)} epochs, {len(X.ch_names)} channels, {X.times[-1]:.2f} s")
        print(
            f"{'data':9s} {'model':8s} {'strategy':10s} {'trainable':>10s} {'share':>7s} "
            f"{'bacc':>6s} {'s/pass':>10s} {'n':>3s} {'step mem':>12s} {'RSS peak':>11s}"
        )
        for model in args.models.split(","):
            weights, label = weights_for(model)
            print(f"{model}: {label}")
            run_strategies(dataset, X, y, model, weights, args)
            ridge_vs_linear(dataset, X, y, model, weights)


if __name__ == "__main__":
    main()
