"""The package's selective scan against mamba_ssm's ``selective_scan_ref``: time and memory.

FEMBA-tiny/base's Mamba layer sizes (inner width 1540, state 16), batch 1, at 80 tokens
(one 5-s window) and 1,280 tokens, in two regimes of step sizes: mamba_ssm's
initialisation, and "fast decays" (large steps, which make the package's scan cut
shorter chunks). Each (implementation, length) runs in a fresh process, so that its
peak resident memory above the process's baseline can be read; time is the best of
``--repeat`` calls, the relative error is against ``selective_scan_ref``'s output.

mamba_ssm is not a dependency: point ``--mamba-src`` at a checkout of
state-spaces/mamba (its ``mamba_ssm`` folder is imported from there; the reference is
plain PyTorch and runs on CPU).

Run: OMP_NUM_THREADS=1 python benchmarks/bench_mamba_scan.py --mamba-src /path/to/mamba
"""

import argparse
import json
import math
import resource
import subprocess
import sys
import time
from pathlib import Path


def inputs(length, regime, dim=1540, n=16, seed=0):
    import torch

    g = torch.Generator().manual_seed(seed)
    u = torch.randn(1, dim, length, generator=g)
    delta = torch.randn(1, dim, length, generator=g) * 0.5
    B = torch.randn(1, n, length, generator=g)
    C = torch.randn(1, n, length, generator=g)
    D = torch.randn(dim, generator=g)
    z = torch.randn(1, dim, length, generator=g)
    if regime == "init":
        A = -torch.arange(1, n + 1, dtype=torch.float32).repeat(dim, 1)
        r = torch.rand(dim, generator=g)
        dt = torch.exp(r * (math.log(0.1) - math.log(0.001)) + math.log(0.001))
        bias = dt + torch.log(-torch.expm1(-dt))
    else:
        A = -torch.exp(torch.randn(dim, n, generator=g) * 0.5 + 1.0)
        bias = torch.randn(dim, generator=g) * 0.5
    return (u, delta, A, B, C, D, z, bias)


def run_one(impl, length, regime, repeat, mamba_src):
    """Child process: time one implementation, report peak memory above baseline (MiB)."""
    import torch

    # mamba_ssm's package import pulls in transformers, which would find this folder's
    # tokenizers.py first: import it with the benchmark folder off the path.
    here = str(Path(__file__).resolve().parent)
    sys.path[:] = [mamba_src] + [p for p in sys.path if str(Path(p or ".").resolve()) != here]
    from mamba_ssm.ops.selective_scan_interface import selective_scan_ref

    from sklearn_eegfm.models._mamba import selective_scan

    args = inputs(length, regime)
    with torch.no_grad():
        base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        fn = selective_scan if impl == "package" else selective_scan_ref
        best = float("inf")
        for _ in range(repeat):
            t0 = time.perf_counter()
            out = fn(*args, delta_softplus=True)
            best = min(best, time.perf_counter() - t0)
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        err = None
        if impl == "package":  # after the peak was read: the reference's memory is its own
            ref = selective_scan_ref(*args, delta_softplus=True)
            err = float((out - ref).abs().max() / ref.abs().max())
    return {"seconds": best, "peak_mib": max(0, peak - base) / 1024, "rel_err": err}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mamba-src", required=True, help="checkout of state-spaces/mamba")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--child", nargs=3, metavar=("IMPL", "LENGTH", "REGIME"))
    a = parser.parse_args()
    if a.child:
        impl, length, regime = a.child
        print(json.dumps(run_one(impl, int(length), regime, a.repeat, a.mamba_src)))
        return
    import torch

    print(f"torch {torch.__version__}, threads {torch.get_num_threads()}; dim 1540, N 16, batch 1")
    print(
        f"{'regime':10s} {'tokens':>6s} {'ref s':>8s} {'ours s':>8s} {'speed-up':>8s} "
        f"{'ref MiB':>8s} {'ours MiB':>8s} {'rel err':>9s}"
    )
    for regime in ("init", "fast"):
        for length in (80, 1280):
            res = {}
            for impl in ("reference", "package"):
                cmd = [
                    sys.executable,
                    __file__,
                    "--mamba-src",
                    a.mamba_src,
                    "--repeat",
                    str(a.repeat),
                    "--child",
                    impl,
                    str(length),
                    regime,
                ]
                res[impl] = json.loads(subprocess.check_output(cmd).decode().splitlines()[-1])
            r, p = res["reference"], res["package"]
            print(
                f"{regime:10s} {length:6d} {r['seconds']:8.3f} {p['seconds']:8.3f} "
                f"{r['seconds'] / p['seconds']:7.1f}x {r['peak_mib']:8.0f} {p['peak_mib']:8.0f} "
                f"{p['rel_err']:9.1e}"
            )


if __name__ == "__main__":
    main()
