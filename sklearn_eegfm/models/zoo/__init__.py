"""The model zoo: one module per foundation model, each defining ``CONTRACT``.

A module here holds everything true of one model (its :class:`FMContract`, preparation,
read-out, fidelity records, checkpoint layouts, hub repository, licence and reference
fixture) and imports only the generic machinery below it (``models/_contract.py``,
``_contract_parts.py``, ``_channels.py``, ``_weights.py``, ``_checkpoint_layouts.py``,
``_signal.py``, ``utils/``): never another model, the registry or an estimator. Modules
are found by name: adding ``zoo/<name>.py`` registers the model, with no other edit.
Each module reads as the model's datasheet: its preparation and read-out, its fidelity
records (each citing the authors' file and line), its checkpoint layouts, and last its
contract (hub repository, licence, reference fixture).
"""

from __future__ import annotations

import importlib
import pkgutil


def model_modules():
    """Import every model module of the zoo, in the order of their names.

    Returns
    -------
    modules : list of module
        Each defines ``CONTRACT``.
    """
    names = sorted(m.name for m in pkgutil.iter_modules(__path__) if not m.name.startswith("_"))
    return [importlib.import_module(f"{__name__}.{name}") for name in names]
