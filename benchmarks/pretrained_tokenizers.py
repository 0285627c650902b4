"""TFM-Tokenizer and BioCodec: codes per second, and their bags of tokens beside the baselines.

1. Codes per second of ``TFMTokenizer`` and ``BioCodecTokenizer`` (transform, batch 64,
   float32, CPU) on the shared P300 epochs (4 Muse channels, 256 Hz, -0.1..1.0 s) and
   EEGMMIDB epochs (64 channels, 160 Hz, 4 s); and the TFM downstream encoder's epochs per
   second on the real TUEV checkpoint (16 channels x 9 frames).
2. ``tok-tfm+bag`` and ``tok-biocodec+bag`` in compare() beside ``tok-kmeans+bag``,
   ``xdawn+ts`` and ``erp-features``: P300 within-subject and leave-one-subject-out,
   EEGMMIDB (one subject) within-subject. The tokenizers' own checkpoints are not on these
   machines: their codebooks are RANDOM (seeded), and the rows say so (weights=random).

Run: OMP_NUM_THREADS=1 PYTHONPATH=. python benchmarks/pretrained_tokenizers.py
[--parts speed,compare]
(about 15 minutes on 2 cores; P300: the first 200 epochs of each subject;
EEGMMIDB: 16 sensorimotor channels).
"""

import argparse
import time
import warnings

import numpy as np
from _common import SHARED, mmi_epochs

TOKENIZERS = ("TFMTokenizer", "BioCodecTokenizer")
# Sensorimotor channels of EEGMMIDB (BioCodec codes 6 x 84 per channel-epoch: 64 are slow).
MMI_CHANNELS = "FC3 FC1 FCz FC2 FC4 C5 C3 C1 Cz C2 C4 C6 CP3 CP1 CP2 CP4".split()


def p300(per_subject=200):
    """The first ``per_subject`` epochs of each subject (the neural tokenizers are slow)."""
    from sklearn_eegfm.datasets import read_muse_csv

    epochs = read_muse_csv(SHARED / "eeg-notebooks" / "visual_p300", tmax=1.0, verbose=False)
    meta = epochs.metadata.reset_index(drop=True)
    keep = np.concatenate([rows.index[:per_subject] for _, rows in meta.groupby("subject")])
    return epochs[np.sort(keep)]


def speed(datasets):
    import torch

    from sklearn_eegfm import tokenizers
    from sklearn_eegfm._checkpoints import load_checked, read_state_dict
    from sklearn_eegfm._nets.tfm import TFMEncoderNet

    print("\n1. Codes per second (transform; random weights: speed does not depend on them)")
    print(f"{'tokenizer':18s} {'data':10s} {'epochs':>6s} {'codes':>9s} {'s':>7s} {'codes/s':>9s}")
    for name, epochs in datasets.items():
        for cls in TOKENIZERS:
            tok = getattr(tokenizers, cls)(weights=None).fit(epochs)
            t0 = time.perf_counter()
            codes = tok.transform(epochs)
            dt = time.perf_counter() - t0
            rate = codes.size / dt
            print(f"{cls:18s} {name:10s} {len(epochs):6d} {codes.size:9d} {dt:7.2f} {rate:9.0f}")
    path = SHARED.parent / "weights" / "tfm-tokenizer" / "tfm_encoder_best_model_TUEV.pth"
    net = TFMEncoderNet()
    load_checked(net, read_state_dict(path))
    codes = torch.randint(0, 8192, (256, 16, 9))
    with torch.no_grad():
        net.eval()(codes[:8])
        t0 = time.perf_counter()
        net(codes)
        dt = time.perf_counter() - t0
    print(f"TFM encoder (real TUEV checkpoint): {256 / dt:.0f} epochs/s of 16 x 9 codes")


def harness(name, epochs, protocols, names):
    from sklearn_eegfm.evaluation import compare, make_named_pipeline
    from sklearn_eegfm.evaluation.results import summarize

    for protocol in protocols:
        pipes = {n: make_named_pipeline(n, weights=None) for n in names}
        t0 = time.perf_counter()
        results = compare(pipes, epochs, protocol=protocol, n_splits=5)
        print(f"\n2. {name}: compare(protocol={protocol!r}) on {len(epochs)} epochs, "
              f"{time.perf_counter() - t0:.0f} s")  # fmt: skip
        table = summarize(results)
        keep = table["metric"].isin(["roc_auc", "balanced_accuracy"])
        print(table[keep].to_string(index=False))
        weights = results.groupby("pipeline")["weights"].first().to_dict()
        print("weights:", weights)


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--parts", default="speed,compare")
    args = parser.parse_args()
    warnings.filterwarnings("ignore", "(TFM|BioCodec)Tokenizer runs with a RANDOM", UserWarning)
    ep_p300, ep_mmi = p300(), mmi_epochs()
    subjects = ep_p300.metadata["subject"].to_numpy()
    counts = dict(zip(*(v.tolist() for v in np.unique(subjects, return_counts=True))))
    print(f"P300: {len(ep_p300)} epochs, subjects {counts}; EEGMMIDB: {len(ep_mmi)} epochs")
    if "speed" in args.parts:
        speed({"P300": ep_p300[:256], "EEGMMIDB": ep_mmi[:16]})
    if "compare" in args.parts:
        names = ["tok-tfm+bag", "tok-biocodec+bag", "tok-kmeans+bag", "xdawn+ts", "erp-features"]
        harness("P300", ep_p300, ("within-subject", "loso"), names)
        mmi16 = ep_mmi.copy().pick(MMI_CHANNELS)
        harness("EEGMMIDB S001 (16 ch)", mmi16, ("within-subject",), [*names, "cov+ts"])
