"""The package's selective scan against mamba_ssm's ``selective_scan_ref``: time and memory.

FEMBA-tiny/base's Mamba layer sizes (inner width 1540, state 16), batch 1, at 80 tokens
(one 5-s window) and 1,280 tokens, in two regimes of step sizes: mamba_ssm's
initialisation, and "fast decays" (large steps, which make the package's scan cut
shorter chunks). Times are the best of ``--repeat`` calls of each, interleaved in one
process (``_common.best_of``: a ratio robust to load that comes and goes); peak resident
memory above the baseline is read for each implementation in a fresh process; the
relative error is against ``selective_scan_ref``'s output.

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


def _functions(mamba_src):
    # mamba_ssm's package import pulls in transformers, which would find this folder's
    # tokenizers.py first: import it with the benchmark folder off the path.
    here = str(Path(__file__).resolve().parent)
    sys.path[:] = [mamba_src] + [p for p in sys.path if str(Path(p or ".").resolve()) != here]
    from mamba_ssm.ops.selective_scan_interface import selective_scan_ref

    from sklearn_eegfm.models._mamba import selective_scan

    return {"reference": selective_scan_ref, "package": selective_scan}


def run_memory(impl, length, regime, mamba_src):
    """Child process: peak resident memory (MiB) of one call above the baseline."""
    import torch

    fn = _functions(mamba_src)[impl]
    args = inputs(length, regime)
    with torch.no_grad():
        base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        fn(*args, delta_softplus=True)
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {"peak_mib": max(0, peak - base) / 1024}


def run_time(length, regime, repeat, mamba_src):
    """Child process: best times of both, interleaved (robust to load that comes and goes)."""
    import torch
    from _common import best_of

    fns = _functions(mamba_src)
    args = inputs(length, regime)
    with torch.no_grad():
        ref = fns["reference"](*args, delta_softplus=True)
        out = fns["package"](*args, delta_softplus=True)
        err = float((out - ref).abs().max() / ref.abs().max())
        t_ref, t_pkg = best_of(
            lambda: fns["reference"](*args, delta_softplus=True),
            lambda: fns["package"](*args, delta_softplus=True),
            repeat=repeat,
        )
    return {"reference": t_ref, "package": t_pkg, "rel_err": err}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mamba-src", required=True, help="checkout of state-spaces/mamba")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--child", nargs=3, metavar=("WHAT", "LENGTH", "REGIME"))
    a = parser.parse_args()
    if a.child:
        what, length, regime = a.child
        if what == "time":
            res = run_time(int(length), regime, a.repeat, a.mamba_src)
        else:
            res = run_memory(what, int(length), regime, a.mamba_src)
        print(json.dumps(res))
        return
    import torch

    def child(*args):
        cmd = [sys.executable, __file__, "--mamba-src", a.mamba_src, "--repeat", str(a.repeat)]
        out = subprocess.check_output([*cmd, "--child", *map(str, args)]).decode()
        return json.loads(out.splitlines()[-1])

    print(f"torch {torch.__version__}, threads {torch.get_num_threads()}; dim 1540, N 16, batch 1")
    print(
        f"{'regime':10s} {'tokens':>6s} {'ref s':>8s} {'ours s':>8s} {'speed-up':>8s} "
        f"{'ref MiB':>8s} {'ours MiB':>8s} {'rel err':>9s}"
    )
    for regime in ("init", "fast"):
        for length in (80, 1280):
            t = child("time", length, regime)
            m_ref = child("reference", length, regime)["peak_mib"]
            m_pkg = child("package", length, regime)["peak_mib"]
            print(
                f"{regime:10s} {length:6d} {t['reference']:8.3f} {t['package']:8.3f} "
                f"{t['reference'] / t['package']:7.1f}x {m_ref:8.0f} {m_pkg:8.0f} "
                f"{t['rel_err']:9.1e}"
            )


if __name__ == "__main__":
    main()
