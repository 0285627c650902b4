"""Every performance figure of the package in one run: a table on screen and a CSV.

Sections (each row: section, case, value, unit, detail):

1. ``matmul``: the machine's fp32 matrix-multiply ceiling (GFLOP/s), measured here, so
   that the throughputs below read against what this CPU can do.
2. ``throughput``: epochs per second of every model (random weights, 64 EEGMMIDB
   channels x 4 s at 160 Hz, batch 16) and the GFLOP/s that rate achieves (FLOPs counted
   by ``torch.utils.flop_counter``), as a share of the ceiling.
3. ``overhead``: ``FMEmbedder.transform`` against a bare forward of the same prepared
   tensors, per model, on small (4 P300 channels x 1 s) and large (64 channels x 4 s)
   input. Goal: <= 1.10x.
4. ``grid``: GridSearchCV (5 folds x 10 values of C) over FMEmbedder + scaler + logistic
   regression, in *embedding passes of foundation-model work*: (grid time - the same
   grid over precomputed embeddings) / one embedding pass, for ``EpochsData`` and plain
   ``mne.Epochs``. Goal: <= 1.2 passes on EpochsData. CPU time of this process is
   used (wall time in the detail), which holds up better than wall time on a busy machine.
5. ``tta``: seconds per target domain of each adapter and alignment (P300, 2 source and
   2 target subjects), next to the unadapted prediction.
6. ``finetune``: seconds per training step (batch 16) of each FMClassifier strategy.
7. ``tokenizer``: codes per second of each tokenizer's transform (P300 epochs).
8. ``memory``: peak resident memory of ``FMEmbedder.fit_transform`` on 1,000 and 4,000
   epochs, each in a fresh process (flat in the number of epochs when embedding streams
   in batches).

Run (a few minutes on 2 cores; ``--quick`` for a smoke run, ``--sections`` to pick)::

    PYTHONPATH=. OMP_NUM_THREADS=2 python benchmarks/run_all.py --csv doc/guide/performance.csv

The docs' performance page (``doc/guide/performance.rst``) shows the CSV written so.
"""

import argparse
import csv
import json
import platform
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
from _common import best_of, epochs_per_second, mmi_epochs, p300_epochs, quiet

ROWS = []


def row(section, case, value, unit, detail=""):
    ROWS.append({"section": section, "case": case, "value": value, "unit": unit, "detail": detail})
    print(f"{section:10s} {case:34s} {value:>10.4g} {unit:12s} {detail}", flush=True)


def matmul_ceiling(n=1024, repeat=5):
    import torch

    a, b = torch.randn(n, n), torch.randn(n, n)
    (t,) = best_of(lambda: a @ b, repeat=repeat)
    gflops = 2 * n**3 / t / 1e9
    row("matmul", f"fp32 {n}x{n}, {torch.get_num_threads()} threads", gflops, "GFLOP/s")
    return gflops


def throughput(models, ceiling, n_epochs):
    import torch
    from torch.utils.flop_counter import FlopCounterMode

    epochs = mmi_epochs()[:n_epochs]
    for name in models:
        emb, rate = epochs_per_second(name, epochs)
        x = emb.backbone_.prepare((epochs[:1].get_data() * 1e6).astype(np.float32))
        with torch.no_grad(), FlopCounterMode(display=False) as counter:
            emb.backbone_.embed(x)
        achieved = counter.get_total_flops() * rate / 1e9
        row(
            "throughput",
            name,
            rate,
            "epochs/s",
            f"{achieved:.1f} GFLOP/s = {100 * achieved / ceiling:.0f}% of the matmul ceiling; "
            f"input {emb.contract_report_['model_input']}",
        )


def overhead(models, n_small, n_large, repeat):
    import torch

    from sklearn_eegfm import FMEmbedder

    inputs = {
        "small (4 ch x 1 s)": p300_epochs(n=n_small),
        "large (64 ch x 4 s)": mmi_epochs()[:n_large],
    }
    for label, epochs in inputs.items():
        data = (epochs.get_data() * 1e6).astype(np.float32)
        for name in models:
            emb = FMEmbedder(
                name, weights=None, channel_policy="interpolate", cache=None, batch_size=32
            ).fit(epochs)
            backbone, net = emb.backbone_, emb.model_
            batches = [backbone.prepare(data[s : s + 32]) for s in range(0, len(data), 32)]

            def bare(backbone=backbone, net=net, batches=batches):
                with torch.no_grad():
                    for x in batches:
                        backbone.pool(*backbone.contract.features(net, x, backbone))

            emb.transform(epochs)  # warm-up
            (t_once,) = best_of(bare, repeat=1)
            # Light networks get more rounds (up to 4x, about 2 s each side): their
            # ratios are the ones a few milliseconds of load can move.
            rounds = max(repeat, min(4 * repeat, int(2.0 / max(t_once, 1e-3))))
            t_fm, t_bare = best_of(
                lambda emb=emb, epochs=epochs: emb.transform(epochs), bare, repeat=rounds
            )
            threads = torch.get_num_threads()
            row(
                "overhead",
                f"{name}, {label}",
                t_fm / t_bare,
                "x bare",
                f"{len(epochs)} epochs, {threads} thread{'s' if threads > 1 else ''}, "
                f"best of {rounds}",
            )


def _precomputed(table):
    """A transformer that looks rows up in a precomputed table (the grid's non-FM work)."""
    from sklearn.preprocessing import FunctionTransformer

    return FunctionTransformer(lambda idx: table[np.asarray(idx)])


def _timed(fn):
    c0, w0 = time.process_time(), time.perf_counter()
    fn()
    return time.process_time() - c0, time.perf_counter() - w0


def grid_work(cases, with_epochs):
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import GridSearchCV, StratifiedKFold
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import StandardScaler

    def grid(first):
        steps = [first, ("scale", StandardScaler()), ("clf", LogisticRegression(max_iter=2000))]
        return GridSearchCV(
            Pipeline(steps), {"clf__C": np.logspace(-3, 2, 10)}, cv=StratifiedKFold(5)
        )

    import torch
    from threadpoolctl import threadpool_limits

    # One thread (torch, BLAS, OpenMP): with more, spin-waits between the folds' small
    # batches and the heads' small solves count as CPU time and inflate the ratio
    # (a benchmark-only setting, restored below).
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        with threadpool_limits(limits=1):
            _grid_cases(cases, with_epochs, grid)
    finally:
        torch.set_num_threads(threads)


def _grid_cases(cases, with_epochs, grid):
    from sklearn_eegfm import EpochsData, FMEmbedder
    from sklearn_eegfm.models import EmbeddingCache

    for label, epochs, y, model, kw in cases:
        X = EpochsData.from_epochs(epochs)

        def embed(X=X, model=model, kw=kw, cache=None):
            return FMEmbedder(model, weights=None, cache=cache, **kw).fit_transform(X)

        embed(X[:2])  # warm-up
        once = min(_timed(embed) for _ in range(2))
        table, idx = embed(), np.arange(len(y))
        heads = _timed(lambda t=table, i=idx, y=y: grid(("fm", _precomputed(t))).fit(i, y))
        inputs = {"EpochsData": X, "mne.Epochs": epochs} if with_epochs else {"EpochsData": X}
        for kind, data in inputs.items():
            EmbeddingCache.clear_memory()
            fm = FMEmbedder(model, weights=None, **kw)
            total = _timed(lambda d=data, fm=fm, y=y: grid(("fm", fm)).fit(d, y))
            passes = (total[0] - heads[0]) / once[0]
            row(
                "grid",
                f"{model}, {label}, X={kind}",
                passes,
                "passes",
                f"one pass {once[1]:.2f} s wall, grid {total[1]:.2f} s wall, heads alone "
                f"{heads[1]:.2f} s wall (CPU time used for the ratio)",
            )


def tta(n_per_subject):
    """Adapters around EEGNet, 2 source subjects, 2 target subjects (domains from metadata)."""
    from _common import SHARED

    from sklearn_eegfm.datasets import read_muse_csv
    from sklearn_eegfm.evaluation.pipelines import SUFFIXES, make_named_pipeline

    epochs = read_muse_csv(SHARED / "eeg-notebooks" / "visual_p300", tmax=1.0, verbose=False)
    meta = epochs.metadata.reset_index(drop=True)
    keep = sorted(i for _, rows in meta.groupby("subject") for i in rows.index[:n_per_subject])
    epochs, meta = epochs[keep], meta.iloc[keep].reset_index(drop=True)
    source = np.flatnonzero(meta.subject.isin([1, 2]))
    target = np.flatnonzero(meta.subject.isin([3, 4]))
    y = meta.target.to_numpy()
    names = ["eegnet"] + [
        "eegnet+recenter+stretch" if s == "stretch" else f"eegnet+{s}"
        for s in sorted(set(SUFFIXES) - {"norm"})  # "norm" is an alias of "adabn"
    ]
    for name in names:
        est = make_named_pipeline(name, fast=True).fit(epochs[source], y[source])
        _, wall = _timed(lambda est=est: est.predict(epochs[target]))
        row("tta", name, wall / 2, "s/domain", f"{len(target)} epochs in 2 target domains")


def finetune_steps(strategies, n_epochs):
    from sklearn_eegfm import FMClassifier

    epochs = p300_epochs(n=n_epochs)
    y = epochs.metadata["target"].to_numpy()
    for strategy in strategies:
        clf = FMClassifier(
            "cbramod",
            finetune=strategy,
            weights=None,
            max_epochs=2,
            batch_size=16,
            valid_size=None,
            random_state=0,
        ).fit(epochs, y)
        steps = int(np.ceil(len(y) / 16))
        per_step = np.median([h["dur"] for h in clf.history_]) / steps
        row(
            "finetune",
            f"cbramod {strategy}",
            per_step,
            "s/step",
            f"{clf.n_trainable_params_:,d} trainable of {clf.n_params_:,d}",
        )


def tokenizer_rates(n_epochs):
    from sklearn_eegfm import EpochsData
    from sklearn_eegfm.tokenizers import PatchKMeansTokenizer, RVQTokenizer, VQTokenizer

    X = EpochsData.from_epochs(p300_epochs(n=n_epochs))
    for tok in (
        PatchKMeansTokenizer(n_codes=64),
        VQTokenizer(n_codes=64, max_epochs=1),
        RVQTokenizer(n_codes=64, n_levels=2, max_epochs=1),
    ):
        tok.fit(X)
        (t,) = best_of(lambda tok=tok: tok.transform(X), repeat=3)
        n_codes = np.asarray(tok.transform(X[:1])).size * len(X)
        row("tokenizer", type(tok).__name__, n_codes / t, "codes/s", f"{len(X)} epochs")


_MEMORY_CHILD = """
import json, sys, threading, warnings
import numpy as np, psutil
from sklearn_eegfm import FMEmbedder, RandomWeightsWarning
warnings.simplefilter("ignore", RandomWeightsWarning)
n = int(sys.argv[1])
X = np.random.default_rng(0).standard_normal((n, 4, 256)).astype(np.float32) * 20
emb = FMEmbedder("cbramod", weights=None, cache=None, sfreq=256.0,
                 ch_names=["TP9", "AF7", "AF8", "TP10"], units="uV")
emb.fit(X[:2])  # the network is built before the measured call
proc, stop = psutil.Process(), threading.Event()
base = peak = proc.memory_info().rss
def sample():
    global peak
    while not stop.wait(0.005):
        peak = max(peak, proc.memory_info().rss)
thread = threading.Thread(target=sample)
thread.start()
emb.fit_transform(X)
stop.set()
thread.join()
print(json.dumps({"base": base, "peak": max(peak, proc.memory_info().rss)}))
"""


def memory(sizes):
    for n in sizes:
        out = subprocess.run(
            [sys.executable, "-c", _MEMORY_CHILD, str(n)],
            capture_output=True,
            text=True,
            check=True,
        )
        rss = json.loads(out.stdout.strip().splitlines()[-1])
        row(
            "memory",
            f"cbramod fit_transform, {n} epochs",
            (rss["peak"] - rss["base"]) / 2**20,
            "MiB above",
            f"input {n * 4 * 256 * 4 / 2**20:.0f} MiB; process "
            f"{rss['base'] / 2**20:.0f} MiB before (RSS sampled every 5 ms)",
        )


SECTIONS = ("matmul", "throughput", "overhead", "grid", "tta", "finetune", "tokenizer", "memory")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sections", default=",".join(SECTIONS))
    parser.add_argument("--quick", action="store_true", help="tiny sizes: a smoke run")
    parser.add_argument("--csv", default="benchmarks/run_all.csv", help="where to write rows")
    parser.add_argument(
        "--update",
        action="store_true",
        help="keep the CSV's rows of the sections not run (re-measure some sections only)",
    )
    args = parser.parse_args()
    sections = args.sections.split(",")
    quiet()
    import torch

    from sklearn_eegfm.models import CONTRACTS
    from sklearn_eegfm.models._peft import STRATEGIES

    q = args.quick
    import os

    row(
        "machine",
        f"{platform.machine()}, {os.cpu_count()} cores, torch {torch.__version__}",
        torch.get_num_threads(),
        "threads",
        "quick run" if q else "full run",
    )
    row(
        "machine",
        "load average at start (1 min)",
        os.getloadavg()[0],
        "runnable",
        "near 0 on a quiet machine; figures taken under load are not comparable",
    )
    models = sorted(CONTRACTS)
    ceiling = matmul_ceiling() if "matmul" in sections or "throughput" in sections else None
    if "throughput" in sections:
        throughput(models, ceiling, 8 if q else 16)
    if "overhead" in sections:
        overhead(models, 32 if q else 128, 4 if q else 8, 2 if q else 3)
    if "grid" in sections:
        p300 = p300_epochs(n=120 if q else 600)
        mmi = mmi_epochs()
        cases = [
            ("P300 4 ch x 1.1 s", p300, p300.metadata["target"].to_numpy(), "cbramod", {}),
            (
                "EEGMMIDB 64 ch x 4 s",
                mmi,
                mmi.metadata["label"].to_numpy(),
                "labram",
                {"channel_policy": "interpolate"},
            ),
        ]
        grid_work(cases[:1] if q else cases, with_epochs=True)
    if "tta" in sections:
        tta(40 if q else 100)
    if "finetune" in sections:
        finetune_steps(list(STRATEGIES), 32 if q else 64)
    if "tokenizer" in sections:
        tokenizer_rates(64 if q else 512)
    if "memory" in sections:
        memory((200, 800) if q else (1000, 4000))
    row("machine", "load average at end (1 min)", os.getloadavg()[0], "runnable")
    path = Path(args.csv)
    path.parent.mkdir(parents=True, exist_ok=True)
    if args.update and path.is_file():
        with path.open(newline="") as f:
            kept = [r for r in csv.DictReader(f) if r["section"] not in sections]
        ROWS[:0] = [{**r, "value": float(r["value"])} for r in kept]
    with path.open("w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(ROWS[0]))
        writer.writeheader()
        for r in ROWS:
            writer.writerow({**r, "value": f"{r['value']:.4g}"})
    print(f"\n{len(ROWS)} rows written to {path}")


if __name__ == "__main__":
    main()
