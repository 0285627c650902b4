"""Finding, verifying and loading pretrained weights, offline first.

Resolution order for ``weights="auto"``: the local cache ``$SKLEARN_EEGFM_HOME``
(default ``~/.cache/sklearn_eegfm``) in the Hugging Face hub layout
(``models--org--name/snapshots/<rev>/<file>``) or as a plain ``org/name/<file>`` folder,
then the hub itself through ``huggingface_hub`` unless ``HF_HUB_OFFLINE`` is set (the
lookup is :mod:`sklearn_eegfm._hub`, which the published tokenizers share). Checkpoints
are read with ``safetensors`` or ``torch.load(weights_only=True)``, never
with pickle, and their keys and shapes are compared with the model before loading.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from .. import _hub
from .._checkpoints import WeightsNotFoundError, home_dir

# The model modules' names for the shared lookup (REVE finds side files in the hub layout).
_hub_layout_file = _hub.hub_layout_file


@dataclass(frozen=True)
class WeightsSource:
    """Where a model's weights come from.

    Attributes
    ----------
    path : Path | None
        The checkpoint file; None for random initialisation.
    origin : str
        ``"explicit"``, ``"cache"``, ``"hub"`` or ``"random"``.
    """

    path: Path | None
    origin: str

    @property
    def pretrained(self):
        """Whether weights come from a checkpoint."""
        return self.path is not None


def find_cached(contract, home=None):
    """Look for a contract's checkpoint in the local cache.

    Parameters
    ----------
    contract : FMContract
        The model's contract (gives ``hub_repo`` and ``hub_files``).
    home : Path | None
        Cache folder; :func:`home_dir` when None.

    Returns
    -------
    path : Path | None
        The first file found, or None.
    """
    return _hub.find_in_cache((contract.hub_repo, *contract.hub_mirrors), contract.hub_files, home)


def find_side_file(contract, source, filename):
    """Find a file published beside a model's weights (e.g. a channel vocabulary).

    Parameters
    ----------
    contract : FMContract
        The model's contract.
    source : WeightsSource
        Where the weights come from; the file is looked for next to them first.
    filename : str
        The file's name in the hub repository.

    Returns
    -------
    path : Path | None
        The file, or None.
    """
    if source.path is not None and (source.path.parent / filename).is_file():
        return source.path.parent / filename
    return _hub.find_in_cache((contract.hub_repo,), (filename,))


def resolve_weights(contract, weights):
    """Turn an estimator's ``weights`` parameter into a :class:`WeightsSource`.

    Parameters
    ----------
    contract : FMContract
        The model's contract.
    weights : "auto" | str | Path | None
        ``"auto"``: cache, then hub. A path: a checkpoint file, or a folder holding one
        of the contract's file names. None: random initialisation.

    Returns
    -------
    source : WeightsSource
        Where the weights come from.
    """
    if weights is None:
        return WeightsSource(None, "random")
    if not isinstance(weights, str | os.PathLike):
        raise TypeError(
            f"weights must be 'auto', None or a path to a checkpoint file or folder; got "
            f"{weights!r} ({type(weights).__name__})."
        )
    if isinstance(weights, str) and weights == "auto":
        cached = find_cached(contract)
        if cached is not None:
            return WeightsSource(cached, "cache")
        return WeightsSource(_download_or_explain(contract), "hub")
    path = Path(weights).expanduser()
    if path.is_dir():
        for filename in contract.hub_files:
            if (path / filename).is_file():
                return WeightsSource(path / filename, "explicit")
        raise WeightsNotFoundError(
            f"{path} holds none of {contract.name}'s checkpoint files {list(contract.hub_files)}."
        )
    if path.is_file():
        return WeightsSource(path, "explicit")
    raise WeightsNotFoundError(
        f"weights={str(weights)!r} is neither 'auto', None, nor an existing file or folder."
    )


def _where_to_put(contract):
    home = home_dir()
    return (
        f"Put the file at {home / contract.hub_repo / contract.hub_files[0]} (or in the Hugging "
        f"Face cache layout under {home}), pass weights='/path/to/{contract.hub_files[0]}', run "
        f"sklearn_eegfm.download({contract.name!r}) on a machine with network, or use "
        "weights=None for a randomly initialised model (not pretrained)."
    )


def _download_or_explain(contract):
    if not contract.hub_repo:
        raise WeightsNotFoundError(
            f"{contract.name!r} has no published weights; use weights=None."
        )
    return _hub.download_or_explain(
        repr(contract.name),
        (contract.hub_repo, *contract.hub_mirrors),
        contract.hub_files,
        _where_to_put(contract),
        fix=_download_fix(contract, home_dir()),
    )


def _download_fix(contract, home):
    return (
        f"Run sklearn-eegfm weights download {contract.name} on a machine with network and "
        f"copy {home} here, or set $SKLEARN_EEGFM_HOME."
    )


def download(contract, *, home=None):
    """Download the weights of ``contract`` (:func:`sklearn_eegfm.download` takes a name).

    Tries ``hub_repo`` then ``hub_mirrors``, each with every name of ``hub_files``, into
    ``home`` (``$SKLEARN_EEGFM_HOME`` when None); returns the file's path.
    """
    home = Path(home) if home is not None else home_dir()
    return _hub.download(
        f"{contract.name}'s weights",
        (contract.hub_repo, *contract.hub_mirrors),
        contract.hub_files,
        home=home,
        fix=_download_fix(contract, home),
    )
