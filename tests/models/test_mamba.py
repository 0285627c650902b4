"""The plain-PyTorch Mamba layer and selective scan against mamba_ssm's own reference.

``reference/mamba_scan.npz`` holds outputs of mamba_ssm's ``selective_scan_ref`` and of
its ``Mamba`` layer (state-spaces/mamba @ e9594ce); ``reference/mamba_scan.md`` is the
recipe. Inputs are rebuilt here by the same seeded rule.
"""

import math
from pathlib import Path

import numpy as np
import pytest
import torch

from sklearn_eegfm.models._mamba import BiMamba, Mamba, selective_scan

REFERENCE = np.load(Path(__file__).parent / "reference" / "mamba_scan.npz")
CASES = {
    "init": (1, 2, 6, 4, 80, False),
    "long": (2, 1, 3, 2, 1280, False),
    "harsh": (3, 1, 4, 3, 300, True),
}


def scan_inputs(seed, b, d, n, length, harsh):
    """The fixture's seeded rule (reference/mamba_scan.md)."""
    rng = np.random.default_rng(seed)

    def f(*shape):
        return torch.as_tensor(rng.standard_normal(shape).astype(np.float32))

    u, delta, B, C = f(b, d, length), f(b, d, length) * 0.5, f(b, n, length), f(b, n, length)
    D, z = f(d), f(b, d, length)
    if harsh:
        A = -torch.exp(f(d, n) * 0.5 + 1.5)
        bias = f(d) * 0.5
        delta[:, :, length // 3] += 30.0
    else:
        A = -torch.arange(1, n + 1, dtype=torch.float32).repeat(d, 1)
        r = torch.as_tensor(rng.uniform(size=d).astype(np.float32))
        dt = torch.exp(r * (math.log(0.1) - math.log(0.001)) + math.log(0.001))
        bias = dt + torch.log(-torch.expm1(-dt))
    return dict(u=u, delta=delta, A=A, B=B, C=C, D=D, z=z, delta_bias=bias)


def relative_error(ours, ref):
    ours, ref = np.asarray(ours, dtype=np.float64), np.asarray(ref, dtype=np.float64)
    return np.abs(ours - ref).max() / np.abs(ref).max()


@pytest.mark.parametrize("case", sorted(CASES))
@pytest.mark.parametrize("chunk", [64, 7])
def test_scan_matches_selective_scan_ref(case, chunk):
    args = scan_inputs(*CASES[case])
    with torch.no_grad():
        out = selective_scan(**args, delta_softplus=True, chunk=chunk)
    ref = REFERENCE[f"{case}.out"]
    assert out.shape == ref.shape
    assert relative_error(out, ref) <= 1e-5
    np.testing.assert_allclose(out.numpy(), ref, rtol=1e-4, atol=1e-5 * np.abs(ref).max())


def test_scan_without_skip_gate_or_softplus():
    a = scan_inputs(*CASES["init"])
    with torch.no_grad():
        out = selective_scan(a["u"], a["delta"], a["A"], a["B"], a["C"])
    assert relative_error(out, REFERENCE["init.out_plain"]) <= 1e-5


def test_scan_keeps_input_dtype_and_refuses_what_it_does_not_cover():
    a = scan_inputs(*CASES["init"])
    out = selective_scan(**{k: v.double() for k, v in a.items()}, delta_softplus=True)
    assert out.dtype == torch.float64
    with pytest.raises(NotImplementedError, match="real A"):
        selective_scan(a["u"], a["delta"], a["A"], a["B"][0], a["C"])


def _step_loop(u, delta, A, B, C):
    # The recurrence one step at a time, to check gradients of the chunked form.
    h = u.new_zeros(u.shape[0], u.shape[1], A.shape[1])
    ys = []
    for t in range(u.shape[2]):
        h = torch.exp(delta[:, :, t, None] * A) * h + (delta * u)[:, :, t, None] * B[:, None, :, t]
        ys.append((h * C[:, None, :, t]).sum(-1))
    return torch.stack(ys, dim=2)


def test_scan_gradients_match_the_step_recurrence():
    rng = np.random.default_rng(0)
    b, d, n, length = 1, 3, 2, 40
    leaves = [
        torch.tensor(rng.standard_normal(s).astype(np.float32), requires_grad=True)
        for s in [(b, d, length), (b, d, length), (d, n), (b, n, length), (b, n, length)]
    ]

    def loss(scan):
        u, raw_delta, raw_a, B, C = leaves
        delta, A = torch.nn.functional.softplus(raw_delta), -torch.exp(raw_a)
        return (scan(u, delta, A, B, C) * torch.linspace(-1, 1, length)).sum()

    grads = torch.autograd.grad(loss(lambda *a: selective_scan(*a, chunk=8)), leaves)
    expected = torch.autograd.grad(loss(_step_loop), leaves)
    for g, e in zip(grads, expected):
        # both in float32 (the scan computes in float32, as selective_scan_ref does)
        torch.testing.assert_close(g, e, rtol=1e-5, atol=1e-5)


def test_mamba_layer_loads_mamba_ssm_state_strictly_and_matches_it():
    prefix = "layer.state."
    state = {
        k[len(prefix) :]: torch.as_tensor(REFERENCE[k]) for k in REFERENCE if k.startswith(prefix)
    }
    layer = Mamba(d_model=12, d_state=4, d_conv=4, expand=2)
    layer.load_state_dict(state, strict=True)
    x = torch.as_tensor(np.random.default_rng(4).standard_normal((2, 50, 12)).astype(np.float32))
    with torch.no_grad():
        out = layer.eval()(x)
    assert relative_error(out, REFERENCE["layer.out"]) <= 1e-5


def test_bidirectional_block_sums_forward_and_reversed_layers():
    torch.manual_seed(0)
    block = BiMamba(8, expand=2, d_state=4).eval()
    assert {k.split(".")[0] for k in block.state_dict()} == {"mamba_fwd", "mamba_rev"}
    x = torch.randn(2, 10, 8)
    with torch.no_grad():
        expected = block.mamba_fwd(x) + block.mamba_rev(x.flip(1)).flip(1)
        torch.testing.assert_close(block(x), expected)
        # the reversed layer sees the sequence backwards: the last token affects the first
        y = block(x)
        x2 = x.clone()
        x2[:, -1] += 1.0
        assert not torch.allclose(block(x2)[:, 0], y[:, 0])
