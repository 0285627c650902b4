"""LuMamba's encoder: the package's LUNA front-end followed by bidirectional Mamba blocks.

pulp-bio/BioFoundation ``models/LuMamba.py`` (read at commit 690bd65) subclasses the
authors' LUNA, keeps its patch, frequency and channel-location embeddings and its
channel-unifying cross-attention, deletes its transformer ``blocks`` and ``norm``, and adds
FEMBA's ``mamba_blocks`` (``MambaWrapper``, expand 2) with pre-norm ``norm_layers``
(``encode``: ``x + mamba(norm(x))``). Here the front-end is braindecode's LUNA as the
package builds it for its "luna" contract (``_luna_parts.luna_with_norms``), not a copy.
"""

from __future__ import annotations

from einops import rearrange
from torch import nn

from ._luna_parts import luna_with_norms
from ._mamba import BiMamba

# LUNA's front-end modules that LuMamba keeps, under the authors' names.
_FRONT = ("patch_embed", "freq_embed", "channel_location_embedder", "cross_attn")


class LuMamba(nn.Module):
    """LuMamba's encoder: ``(batch, channels, times) -> (batch, patches, queries * embed)``.

    Parameters
    ----------
    chs_info : list of dict
        Channel names and positions, as braindecode's LUNA takes them.
    n_times : int
        Samples per window (a multiple of ``patch_size``).
    n_outputs : int
        Passed to LUNA (its classification head is not registered here).
    num_queries, embed_dim, patch_size, num_heads : int
        LUNA's front-end sizes (LuMamba: 6 queries of 64, patches of 40, 2 heads).
    num_blocks, exp : int
        Bidirectional Mamba blocks and their expansion (2 and 2).
    """

    def __init__(self, chs_info, n_times, n_outputs=2, num_queries=6, embed_dim=64,
                 patch_size=40, num_heads=2, num_blocks=2, exp=2):  # fmt: skip
        super().__init__()
        front = luna_with_norms(
            chs_info=chs_info,
            n_times=n_times,
            n_outputs=n_outputs,
            num_queries=num_queries,
            embed_dim=embed_dim,
            patch_size=patch_size,
            num_heads=num_heads,
            depth=0,
        )
        # LUNA's modules are registered here under their own names (the checkpoint's
        # keys); the LUNA instance itself is held unregistered, to call its methods.
        for name in _FRONT:
            self.add_module(name, getattr(front, name))
        self.mask_token = front.mask_token
        self.mapping = dict(front.mapping)  # its renames of the authors' keys
        self._front = (front,)
        width = num_queries * embed_dim
        self.mamba_blocks = nn.ModuleList(BiMamba(width, expand=exp) for _ in range(num_blocks))
        self.norm_layers = nn.ModuleList(nn.LayerNorm(width) for _ in range(num_blocks))

    def forward(self, x):
        """Encode, as the authors' ``LuMamba.encode`` (no mask)."""
        (front,) = self._front
        batch, n_chans, _ = x.shape
        locations = front.get_default_channel_locations(
            batch_size=batch, num_channels=n_chans, device=x.device, dtype=x.dtype
        )
        tokens, _ = front.prepare_tokens(x, locations, mask=None)
        tokens, _ = self.cross_attn(tokens)
        z = rearrange(tokens, "(B t) Q D -> B t (Q D)", B=batch)
        for block, norm in zip(self.mamba_blocks, self.norm_layers):
            z = z + block(norm(z))
        return z
