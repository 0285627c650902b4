"""Tokenizers on the shared visual P300 data (5 subjects, 4 Muse channels, 256 Hz).

1. Reconstruction error and codebook perplexity against codebook size, fitted on
   subjects 1-3 and measured on held-out subjects 4-5 (PatchKMeansTokenizer, VQTokenizer,
   RVQTokenizer).
2. Time and peak memory per 1,000 epochs (fit and transform), and transform's peak
   memory at 1,000 vs 8,000 epochs (flat when tokenizing streams in batches).
3. BagOfTokens + logistic regression in the comparison harness beside erp-features and
   xdawn+ts, within-subject and leave-one-subject-out.

Run: OMP_NUM_THREADS=1 PYTHONPATH=. python benchmarks/bench_tokenizers.py
[--parts sweep,cost,compare]
[--with-vq] (a few minutes per part on 2 cores; --with-vq adds tok-vq+bag/onehot to the
leave-one-subject-out comparison).
"""

import argparse
import resource
import time
import tracemalloc

import numpy as np
from _common import SHARED

from sklearn_eegfm import EpochsData
from sklearn_eegfm.datasets import read_muse_csv
from sklearn_eegfm.tokenizers import PatchKMeansTokenizer, RVQTokenizer, VQTokenizer


def load():
    epochs = read_muse_csv(SHARED / "eeg-notebooks" / "visual_p300", verbose=False)
    return epochs, EpochsData.from_epochs(epochs)


def sweep(X, subjects):
    train, test = X[np.isin(subjects, [1, 2, 3])], X[np.isin(subjects, [4, 5])]
    print(
        f"\n1. Codebook size sweep: fit on {len(train)} epochs (subjects 1-3; VQ/RVQ: 2000 of "
        f"them), test on "
        f"{len(test)} (subjects 4-5); relative reconstruction error, perplexity, usage"
    )
    print(
        f"{'tokenizer':34s} {'codes':>6s} {'err train':>9s} {'err test':>9s} "
        f"{'perplexity':>10s} {'usage':>6s} {'fit s':>6s}"
    )
    rows = [(PatchKMeansTokenizer, dict(patch_duration=0.125), k) for k in (8, 32, 128, 512)]
    rows += [(PatchKMeansTokenizer, dict(patch_duration=0.125, view="fourier"), 32)]
    # Neural tokenizers: 3 passes over 2,000 training epochs, to stay within minutes.
    neural = dict(max_epochs=3, patch_batch_size=1024)
    rows += [(VQTokenizer, neural, k) for k in (32, 128, 512)]
    rows += [(RVQTokenizer, {**neural, "n_levels": n}, 32) for n in (2, 4)]
    subset = train[np.random.default_rng(0).permutation(len(train))[:2000]]
    for cls, params, k in rows:
        t0 = time.perf_counter()
        data = train if cls is PatchKMeansTokenizer else subset
        tok = cls(n_codes=k, random_state=0, **params).fit(data)
        fit_s = time.perf_counter() - t0
        perp = np.atleast_1d(tok.perplexity(test))
        usage = np.atleast_1d(tok.codebook_usage(test))
        label = cls.__name__ + "".join(
            f" {p}={v}" for p, v in params.items() if p in ("view", "n_levels")
        )
        print(
            f"{label:34s} {k:6d} {tok.reconstruction_error_:9.3f} "
            f"{tok.reconstruction_error(test):9.3f} {'/'.join(f'{p:.1f}' for p in perp):>10s} "
            f"{usage.mean():6.2f} {fit_s:6.1f}"
        )


def _peak(fn):
    """Peak Python/NumPy heap (MiB, tracemalloc) and wall time of fn()."""
    tracemalloc.start()
    t0 = time.perf_counter()
    fn()
    wall = time.perf_counter() - t0
    peak = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    return wall, peak


def cost(X):
    n = 1000
    X1k = X[:n]
    X8k = X[np.arange(8 * n) % len(X)]
    print(
        f"\n2. Cost per {n} epochs (4 channels x 232 samples; 28 tokens per epoch); peak "
        "heap by tracemalloc (NumPy and Python, not torch's own allocator)"
    )
    print(
        f"{'tokenizer':22s} {'fit s':>7s} {'fit MiB':>8s} {'transform s':>11s} "
        f"{'MiB (1k)':>9s} {'MiB (8k)':>9s}"
    )
    for name, tok in [
        ("PatchKMeans k=64", PatchKMeansTokenizer(64, random_state=0)),
        ("VQ k=64, 3 passes", VQTokenizer(64, max_epochs=3, random_state=0)),
        ("RVQ k=32 x 4, 3 passes", RVQTokenizer(32, n_levels=4, max_epochs=3, random_state=0)),
    ]:
        fit_s, fit_mb = _peak(lambda tok=tok: tok.fit(X1k))
        tok.transform(X1k[:10])  # warm-up
        tr_s, tr_mb = _peak(lambda tok=tok: tok.transform(X1k))
        _, tr8_mb = _peak(lambda tok=tok: tok.transform(X8k))
        print(f"{name:22s} {fit_s:7.2f} {fit_mb:8.1f} {tr_s:11.3f} {tr_mb:9.1f} {tr8_mb:9.1f}")
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"(process peak RSS so far, torch included: {rss:.0f} MiB; input data: "
        f"{X8k.data.nbytes / 2**20:.1f} MiB for 8k epochs)"
    )


def harness(epochs, with_vq):
    from sklearn_eegfm.evaluation import compare, make_named_pipeline
    from sklearn_eegfm.evaluation.results import summarize

    names = ["xdawn+ts", "erp-features", "tok-kmeans+bag", "tok-kmeans+onehot"]
    for protocol in ("within-subject", "loso"):
        pipes = {name: make_named_pipeline(name) for name in names}
        if with_vq and protocol == "loso":
            # fast=True: 2 passes per fold, so that 5 folds x 2 pipelines take minutes.
            pipes.update(
                {n: make_named_pipeline(n, fast=True) for n in ("tok-vq+bag", "tok-vq+onehot")}
            )
        t0 = time.perf_counter()
        results = compare(pipes, epochs, protocol=protocol, n_splits=5)
        print(
            f"\n3. compare(protocol={protocol!r}) on {len(epochs)} epochs, "
            f"{time.perf_counter() - t0:.0f} s"
        )
        table = summarize(results)
        print(table[table["metric"].isin(["roc_auc", "balanced_accuracy"])].to_string(index=False))


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--parts", default="sweep,cost,compare")
    parser.add_argument("--with-vq", action="store_true")
    args = parser.parse_args()
    parts = args.parts.split(",")
    epochs, X = load()
    subjects = epochs.metadata["subject"].to_numpy()
    counts = dict(zip(*(v.tolist() for v in np.unique(subjects, return_counts=True))))
    print(f"{len(X)} epochs, subjects {counts}")
    if "sweep" in parts:
        sweep(X, subjects)
    if "cost" in parts:
        cost(X)
    if "compare" in parts:
        harness(epochs, args.with_vq)
