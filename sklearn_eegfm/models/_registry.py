"""The registry of foundation models: the public way in to the zoo's contracts.

:data:`CONTRACTS` maps each model name to the ``CONTRACT`` of its module in ``zoo/``;
:func:`get_contract` and :func:`list_models` read it. The registry imports nothing of the
package but the zoo; :func:`register_model` adds a model defined elsewhere (a module or
a contract) at run time, and it then appears wherever the models are listed
(``list_models()``, ``check_epochs()``, the CLI's ``--models``).
"""

from __future__ import annotations

import difflib

from . import zoo

CONTRACTS: dict = {m.CONTRACT.name: m.CONTRACT for m in zoo.model_modules()}


def register_model(model):
    """Add a model to the registry at run time.

    Parameters
    ----------
    model : module | FMContract
        A module defining ``CONTRACT`` (written like those of ``models/zoo/``), or a
        contract itself.

    Returns
    -------
    contract : FMContract
        The registered contract.

    Examples
    --------
    >>> from sklearn_eegfm.models import CONTRACTS, register_model
    >>> register_model(CONTRACTS["cbramod"]).name
    'cbramod'
    """
    contract = getattr(model, "CONTRACT", model)
    if not (hasattr(contract, "name") and hasattr(contract, "model_cls")):
        raise TypeError(
            f"register_model takes a module defining CONTRACT or an FMContract; got {model!r}."
        )
    CONTRACTS[contract.name] = contract
    return contract


def get_contract(name):
    """Return the contract of a model.

    Parameters
    ----------
    name : str | FMContract
        Model name (case-insensitive), e.g. ``"cbramod"``; a contract is returned as is.

    Returns
    -------
    contract : FMContract
        The model's contract.
    """
    if not isinstance(name, str) and hasattr(name, "model_cls"):
        return name
    key = str(name).lower().replace("-", "").replace("_", "")
    aliases = {c.replace("-", "").replace("_", ""): c for c in CONTRACTS}
    if key in aliases:
        return CONTRACTS[aliases[key]]
    close = difflib.get_close_matches(str(name).lower(), sorted(CONTRACTS), n=3, cutoff=0.5)
    hint = f" Did you mean {' or '.join(repr(c) for c in close)}?" if close else ""
    raise ValueError(f"Unknown model {name!r}; available: {sorted(CONTRACTS)}.{hint}")


def list_models():
    """List the foundation models and their input contracts.

    Returns
    -------
    table : pandas.DataFrame
        One row per model: rate, window multiple, channel policy, units, weights,
        embedding size, licence and pretraining corpora.

    Examples
    --------
    >>> from sklearn_eegfm import list_models
    >>> "cbramod" in list_models()["name"].tolist()
    True
    """
    import pandas as pd

    return pd.DataFrame([c.describe() for c in CONTRACTS.values()])


def fidelity_rows():
    """Return every fidelity check of every model, one row each.

    Returns
    -------
    rows : list of dict
        Keys ``model, aspect, status, source, note``.
    """
    return [
        {"model": name, **check._asdict()}
        for name, contract in CONTRACTS.items()
        for check in contract.fidelity
    ]


def fidelity_rst():
    """Return the user guide's fidelity table as reST (``doc/guide/contracts.rst`` embeds it).

    Returns
    -------
    text : str
        A ``list-table``.
    """
    lines = [
        ".. list-table::",
        "   :header-rows: 1",
        "   :widths: 12 14 10 30 34",
        "",
        "   * - Model",
        "     - Aspect",
        "     - Status",
        "     - Source",
        "     - Finding",
    ]
    for row in fidelity_rows():
        note = row["note"].replace("|", r"\|")  # "|x|" would be a reST substitution
        lines += [
            f"   * - {row['model']}",
            f"     - {row['aspect']}",
            f"     - {row['status']}",
            f"     - ``{row['source']}``",
            f"     - {note}",
        ]
    return "\n".join(lines) + "\n"
