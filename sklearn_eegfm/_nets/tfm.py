"""TFM-Tokenizer's two networks: the single-channel tokenizer and the downstream encoder.

Written from the paper (Pradeepkumar et al., "Tokenizing single-channel EEG with
time-frequency motif learning") and the key lists of the authors' classes
(Jathurshan0330/TFM-Tokenizer @d716ab9, models/tfm_token.py), with the authors' module
names so that their files load with strict key matching. Shared by
:mod:`sklearn_eegfm.tokenizers` (codes) and :mod:`sklearn_eegfm.models` (the encoder
as a foundation model), which never import each other.

Facts (file:line of models/tfm_token.py unless named):

- input: one channel at 200 Hz, divided by its 95th percentile of ``|x|`` (+1e-8)
  (datasets/data_loaders.py:128); ``|STFT|`` with a 200-sample Hann window, hop 100,
  ``center=False``, the first 100 frequency bins (utils/utils.py:165-176);
- ``get_tfm_tokenizer_2x2x8`` (:505-515): 64-dim, 8192 codes, frequency encoder 2
  blocks, temporal encoder 2, decoder 8; one token per 100-sample hop (9 per 5 s);
- the frequency path (:387-403): each frame's 100 bins cut into 20 patches of 5
  (conv), a transformer over the 20 patches, then a sigmoid-gated conv pooling to 32
  features; the temporal path (:332-342, :406-409): a 200-sample conv with stride 100 to
  32 features; both concatenated (64) and run through the temporal transformer, then
  l2-normalised and quantised to the nearest code in squared distance (:58-123, :418-420);
- the decoder (:425-439) maps quantised vectors back to the 100 STFT magnitudes;
- the downstream encoder ``get_tfm_token_classifier_64x4`` (:204-287): token embeddings
  (8192 + 1), 16 channel embeddings indexed by the channel's position, a sinusoidal
  temporal encoding (1000 positions) added per channel, a CLS token in front of the
  channel-major sequence, 4 linear-attention blocks; the head reads the CLS output.
"""

from __future__ import annotations

import math

import numpy as np
import torch
from torch import nn

from . import tfm_files
from .linear_attention import LinearAttentionTransformer

SFREQ = 200.0
N_FFT = 200
HOP = 100
N_FREQ = 100


def percentile_scale(x):
    """Divide each channel by its 95th percentile of ``|x|`` (TFM's and BIOT's input scale).

    Parameters
    ----------
    x : ndarray, shape (..., n_times)
        Signals.

    Returns
    -------
    scaled : ndarray of float32
        Same shape.
    """
    q = np.quantile(np.abs(x), 0.95, axis=-1, method="linear", keepdims=True)
    return (x / (q + 1e-8)).astype(np.float32)


def stft_magnitude(x):
    """``|STFT|`` of single-channel signals as TFM-Tokenizer reads them.

    Parameters
    ----------
    x : Tensor, shape (n, n_times)
        Signals at 200 Hz.

    Returns
    -------
    magnitude : Tensor, shape (n, 100, n_frames)
        ``n_frames = 1 + (n_times - 200) // 100``.
    """
    window = torch.hann_window(N_FFT, device=x.device, dtype=x.dtype)
    spec = torch.stft(
        x, n_fft=N_FFT, hop_length=HOP, window=window, center=False, onesided=True,
        return_complex=True,
    )  # fmt: skip
    return spec[:, :N_FREQ].abs()


def n_frames(n_times):
    """Tokens per channel for ``n_times`` samples at 200 Hz."""
    return 1 + (n_times - N_FFT) // HOP


def _embedding_stack(n_in, widths, kernel, stride):
    """Conv -> GELU -> GroupNorm, three times (the authors' patch embeddings)."""
    layers = []
    for i, width in enumerate(widths):
        k, s = (kernel, stride) if i == 0 else (1, 1)
        layers += [nn.Conv1d(n_in, width, k, stride=s), nn.GELU(), nn.GroupNorm(16, width)]
        n_in = width
    return nn.Sequential(*layers)


class _Encoder(nn.Module):
    """The authors' ``TransformerEncoder`` wrapper (keys ``<name>.transformer.layers...``)."""

    def __init__(self, dim, depth):
        super().__init__()
        self.transformer = LinearAttentionTransformer(dim, depth, heads=8)

    def forward(self, x):
        return self.transformer(x)


class _Quantizer(nn.Module):
    """The codebook of the authors' EMA vector quantiser (EMA buffers kept for loading)."""

    def __init__(self, dim, n_codes):
        super().__init__()
        self.embedding = nn.Embedding(n_codes, dim)
        self.register_buffer("cluster_size", torch.zeros(n_codes))
        self.register_buffer("ema_w", torch.zeros(n_codes, dim))

    def forward(self, z):
        w = self.embedding.weight
        flat = z.reshape(-1, z.shape[-1])
        dist = flat.pow(2).sum(1, keepdim=True) - 2 * flat @ w.t() + w.pow(2).sum(1)[None]
        return dist.argmin(dim=1).reshape(z.shape[:-1])


class TFMTokenizerNet(nn.Module):
    """TFM-Tokenizer's dual-path VQ-VAE (``TFM_VQVAE2_deep``; 2x2x8 by default).

    Parameters
    ----------
    emb_size : int
        Token width (64).
    n_codes : int
        Codebook size (8192).
    depths : tuple of int
        Blocks of the frequency encoder, the temporal encoder and the decoder.
    """

    def __init__(self, emb_size=64, n_codes=8192, depths=(2, 2, 8)):
        super().__init__()
        d = emb_size
        patch = 5
        self.freq_patch_embedding = _embedding_stack(1, (d, d, d), patch, patch)
        self.trans_freq_encoder = _Encoder(d, depths[0])
        self.temporal_patch_embedding = _embedding_stack(1, (d, d, d // 2), N_FFT, HOP)
        # 100 bins / 5 = 20 patches, pooled by 5 into 4 groups of d / 8 features.
        width = d // (2 * (N_FREQ // (patch * patch)))
        self.freq_patch_embedding_2_atten = nn.Sequential(
            nn.Conv1d(d, width, patch, stride=patch), nn.Sigmoid()
        )
        self.freq_patch_embedding_2 = nn.Sequential(nn.Conv1d(d, width, patch, stride=patch))
        self.trans_temporal_encoder = _Encoder(d, depths[1])
        self.quantizer = _Quantizer(d, n_codes)
        self.trans_decoder = _Encoder(d, depths[2])
        self.decoder = nn.Sequential(nn.Linear(d, d), nn.Tanh(), nn.Linear(d, N_FREQ))

    def latent(self, x):
        """l2-normalised latent vectors of scaled signals ``(n, n_times)``: ``(n, T, d)``."""
        spec = stft_magnitude(x)
        n, f, t = spec.shape
        z = self.freq_patch_embedding(spec.permute(0, 2, 1).reshape(-1, 1, f))
        z = self.trans_freq_encoder(z.permute(0, 2, 1)).permute(0, 2, 1)
        z = self.freq_patch_embedding_2(z) * self.freq_patch_embedding_2_atten(z)
        z = z.reshape(n, t, -1)
        temporal = self.temporal_patch_embedding(x[:, None]).permute(0, 2, 1)
        z = self.trans_temporal_encoder(torch.cat([z, temporal], dim=-1))
        return nn.functional.normalize(z, p=2, dim=-1)

    def forward(self, x):
        """Codes ``(n, T)`` of scaled single-channel signals ``(n, n_times)`` at 200 Hz."""
        return self.quantizer(self.latent(x))

    def decode(self, codes):
        """Reconstructed ``|STFT|`` ``(n, 100, T)`` of codes ``(n, T)``."""
        z = self.trans_decoder(self.quantizer.embedding(codes))
        return self.decoder(z).permute(0, 2, 1)


class _SinusoidalPosition(nn.Module):
    """The authors' fixed temporal encoding (buffer ``pe``, 1000 positions)."""

    def __init__(self, dim, max_len=1000):
        super().__init__()
        position = torch.arange(max_len, dtype=torch.float32)[:, None]
        div = torch.exp(torch.arange(0, dim, 2, dtype=torch.float32) * -(math.log(1e4) / dim))
        pe = torch.zeros(max_len, dim)
        pe[:, 0::2] = torch.sin(position * div)
        pe[:, 1::2] = torch.cos(position * div)
        self.register_buffer("pe", pe[None])


class TFMEncoderNet(nn.Module):
    """TFM-Tokenizer's downstream token transformer (``get_tfm_token_classifier_64x4``).

    Parameters
    ----------
    n_classes : int
        Outputs of ``classification_head`` (6 for TUEV; the masked-token-prediction
        pretrained encoder predicts the 8192 codes).
    emb_size, depth, n_codes, n_channels : int
        Width (64), blocks (4), codebook size (8192) and channel embeddings (16).
    """

    def __init__(self, n_classes=6, emb_size=64, depth=4, n_codes=8192, n_channels=16):
        super().__init__()
        self.eeg_token_embedding = nn.Embedding(n_codes + 1, emb_size)
        self.channel_embed = nn.Embedding(n_channels, emb_size)
        # A frozen integer Parameter in the authors' class; a buffer under the same key here,
        # so that fine-tuning, which switches gradients on, leaves it alone.
        self.register_buffer("index", torch.arange(n_channels))
        self.temporal_pos_embed = _SinusoidalPosition(emb_size)
        self.cls_token = nn.Parameter(torch.zeros(1, 1, emb_size))
        self.LAT = LinearAttentionTransformer(emb_size, depth, heads=8, dropout=0.2)
        self.classification_head = nn.Linear(emb_size, n_classes)
        self.pos_drop = nn.Dropout(0.1)

    @property
    def max_channels(self):
        return self.channel_embed.num_embeddings

    def forward_features(self, codes):
        """Run the transformer on codes ``(B, C, T)``: ``(B, 1 + C * T, D)``, CLS first.

        Channel ``i`` gets channel embedding ``i`` (the authors index by position,
        models/tfm_token.py:244-246), every channel the same temporal encoding.
        """
        b, c, t = codes.shape
        if c > self.max_channels or t > self.temporal_pos_embed.pe.shape[1]:
            raise ValueError(
                f"TFM's encoder has {self.max_channels} channel embeddings and "
                f"{self.temporal_pos_embed.pe.shape[1]} temporal positions; got {c} channels x "
                f"{t} frames. Pick at most {self.max_channels} channels (epochs.pick) or crop."
            )
        x = self.eeg_token_embedding(codes)
        x = x + self.channel_embed(self.index[:c])[None, :, None]
        x = self.pos_drop(x + self.temporal_pos_embed.pe[:, None, :t])
        x = torch.cat([self.cls_token.expand(b, -1, -1), x.reshape(b, c * t, -1)], dim=1)
        return self.LAT(x)

    def forward(self, codes):
        """Logits of ``classification_head`` on the CLS output."""
        return self.classification_head(self.forward_features(codes)[:, 0])


#: The authors' published downstream-encoder checkpoints (a plain state dict each; where
#: they are published: :mod:`.tfm_files`).
ENCODER_RELEASES = {
    "tuev": dict(
        filename="tfm_encoder_best_model.pth",
        source=tfm_files.github_url(
            "multiple_dataset_settings/Finetuned_TUEV/tfm_encoder_best_model.pth"
        ),
        sha256="597d5267c455612e7c8522671bbabe30288f062bb52dd808af665db540d8acdb",
        n_classes=6,
        licence=tfm_files.LICENCE,
    ),
    "mtp": dict(
        filename="tfm_encoder_mtp_last.pth",
        source=tfm_files.github_url(tfm_files.ENCODER_FILE),
        sha256=None,  # not brought to these machines
        n_classes=8192,  # masked token prediction over the codebook (not verified here)
        licence=tfm_files.LICENCE,
    ),
}


class TFMFoundationNet(TFMEncoderNet):
    """TFM-Tokenizer's route as one network: scaled signals -> codes -> token transformer.

    The encoder's parameters keep the authors' names at the top level (so that their
    encoder files load strictly); the tokenizer sits under ``tokenizer.`` and is loaded
    from its own file. Codes carry no gradient: fine-tuning trains the encoder.

    Parameters
    ----------
    n_chans : int
        Channels (at most 16, one channel embedding each, by position).
    n_times : int
        Samples at 200 Hz.
    n_outputs : int
        Outputs of ``classification_head``.
    tokenizer : str | Path | None
        The tokenizer's checkpoint (authors' layout); None leaves it as initialised.
    tokenizer_sha256 : str | None
        Its expected sha256 (checked when given).
    """

    def __init__(self, n_chans, n_times, n_outputs=2, tokenizer=None, tokenizer_sha256=None):
        super().__init__(n_classes=n_outputs)
        if n_chans > self.max_channels:
            raise ValueError(
                f"TFM's encoder has {self.max_channels} channel embeddings; got {n_chans} "
                "channels. Pick at most 16 (epochs.pick)."
            )
        self.n_chans, self.n_times = n_chans, n_times
        self.tokenizer = TFMTokenizerNet()
        if tokenizer is not None:
            from .._checkpoints import CheckpointError, load_checked, read_state_dict, sha256_file

            if tokenizer_sha256 is not None and sha256_file(tokenizer) != tokenizer_sha256:
                raise CheckpointError(f"{tokenizer} changed since it was planned (sha256).")
            load_checked(self.tokenizer, read_state_dict(tokenizer), source=str(tokenizer))

    def tokenize(self, x):
        """Codes ``(B, C, T)`` of scaled signals ``(B, C, n_times)``."""
        b, c, n = x.shape
        with torch.no_grad():
            return self.tokenizer(x.reshape(b * c, n)).reshape(b, c, -1)

    def forward(self, x):
        """Logits of the head on the CLS output, from scaled signals ``(B, C, n_times)``."""
        return super().forward(self.tokenize(x))
