"""A Mamba (S6) block and its bidirectional wrapper in plain PyTorch.

mamba_ssm (state-spaces/mamba) runs its selective scan in CUDA kernels; this module
holds the same computation with no compiled extension, so that FEMBA and LuMamba run on
any device. Parameter names and shapes are mamba_ssm's ``Mamba``
(mamba_ssm/modules/mamba_simple.py:62-117 @ e9594ce), so the authors' checkpoints load
strictly; the forward is its non-fused path (mamba_simple.py:161-206).

The scan is chunked: inside a chunk the recurrence ``h_t = exp(delta_t A) h_{t-1} +
b_t`` is solved in closed form, ``h_t = exp(S_t) (h_0 + sum_{s<=t} exp(-S_s) b_s)``
with ``S`` the chunk's cumulative decay (two running sums, one of them a matrix
product), and chunks run in order from the previous one's last state. Chunks end
where the decay they span would leave float32's comfortable range, so the result
holds ``selective_scan_ref`` (mamba_ssm/ops/selective_scan_interface.py:127-193),
which the tests hold it against, to float32 rounding for any step sizes.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

__all__ = ["BiMamba", "Mamba", "selective_scan"]


# Largest decay, in nepers, that one chunk may span. Each chunk's weights are taken
# relative to the middle of its decay, so that they lie within exp(+-60): finite in
# float32 with room for the inputs' scale (e^60 ~ 1e26, float32 reaches 3e38), and the
# rounding of the exponents stays near 60 * 6e-8 relative (measured: ~1e-7).
_MAX_CHUNK_DECAY = 120.0


def _chunk_starts(cost, longest):
    """Split ``L`` steps into chunks of at most ``longest`` steps and bounded decay.

    ``cost`` (L,) is the largest decay, in nepers, of each step over the batch and the
    state. A chunk starts wherever the running decay crosses a multiple of the bound,
    so that from a chunk's first step to its last it spans less than the bound; the
    first step's own decay only scales the state carried in, whatever its size.
    """
    bucket = torch.floor(torch.cumsum(cost.double(), 0) / _MAX_CHUNK_DECAY)
    changes = (torch.nonzero(bucket[1:] != bucket[:-1]).flatten() + 1).tolist()
    edges = [0, *changes, len(cost)]
    starts = []
    for a, b in zip(edges[:-1], edges[1:]):
        starts.extend(range(a, b, longest))
    return [*starts, len(cost)]


def _scan(delta, A, drive_in, B, C, chunk):
    """Run ``h_t = exp(delta_t A) h_{t-1} + drive_in_t B_t`` and read ``y_t = C_t . h_t``.

    Time-major inputs: ``delta``, ``drive_in`` (L, batch, dim); ``B``, ``C`` (L, batch,
    N); ``A`` (dim, N). Inside a chunk, with ``R_t = A (sum_{s<=t} delta_s - m)`` its
    cumulative decay less the middle ``m`` of its range and ``w_t = exp(-R_t)``,
    ``h_t = (exp(A m) h_0 + sum_{s<=t} w_s b_s) / w_t``: the running sum is one matrix
    product with a triangle of ones. Chunks run in order, each from the previous one's
    last state; their (T, batch, N, dim) tensors (dim innermost, for long vector loops)
    are built inside the loop, so that they stay in cache and the whole (L, N) grid is
    never held at once.
    """
    length, batch, dim = delta.shape
    cost = (delta * A.amin(1)).amin(2).amin(1).neg()
    starts = _chunk_starts(cost, chunk)
    ones = torch.ones(chunk, chunk, dtype=delta.dtype, device=delta.device).tril()
    a_t = A.T.contiguous()  # (N, dim)
    h0 = delta.new_zeros(batch, A.shape[1], dim)
    # Without autograd the chunk's tensors are updated in place: fewer fresh allocations
    # (each one page-faults its memory in) for the same arithmetic.
    in_place = not (
        torch.is_grad_enabled() and any(t.requires_grad for t in (delta, A, drive_in, B))
    )
    outs = []
    for start, stop in zip(starts[:-1], starts[1:]):
        steps = stop - start
        total = torch.cumsum(delta[start:stop], dim=0)
        middle = (total[0] + total[-1]) / 2
        drive = drive_in[start:stop, :, None] * B[start:stop, :, :, None]
        if in_place:
            w = torch.mul((middle - total)[:, :, None], a_t).exp_()
            weighted = drive.mul_(w)
        else:
            w = torch.exp((middle - total)[:, :, None] * a_t)
            weighted = w * drive
        # the state entering the chunk joins the running sum at its first step
        weighted[0] += torch.exp(middle[:, None] * a_t) * h0
        inner = (ones[:steps, :steps] @ weighted.reshape(steps, -1)).view_as(w)
        h = inner.div_(w) if in_place else inner / w
        y = C[start:stop].reshape(steps * batch, 1, -1) @ h.reshape(steps * batch, -1, dim)
        outs.append(y.view(steps, batch, dim))
        h0 = h[-1]
    return torch.cat(outs, dim=0)


def selective_scan(
    u,
    delta,
    A,
    B,
    C,
    D=None,
    z=None,
    delta_bias=None,
    delta_softplus=False,
    chunk=64,
):
    """Mamba's selective scan, with the arguments of mamba_ssm's ``selective_scan_ref``.

    Parameters
    ----------
    u, delta : torch.Tensor, shape (batch, dim, L)
        Input and step sizes.
    A : torch.Tensor, shape (dim, N)
        Real state matrix (diagonal per channel), usually ``-exp(A_log)``.
    B, C : torch.Tensor, shape (batch, N, L)
        Input-dependent projections.
    D : torch.Tensor, shape (dim,) | None
        Skip connection.
    z : torch.Tensor, shape (batch, dim, L) | None
        Gate: the output is multiplied by ``silu(z)``.
    delta_bias : torch.Tensor, shape (dim,) | None
        Added to ``delta`` before the softplus.
    delta_softplus : bool
        Pass ``delta`` through a softplus.
    chunk : int
        Steps per chunk of the parallel scan (a speed knob; the result does not
        depend on it beyond float rounding).

    Returns
    -------
    out : torch.Tensor, shape (batch, dim, L)
        In the dtype of ``u``; computed in float32 as the reference does.
    """
    if A.is_complex() or B.dim() != 3 or C.dim() != 3:
        raise NotImplementedError(
            "selective_scan covers Mamba-1 with real A and input-dependent B, C of shape "
            "(batch, N, L), which is what FEMBA and LuMamba use."
        )
    dtype_in = u.dtype
    u = u.float()
    delta = delta.float()
    if delta_bias is not None:
        delta = delta + delta_bias[..., None].float()
    if delta_softplus:
        delta = F.softplus(delta)
    B, C = B.float(), C.float()
    time_major = [t.permute(2, 0, 1).contiguous() for t in (delta, delta * u, B, C)]
    delta_t, drive_t, B_t, C_t = time_major
    out = _scan(delta_t, A.float(), drive_t, B_t, C_t, chunk).permute(1, 2, 0)
    if D is not None:
        out = out + u * D.float()[:, None]
    if z is not None:
        out = out * F.silu(z.float())
    return out.to(dtype_in)


class Mamba(nn.Module):
    """One Mamba (S6) layer, mamba_ssm's ``Mamba`` in plain PyTorch.

    Parameters
    ----------
    d_model : int
        Token size.
    d_state, d_conv, expand : int
        State size, causal-convolution width and inner expansion (mamba_ssm's defaults).
    dt_rank : int | "auto"
        Rank of the step-size projection; ``ceil(d_model / 16)`` when ``"auto"``.
    dt_min, dt_max, dt_init_floor : float
        Range of the initial step sizes (mamba_simple.py:91-99).
    conv_bias, bias : bool
        Biases of the convolution and of the in/out projections.
    chunk : int
        Chunk length of the scan.
    """

    def __init__(
        self,
        d_model,
        d_state=16,
        d_conv=4,
        expand=2,
        dt_rank="auto",
        dt_min=0.001,
        dt_max=0.1,
        dt_init_floor=1e-4,
        conv_bias=True,
        bias=False,
        chunk=64,
    ):
        super().__init__()
        self.d_model = d_model
        self.d_state = d_state
        self.d_inner = int(expand * d_model)
        self.dt_rank = math.ceil(d_model / 16) if dt_rank == "auto" else dt_rank
        self.chunk = chunk
        d_inner = self.d_inner
        self.in_proj = nn.Linear(d_model, d_inner * 2, bias=bias)
        self.conv1d = nn.Conv1d(
            d_inner,
            d_inner,
            kernel_size=d_conv,
            groups=d_inner,
            padding=d_conv - 1,
            bias=conv_bias,
        )
        self.x_proj = nn.Linear(d_inner, self.dt_rank + 2 * d_state, bias=False)
        self.dt_proj = nn.Linear(self.dt_rank, d_inner, bias=True)
        # mamba_ssm's initialisation (mamba_simple.py:82-115), so random weights behave
        std = self.dt_rank**-0.5
        nn.init.uniform_(self.dt_proj.weight, -std, std)
        dt = torch.exp(
            torch.rand(d_inner) * (math.log(dt_max) - math.log(dt_min)) + math.log(dt_min)
        ).clamp(min=dt_init_floor)
        with torch.no_grad():
            self.dt_proj.bias.copy_(dt + torch.log(-torch.expm1(-dt)))  # softplus inverse
        a = torch.arange(1, d_state + 1, dtype=torch.float32).repeat(d_inner, 1)
        self.A_log = nn.Parameter(torch.log(a))
        self.D = nn.Parameter(torch.ones(d_inner))
        self.out_proj = nn.Linear(d_inner, d_model, bias=bias)

    def forward(self, hidden_states):
        """Map (batch, L, d_model) to (batch, L, d_model)."""
        length = hidden_states.shape[1]
        # in_proj is called as a module (mamba_ssm multiplies its weight directly) so
        # that adapters wrapped around it (LoRA) take part.
        x, z = self.in_proj(hidden_states).transpose(1, 2).chunk(2, dim=1)
        x = F.silu(self.conv1d(x)[..., :length])
        dt, B, C = self.x_proj(x.transpose(1, 2)).split(
            [self.dt_rank, self.d_state, self.d_state], dim=-1
        )
        y = selective_scan(
            x,
            F.linear(dt, self.dt_proj.weight).transpose(1, 2),
            -torch.exp(self.A_log.float()),
            B.transpose(1, 2),
            C.transpose(1, 2),
            self.D.float(),
            z=z,
            delta_bias=self.dt_proj.bias.float(),
            delta_softplus=True,
            chunk=self.chunk,
        )
        return self.out_proj(y.transpose(1, 2))


class BiMamba(nn.Module):
    """A forward and a time-reversed Mamba layer, summed.

    The keys are those of FEMBA's ``MambaWrapper`` (BioFoundation models/FEMBA.py:27-59):
    ``mamba_fwd.*`` and ``mamba_rev.*``; the reversed layer reads the flipped sequence
    and its output is flipped back (FEMBA.py:54) before the sum (:55-56).

    Parameters
    ----------
    d_model : int
        Token size.
    **mamba_kwargs
        Passed to both :class:`Mamba` layers (e.g. ``expand``).
    """

    def __init__(self, d_model, **mamba_kwargs):
        super().__init__()
        self.mamba_fwd = Mamba(d_model, **mamba_kwargs)
        self.mamba_rev = Mamba(d_model, **mamba_kwargs)

    def forward(self, hidden_states):
        """Map (batch, L, d_model) to (batch, L, d_model)."""
        rev = self.mamba_rev(hidden_states.flip(1)).flip(1)
        return self.mamba_fwd(hidden_states) + rev
