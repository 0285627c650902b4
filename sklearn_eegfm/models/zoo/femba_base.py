"""FEMBA-base (Tegon et al., 2025): 12 blocks, 35-wide patch embedding, 46.6M parameters.

FEMBA's datasheet (montage, scale, read-out, fidelity records, checkpoint layouts, hub
files, licence) is shared by its three published sizes and lives in ``models/_femba.py``.
"""

from .. import _femba

FIDELITY = _femba.FIDELITY  # shared by the three sizes
CONTRACT = _femba.femba_contract("base")
