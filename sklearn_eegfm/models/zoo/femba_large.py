"""FEMBA-large (Tegon et al., 2025): 4 blocks, 79-wide patch embedding, 77.2M parameters.

FEMBA's datasheet (montage, scale, read-out, fidelity records, checkpoint layouts, hub
files, licence) is shared by its three published sizes and lives in ``models/_femba.py``.
"""

from .. import _femba

FIDELITY = _femba.FIDELITY  # shared by the three sizes
CONTRACT = _femba.femba_contract("large")
