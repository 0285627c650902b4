"""The torch network of the learned tokenizers (imported only when one is fitted)."""

from __future__ import annotations

from torch import nn


class PatchAutoencoder(nn.Module):
    """Patch ``(n, patch_len)`` -> latent ``(n, code_dim)`` -> quantised -> patch.

    Two stride-2 convolutions and a linear layer encode a patch into one vector; a
    linear layer and two transposed convolutions decode it.

    Parameters
    ----------
    patch_len : int
        Samples per patch.
    code_dim : int
        Latent and codebook dimension.
    hidden : int
        Convolution channels.
    quantizer : torch.nn.Module
        A ``vector_quantize_pytorch`` quantiser of dimension ``code_dim``.
    """

    def __init__(self, patch_len, code_dim, hidden, quantizer):
        super().__init__()
        self.patch_len = patch_len
        self.hidden = hidden
        self.reduced = (patch_len + 3) // 4  # ceil(patch_len / 4): two stride-2 convs
        self.encoder = nn.Sequential(
            nn.Conv1d(1, hidden, 7, stride=2, padding=3),
            nn.GELU(),
            nn.Conv1d(hidden, hidden, 7, stride=2, padding=3),
            nn.GELU(),
            nn.Flatten(),
            nn.Linear(hidden * self.reduced, code_dim),
        )
        self.decoder_in = nn.Sequential(nn.Linear(code_dim, hidden * self.reduced), nn.GELU())
        self.decoder = nn.Sequential(
            nn.ConvTranspose1d(hidden, hidden, 4, stride=2, padding=1),
            nn.GELU(),
            nn.ConvTranspose1d(hidden, 1, 4, stride=2, padding=1),
        )
        self.quantizer = quantizer

    def encode(self, patches):
        """Latent vectors of patches, shape (n, code_dim)."""
        return self.encoder(patches[:, None, :])

    def decode(self, latent):
        """Patches from (quantised) latent vectors, shape (n, patch_len)."""
        h = self.decoder_in(latent).view(len(latent), self.hidden, self.reduced)
        return self.decoder(h)[:, 0, : self.patch_len]

    def forward(self, patches):
        """Reconstruction, codes and quantisation loss of a batch of patches."""
        quantized, codes, vq_loss = self.quantizer(self.encode(patches)[None])
        return self.decode(quantized[0]), codes[0], vq_loss.sum()
