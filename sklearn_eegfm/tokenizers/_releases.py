"""The published tokenizers' checkpoints by name (the weights key of each in compare())."""

from __future__ import annotations

from . import biocodec, tfm
from .pretrained import RELEASES


def tokenizer_release(name):
    """Look up the :class:`~.pretrained.TokenizerRelease` of a published tokenizer by name.

    Parameters
    ----------
    name : str
        ``"labram-vqnsp"``, ``"tfm-tokenizer"`` or ``"biocodec"``.

    Returns
    -------
    release : TokenizerRelease
        Where its checkpoint comes from.
    """
    known = {**RELEASES, tfm.RELEASE.name: tfm.RELEASE, biocodec.RELEASE.name: biocodec.RELEASE}
    if name not in known:
        raise ValueError(f"Unknown tokenizer {name!r}; choose one of {sorted(known)}.")
    return known[name]
