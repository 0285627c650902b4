"""Test-time adaptation and alignment on the shared real data, per target domain.

Two transfers, each scored without any target label:

* P300 (eeg-notebooks visual oddball, Muse, 4 channels): leave-one-subject-out on all 5
  subjects, AUROC of target vs non-target per held-out subject;
* motor imagery (EEGMMIDB S001, imagined left vs right fist, runs 4/8/12): cross-session
  with each run as a session, AUROC per held-out run.

Adapted models: Xdawn+TS (covariances + tangent space for motor imagery), a linear probe
on CBraMod (random weights unless ``--weights`` names a checkpoint: no pretrained weights
are shipped offline) and EEGNet trained from scratch. Every adapter and alignment is run
against the unadapted row; the table prints the AUROC per target domain, the mean, the
change against no adaptation, the mean balanced accuracy (a collapse to one class shows
there, not in the AUROC), the adaptation time per target domain (``adapt_s``, from
``adaptation_report_``) and whether any domain was skipped or collapsed.

Run (on 2 shared cores: P300 with ``--max-per-subject 200`` about 9 min, EEGMMIDB about
6 min; the guide's tables come from these two commands)::

    OMP_NUM_THREADS=1 python benchmarks/bench_adaptation.py --only p300 --max-per-subject 200
    OMP_NUM_THREADS=1 python benchmarks/bench_adaptation.py --only mmi
    python benchmarks/bench_adaptation.py --only p300 --max-per-subject 0  # every epoch
    python benchmarks/bench_adaptation.py --only p300 --pipelines xdawn+ts,xdawn+ts+ea
"""

import argparse
import time
import warnings

import numpy as np
from _common import SHARED, quiet

METRICS = ("roc_auc", "balanced_accuracy")

P300_PIPELINES = (
    "xdawn+ts",
    "xdawn+ts+ea",
    "xdawn+ts+latency",
    "xdawn+ts+recenter",
    "xdawn+ts+recenter+stretch",
    "xdawn+ts+t3a",
    "xdawn+ts+lame",
    "xdawn+ts+ea+t3a",
    "fm-cbramod",
    "fm-cbramod+ea",
    "fm-cbramod+tent",
    "fm-cbramod+t3a",
    "fm-cbramod+lame",
    "fm-cbramod+eata",
    "fm-cbramod+sar",
    "fm-cbramod+shot",
    "eegnet",
    "eegnet+ea",
    "eegnet+adabn",
    "eegnet+tent",
    "eegnet+t3a",
    "eegnet+lame",
    "eegnet+eata",
    "eegnet+sar",
    "eegnet+shot",
)

#: Motor imagery: covariances + tangent space with every label-free alignment or adapter
#: that applies (``latency`` aligns ERP latencies, not MI), the probe and EEGNet with all.
#: ``+adabn`` needs BatchNorm: the foundation models normalise with LayerNorm, so
#: ``fm-cbramod+adabn`` raises (by design) and is left out of both lists.
MMI_PIPELINES = (
    "cov+ts",
    "cov+ts+ea",
    "cov+ts+recenter",
    "cov+ts+recenter+stretch",
    "cov+ts+t3a",
    "cov+ts+lame",
    "fm-cbramod",
    "fm-cbramod+ea",
    "fm-cbramod+tent",
    "fm-cbramod+t3a",
    "fm-cbramod+lame",
    "fm-cbramod+eata",
    "fm-cbramod+sar",
    "fm-cbramod+shot",
    "eegnet",
    "eegnet+ea",
    "eegnet+adabn",
    "eegnet+tent",
    "eegnet+t3a",
    "eegnet+lame",
    "eegnet+eata",
    "eegnet+sar",
    "eegnet+shot",
)


def p300(max_per_subject, seed):
    from sklearn_eegfm.datasets import read_muse_csv

    epochs = read_muse_csv(SHARED / "eeg-notebooks" / "visual_p300", tmax=1.0, verbose=False)
    meta = epochs.metadata.reset_index(drop=True)
    rng = np.random.default_rng(seed)
    keep = []
    for _, rows in meta.groupby("subject"):
        idx = rows.index.to_numpy()
        keep += sorted(rng.permutation(idx)[: max_per_subject or None].tolist())
    return epochs[sorted(keep)]


def mmi():
    from sklearn_eegfm.datasets import load_eegmmidb

    epochs = load_eegmmidb(SHARED / "eegmmidb" / "S001", runs=(4, 8, 12))
    epochs.metadata["session"] = epochs.metadata["run"]
    return epochs


def mmi_pipelines(names, weights=None):
    from sklearn.pipeline import make_pipeline

    from sklearn_eegfm import (
        EuclideanAlignment,
        LAMEAdapter,
        T3AAdapter,
        make_riemannian_pipeline,
    )
    from sklearn_eegfm.evaluation.pipelines import make_named_pipeline

    # "cov+ts" here is the motor-imagery covariance pipeline; other names go by the grammar.

    table = {
        "cov+ts": lambda: make_riemannian_pipeline("mi"),
        "cov+ts+ea": lambda: make_pipeline(EuclideanAlignment(), make_riemannian_pipeline("mi")),
        "cov+ts+recenter": lambda: make_riemannian_pipeline("mi", recenter=True),
        "cov+ts+recenter+stretch": lambda: make_riemannian_pipeline(
            "mi", recenter=True, stretch=True
        ),
        "cov+ts+t3a": lambda: T3AAdapter(make_riemannian_pipeline("mi")),
        "cov+ts+lame": lambda: LAMEAdapter(make_riemannian_pipeline("mi")),
    }
    return {
        n: table[n]() if n in table else make_named_pipeline(n, weights=weights, fast=True)
        for n in names
    }


def report(results, title):
    import pandas as pd

    bacc = results[(results.metric == "balanced_accuracy") & (results.error == "")]
    bacc = bacc.groupby("pipeline")["score"].mean().rename("bacc")
    res = results[results.metric == "roc_auc"].copy()
    errors = res[res.error != ""]
    for name, err in errors.groupby("pipeline")["error"].first().items():
        print(f"  ERROR {name}: {err[:160]}")
    res = res[res.error == ""]
    key = "subject" if res["session"].isna().all() or title.startswith("P300") else "session"
    table = res.pivot_table(index="pipeline", columns=key, values="score")
    table["mean"] = table.mean(axis=1)
    order = [p for p in dict.fromkeys(res.pipeline)]
    table = table.loc[order]
    base_of = {p: p.split("+")[0] if not p.startswith("xdawn") else "xdawn+ts" for p in order}
    base_of.update({p: "cov+ts" for p in order if p.startswith("cov")})
    table["delta"] = [
        table.loc[p, "mean"] - table.loc[base_of[p], "mean"] if base_of[p] in table.index else 0
        for p in order
    ]
    timing = res.groupby("pipeline").agg(
        adapt_s=("adaptation_time", "mean"),
        fit_s=("time", "mean"),
        skipped=("adaptation_skipped", "any"),
        collapsed=("adaptation_collapsed", "any"),
    )
    table = table.join(bacc).join(timing)
    print(
        f"\n{title}: AUROC per target {key}, mean, change vs unadapted, mean balanced"
        " accuracy, mean time per fold (adapt_s: adaptation of one target domain)"
    )
    with pd.option_context("display.width", 200, "display.max_columns", 30):
        print(table.round(3).to_string())


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--only", choices=("p300", "mmi"), default=None)
    parser.add_argument("--pipelines", default=",".join(P300_PIPELINES))
    parser.add_argument(
        "--mmi-pipelines",
        default=",".join(MMI_PIPELINES),
    )
    parser.add_argument("--max-per-subject", type=int, default=300, help="0: every epoch")
    parser.add_argument("--weights", default=None, help="CBraMod weights (default: random)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", default=None, help="CSV prefix for the raw results")
    args = parser.parse_args()
    quiet()
    warnings.simplefilter("ignore", UserWarning)  # collapse/skip are in the table
    from sklearn_eegfm.evaluation import compare
    from sklearn_eegfm.evaluation.pipelines import make_named_pipeline

    if args.weights is None:
        print("fm-cbramod rows: CBraMod with RANDOM weights (no checkpoint offline)")
    if args.only in (None, "p300"):
        epochs = p300(args.max_per_subject, args.seed)
        counts = epochs.metadata["subject"].value_counts().sort_index().to_dict()
        print(f"P300: {len(epochs)} epochs, per subject {counts}")
        pipes = {
            n: make_named_pipeline(n, weights=args.weights, fast=True)
            for n in args.pipelines.split(",")
        }
        t0 = time.perf_counter()
        res = compare(pipes, epochs, protocol="loso", metrics=METRICS, dataset="p300")
        print(f"(P300 LOSO run in {time.perf_counter() - t0:.0f} s)")
        if args.out:
            res.to_csv(f"{args.out}_p300.csv", index=False)
        report(res, "P300 leave-one-subject-out")
    if args.only in (None, "mmi"):
        epochs = mmi()
        print(f"\nEEGMMIDB S001: {len(epochs)} epochs, runs {sorted(set(epochs.metadata.run))}")
        pipes = mmi_pipelines(args.mmi_pipelines.split(","), args.weights)
        t0 = time.perf_counter()
        res = compare(pipes, epochs, protocol="cross-session", metrics=METRICS, dataset="eegmmidb")
        print(f"(EEGMMIDB cross-session run in {time.perf_counter() - t0:.0f} s)")
        if args.out:
            res.to_csv(f"{args.out}_mmi.csv", index=False)
        report(res, "EEGMMIDB S001 cross-session")


if __name__ == "__main__":
    main()
