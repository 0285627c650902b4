"""LuMamba's network builder (torch is imported only when a model is built)."""


def lumamba_network(**kwargs):
    """Build :class:`._lumamba_net.LuMamba` from braindecode-style LUNA arguments."""
    from ._lumamba_net import LuMamba

    return LuMamba(**kwargs)


# The four published encoders (PulpBio/LuMamba model card; 16.8 MB each, CC BY-ND 4.0).
LUMAMBA_FILES = (
    "LuMamba_LeJEPA_reconstruction_300slices.safetensors",
    "LuMamba_LeJEPA_reconstruction_128slices.safetensors",
    "LuMamba_ReconstructionOnly.safetensors",
    "LuMamba_LeJEPAOnly_128slices.safetensors",
)
