"""Finding, verifying and loading pretrained weights, offline first.

Resolution order for ``weights="auto"``: the local cache ``$SKLEARN_EEGFM_HOME``
(default ``~/.cache/sklearn_eegfm``) in the Hugging Face hub layout
(``models--org--name/snapshots/<rev>/<file>``) or as a plain ``org/name/<file>`` folder,
then the hub itself through ``huggingface_hub`` unless ``HF_HUB_OFFLINE`` is set.
Checkpoints are read with ``safetensors`` or ``torch.load(weights_only=True)``, never
with pickle, and their keys and shapes are compared with the model before loading.
"""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass
from pathlib import Path

from .._checkpoints import WeightsNotFoundError, home_dir
from .._memo import BoundedMemo


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


def _hub_layout_file(home, repo_id, filename, revision="main"):
    folder = home / f"models--{repo_id.replace('/', '--')}"
    ref = folder / "refs" / revision
    rev = ref.read_text().strip() if ref.is_file() else revision
    candidate = folder / "snapshots" / rev / filename
    return candidate if candidate.is_file() else None


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
    home = Path(home) if home is not None else home_dir()
    for repo in (contract.hub_repo, *contract.hub_mirrors):
        for filename in contract.hub_files:
            hit = _hub_layout_file(home, repo, filename)
            if hit is None and (home / repo / filename).is_file():
                hit = home / repo / filename
            if hit is not None:
                return hit
    return None


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
    home = home_dir()
    hit = _hub_layout_file(home, contract.hub_repo, filename)
    if hit is None and (home / contract.hub_repo / filename).is_file():
        hit = home / contract.hub_repo / filename
    return hit


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


# Hub endpoint -> None (answered) or why not: each endpoint is probed once per process,
# and the answer is kept in this bounded memo (clear it to probe again).
_HUB_REACHABLE = BoundedMemo(16)


def hub_unreachable(timeout=3.0):
    """Say why the model hub cannot be reached, probing it once per process.

    A plain TCP connection to ``$HF_ENDPOINT`` (default ``huggingface.co:443``): without
    network this answers in at most ``timeout`` seconds, where the hub client would spend
    about a minute in retries.

    Parameters
    ----------
    timeout : float
        Seconds to wait for the connection.

    Returns
    -------
    reason : str | None
        None when the hub answered, else a short reason (``"no network: ..."``).
    """
    from urllib.parse import urlparse

    endpoint = os.environ.get("HF_ENDPOINT", "https://huggingface.co")
    if endpoint not in _HUB_REACHABLE:
        url = urlparse(endpoint)
        host, port = url.hostname or endpoint, url.port or (80 if url.scheme == "http" else 443)
        try:
            socket.create_connection((host, port), timeout=timeout).close()
            _HUB_REACHABLE[endpoint] = None
        except OSError as err:
            _HUB_REACHABLE[endpoint] = (
                f"no network: {host}:{port} cannot be reached ({type(err).__name__}: {err})"
            )
    return _HUB_REACHABLE[endpoint]


def _download_or_explain(contract):
    head = (
        f"Pretrained weights for {contract.name!r} ({contract.hub_repo}, file "
        f"{contract.hub_files[0]}) are not in the local cache"
    )
    if not contract.hub_repo:
        raise WeightsNotFoundError(
            f"{contract.name!r} has no published weights; use weights=None."
        )
    if os.environ.get("HF_HUB_OFFLINE", "0").lower() in ("1", "true", "yes", "on"):
        raise WeightsNotFoundError(f"{head} and HF_HUB_OFFLINE is set. {_where_to_put(contract)}")
    try:
        import huggingface_hub  # noqa: F401
    except ImportError:
        raise WeightsNotFoundError(
            f"{head} and huggingface_hub is not installed (pip install "
            f"'sklearn-eegfm[hub]'). {_where_to_put(contract)}"
        ) from None
    offline = hub_unreachable()
    if offline is not None:
        raise WeightsNotFoundError(
            f"{head} and the hub cannot be reached ({offline}; checked once, the hub client "
            f"is not tried). {_where_to_put(contract)}"
        )
    try:
        return download(contract)
    except Exception as err:  # network, gated repository, missing file: all end here
        raise WeightsNotFoundError(
            f"{head} and downloading failed ({type(err).__name__}: {str(err)[:200]}). "
            f"{_where_to_put(contract)}"
        ) from err


def download(contract, *, home=None):
    """Download the weights of ``contract`` (:func:`sklearn_eegfm.download` takes a name).

    Tries ``hub_repo`` then ``hub_mirrors``, each with every name of ``hub_files``, into
    ``home`` (``$SKLEARN_EEGFM_HOME`` when None); returns the file's path.
    """
    from ..utils._imports import import_optional_dependency

    hub = import_optional_dependency("huggingface_hub", extra="hub")
    home = Path(home) if home is not None else home_dir()
    offline_env = os.environ.get("HF_HUB_OFFLINE", "0").lower() in ("1", "true", "yes", "on")
    fix = (
        f"Run sklearn-eegfm weights download {contract.name} on a machine with network and "
        f"copy {home} here, or set $SKLEARN_EEGFM_HOME."
    )
    # Without network the hub client retries for about a minute: ask once, quickly.
    reason = None if offline_env else hub_unreachable()
    if reason is not None:
        raise WeightsNotFoundError(
            f"Could not download {contract.name}'s weights from {contract.hub_repo}: {reason}. "
            f"{fix}"
        )
    last = None
    repos = (contract.hub_repo, *contract.hub_mirrors)
    for repo, filename in [(r, f) for r in repos for f in contract.hub_files]:
        try:
            return Path(hub.hf_hub_download(repo, filename, cache_dir=home))
        except hub.errors.LocalEntryNotFoundError as err:
            # Offline mode or no connection: subclasses EntryNotFoundError, but it means
            # "could not ask", not "not published".
            reason = "HF_HUB_OFFLINE is set (no network)" if offline_env else hub_unreachable()
            raise WeightsNotFoundError(
                f"Could not download {contract.name}'s weights from {contract.hub_repo}: "
                f"{reason or f'the hub client could not connect ({err})'}. {fix}"
            ) from err
        except hub.errors.EntryNotFoundError as err:  # try the next file name
            last = err
        except hub.errors.RepositoryNotFoundError as err:
            if isinstance(err, hub.errors.GatedRepoError) or len(repos) == 1:
                raise WeightsNotFoundError(
                    f"Could not download {contract.name}'s weights from {repo}: "
                    f"{type(err).__name__}: {str(err)[:200]}."
                ) from err
            last = err  # a mirror (e.g. the repository's former name): try the next
        except OSError as err:  # requests' connection errors are OSErrors
            reason = hub_unreachable() or f"{type(err).__name__}: {str(err)[:200]}"
            raise WeightsNotFoundError(
                f"Could not download {contract.name}'s weights from {repo}: {reason}."
            ) from err
    verb = "hold" if len(repos) > 1 else "holds"
    raise WeightsNotFoundError(
        f"The hub answered, but {' and '.join(repos)} {verb} none of "
        f"{list(contract.hub_files)} (not published under that name)."
    ) from last
