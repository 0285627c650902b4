"""BioCodec: an EnCodec-style convolutional codec with residual vector quantisation.

Written from the paper ("Neural codecs as biosignal tokenizers") and the key list of the
authors' ``BioCodecModel._get_optimized_model`` (klean2050/BioCodec-release @575bf6e,
biocodec/model.py:155-202, as configured by biocodec/configs/eeg_config.yaml), with the
authors' module names so that their checkpoint loads with strict key matching.

Facts (files of klean2050/BioCodec-release @575bf6e):

- SEANet encoder/decoder (modules/seanet.py:95-357): 32 base filters, strides 2, 2, 3
  (hop 12 samples: 20.8 frames/s at 250 Hz), two residual units per stage (dilations 1
  and 2, no compression, identity skips), a 2-layer LSTM with a skip, ELU activations;
  every convolution weight-normalised with ``torch.nn.utils.parametrizations`` (keys
  ``...parametrizations.weight.original0/1``, modules/conv.py:7, :40-49), causal with
  reflect padding on the left and zero padding at the end to complete the last window
  (modules/conv.py:71-95, :270-292); transposed convolutions trim their padding on the
  right (:328-350);
- residual VQ (quantization/quantizer.py:29-76, core_vq.py): 6 levels of 256 codes, each
  projecting the 128-dim latent to 16 dims (``dimension // 8``); a code is the one of
  highest cosine similarity (core_vq.py:202-212) while decoding looks up the stored code
  vector (core_vq.py:220-225); each level quantises what the previous ones left
  (core_vq.py:434-445);
- ``normalize: False`` in the config (no per-segment volume scaling), one segment.
"""

from __future__ import annotations

import math

import torch
from torch import nn
from torch.nn.utils.parametrizations import weight_norm

SFREQ = 250.0
HOP = 12


def _pad_end(length, kernel, stride, padding):
    # Zeros appended so that the last window is complete (EnCodec's pad_for_conv1d).
    frames = (length - kernel + padding) / stride + 1
    return (math.ceil(frames) - 1) * stride + (kernel - padding) - length


def _reflect_left(x, left, right):
    # Reflect padding that also works when the signal is shorter than the padding.
    extra = max(0, max(left, right) - x.shape[-1] + 1)
    if extra:
        x = nn.functional.pad(x, (0, extra))
    out = nn.functional.pad(x, (left, right), mode="reflect")
    return out[..., : out.shape[-1] - extra]


class _Norm(nn.Module):
    """Holds the weight-normalised layer under ``conv``/``convtr`` (the authors' nesting)."""

    def __init__(self, attr, layer):
        super().__init__()
        setattr(self, attr, weight_norm(layer))
        self._attr = attr

    def forward(self, x):
        return getattr(self, self._attr)(x)


class CausalConv1d(nn.Module):
    """Weight-normalised causal convolution with reflect padding on the left."""

    def __init__(self, n_in, n_out, kernel, stride=1, dilation=1):
        super().__init__()
        self.conv = _Norm("conv", nn.Conv1d(n_in, n_out, kernel, stride, dilation=dilation))
        self.kernel = (kernel - 1) * dilation + 1
        self.stride = stride

    def forward(self, x):
        padding = self.kernel - self.stride
        end = _pad_end(x.shape[-1], self.kernel, self.stride, padding)
        return self.conv(_reflect_left(x, padding, end))


class CausalConvTranspose1d(nn.Module):
    """Weight-normalised transposed convolution, its padding trimmed on the right."""

    def __init__(self, n_in, n_out, kernel, stride):
        super().__init__()
        self.convtr = _Norm("convtr", nn.ConvTranspose1d(n_in, n_out, kernel, stride))
        self.trim = kernel - stride

    def forward(self, x):
        y = self.convtr(x)
        return y[..., : y.shape[-1] - self.trim]


class ResidualUnit(nn.Module):
    """``x + conv1(elu(conv3(elu(x))))`` (keys ``block.1`` and ``block.3``)."""

    def __init__(self, dim, dilation):
        super().__init__()
        self.block = nn.Sequential(
            nn.ELU(),
            CausalConv1d(dim, dim, 3, dilation=dilation),
            nn.ELU(),
            CausalConv1d(dim, dim, 1),
        )

    def forward(self, x):
        return x + self.block(x)


class SkipLSTM(nn.Module):
    """An LSTM over time with a skip connection, on ``(batch, channels, time)``."""

    def __init__(self, dim, layers=2):
        super().__init__()
        self.lstm = nn.LSTM(dim, dim, layers)

    def forward(self, x):
        x = x.permute(2, 0, 1)
        y, _ = self.lstm(x)
        return (y + x).permute(1, 2, 0)


def _encoder(filters=32, strides=(2, 2, 3), dimension=128):
    layers, width = [CausalConv1d(1, filters, 3)], filters
    for stride in strides:
        layers += [ResidualUnit(width, 1), ResidualUnit(width, 2), nn.ELU()]
        layers += [CausalConv1d(width, 2 * width, 2 * stride, stride)]
        width *= 2
    layers += [SkipLSTM(width), nn.ELU(), CausalConv1d(width, dimension, 3)]
    return layers


def _decoder(filters=32, strides=(3, 2, 2), dimension=128):
    width = filters * 2 ** len(strides)
    layers = [CausalConv1d(dimension, width, 3), SkipLSTM(width)]
    for stride in strides:
        layers += [nn.ELU(), CausalConvTranspose1d(width, width // 2, 2 * stride, stride)]
        width //= 2
        layers += [ResidualUnit(width, 1), ResidualUnit(width, 2)]
    layers += [nn.ELU(), CausalConv1d(width, 1, 3)]
    return layers


class _Stack(nn.Module):
    def __init__(self, layers):
        super().__init__()
        self.model = nn.Sequential(*layers)

    def forward(self, x):
        return self.model(x)


class _Codebook(nn.Module):
    def __init__(self, n_codes, dim):
        super().__init__()
        self.register_buffer("inited", torch.ones(1))
        self.register_buffer("cluster_size", torch.zeros(n_codes))
        self.register_buffer("embed", torch.zeros(n_codes, dim))
        self.register_buffer("embed_avg", torch.zeros(n_codes, dim))


class _Level(nn.Module):
    def __init__(self, dim, code_dim, n_codes):
        super().__init__()
        self.project_in = nn.Linear(dim, code_dim)
        self.project_out = nn.Linear(code_dim, dim)
        self._codebook = _Codebook(n_codes, code_dim)

    def encode(self, z):  # (B, T, dim) -> (B, T)
        x = nn.functional.normalize(self.project_in(z), dim=-1)
        codebook = nn.functional.normalize(self._codebook.embed, dim=-1)
        return (x @ codebook.t()).argmax(dim=-1)

    def decode(self, codes):  # (B, T) -> (B, T, dim)
        return self.project_out(nn.functional.embedding(codes, self._codebook.embed))


class ResidualQuantizer(nn.Module):
    """Residual VQ: ``n_q`` levels of ``n_codes`` cosine-similarity codes."""

    def __init__(self, dim=128, n_q=6, n_codes=256):
        super().__init__()
        self.vq = nn.Module()
        self.vq.layers = nn.ModuleList(_Level(dim, dim // 8, n_codes) for _ in range(n_q))

    def encode(self, z):
        """Codes ``(B, n_q, T)`` of latents ``(B, dim, T)``."""
        residual = z.transpose(1, 2)
        codes = []
        for level in self.vq.layers:
            c = level.encode(residual)
            residual = residual - level.decode(c)
            codes.append(c)
        return torch.stack(codes, dim=1)

    def decode(self, codes):
        """Latents ``(B, dim, T)`` of codes ``(B, n_levels, T)`` (the first levels)."""
        out = sum(
            level.decode(codes[:, i]) for i, level in enumerate(self.vq.layers[: codes.shape[1]])
        )
        return out.transpose(1, 2)


class BioCodecNet(nn.Module):
    """BioCodec's codec: ``encode`` to residual codes, ``decode`` back to the signal.

    Parameters
    ----------
    n_q : int
        Residual levels (6).
    n_codes : int
        Codes per level (256).
    """

    def __init__(self, n_q=6, n_codes=256):
        super().__init__()
        self.encoder = _Stack(_encoder())
        self.decoder = _Stack(_decoder())
        self.quantizer = ResidualQuantizer(128, n_q, n_codes)

    def forward(self, x):
        """Codes ``(B, n_q, T)`` of scaled single-channel signals ``(B, n_times)``."""
        return self.quantizer.encode(self.encoder(x[:, None]))

    def decode(self, codes, n_times):
        """Signals ``(B, n_times)`` from codes ``(B, n_q, T)`` (output trimmed)."""
        return self.decoder(self.quantizer.decode(codes))[:, 0, :n_times]


def frames(n_times):
    """Code frames for ``n_times`` samples (the encoder pads the last window)."""
    return math.ceil(n_times / HOP)


def map_weight_norm(state):
    """Rename ``weight_g``/``weight_v`` (``torch.nn.utils.weight_norm``) to parametrizations.

    Parameters
    ----------
    state : dict of str to Tensor
        A checkpoint, in either weight-norm layout.

    Returns
    -------
    state : dict of str to Tensor
        In the ``parametrizations.weight.original0/1`` layout the authors' code builds.
    """
    out = {}
    for key, value in state.items():
        for old, new in (("weight_g", "original0"), ("weight_v", "original1")):
            if key.endswith("." + old):
                key = key[: -len(old)] + "parametrizations.weight." + new
        out[key] = value
    return out
