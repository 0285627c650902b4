"""Finding, verifying and loading pretrained weights, offline first.

Resolution order for ``weights="auto"``: the local cache ``$SKLEARN_EEGFM_HOME``
(default ``~/.cache/sklearn_eegfm``) in the Hugging Face hub layout
(``models--org--name/snapshots/<rev>/<file>``) or as a plain ``org/name/<file>`` folder,
then the hub itself through ``huggingface_hub`` unless ``HF_HUB_OFFLINE`` is set.
Checkpoints are read with ``safetensors`` or ``torch.load(weights_only=True)``, never
with pickle, and their keys and shapes are compared with the model before loading.
"""

from __future__ import annotations

import fnmatch
import hashlib
import os
import pickle
import socket
from dataclasses import dataclass
from pathlib import Path

_SHA_CACHE: dict[tuple, str] = {}
# Checkpoints often wrap the state dict; these keys are unwrapped, in this order.
_WRAPPER_KEYS = ("state_dict", "model_state_dict", "model", "module", "network")
_PREFIXES = ("module.", "model.", "backbone.", "encoder.", "_orig_mod.")


class WeightsNotFoundError(FileNotFoundError):
    """Pretrained weights are not on this machine and cannot be downloaded."""


class CheckpointError(ValueError):
    """A checkpoint is corrupt, unsafe, or does not fit the model."""


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


def home_dir():
    """Return the local weights cache, ``$SKLEARN_EEGFM_HOME`` or ``~/.cache/sklearn_eegfm``.

    Returns
    -------
    path : Path
        The folder (not created).
    """
    return Path(os.environ.get("SKLEARN_EEGFM_HOME", Path.home() / ".cache" / "sklearn_eegfm"))


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


# Hub endpoint -> None (answered) or why not; probed once per process.
_HUB_REACHABLE: dict[str, str | None] = {}


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
        return download(contract.name)
    except Exception as err:  # network, gated repository, missing file: all end here
        raise WeightsNotFoundError(
            f"{head} and downloading failed ({type(err).__name__}: {str(err)[:200]}). "
            f"{_where_to_put(contract)}"
        ) from err


def download(name, *, home=None):
    """Download a model's pretrained weights into the local cache.

    Parameters
    ----------
    name : str
        Model name, e.g. ``"cbramod"``.
    home : str | Path | None
        Cache folder; ``$SKLEARN_EEGFM_HOME`` when None.

    Returns
    -------
    path : Path
        The downloaded checkpoint, in the Hugging Face hub layout under ``home``.

    Examples
    --------
    >>> import sklearn_eegfm
    >>> sklearn_eegfm.download("cbramod")  # doctest: +SKIP
    """
    from ..utils._imports import import_optional_dependency
    from ._contracts import get_contract

    hub = import_optional_dependency("huggingface_hub", extra="hub")
    contract = get_contract(name)
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


def sha256_file(path):
    """Return the sha256 of a file, memoised on its identity, times and edges.

    Parameters
    ----------
    path : Path
        The file.

    Returns
    -------
    digest : str
        Hex digest.
    """
    path = Path(path)
    stat = path.stat()
    # Size and mtime alone miss a rewrite that keeps both (cp -p, rsync -t): the
    # inode, ctime (which no user call sets) and a hash of both ends of the file
    # (cheap next to the full hash) are part of the memo key too.
    with open(path, "rb") as f:
        edges = hashlib.blake2b(f.read(1 << 16), digest_size=16)
        f.seek(max(0, stat.st_size - (1 << 16)))
        edges.update(f.read())
    key = (
        str(path.resolve()),
        stat.st_size,
        stat.st_mtime_ns,
        stat.st_ctime_ns,
        stat.st_ino,
        edges.hexdigest(),
    )
    if key not in _SHA_CACHE:
        h = hashlib.sha256()
        with open(path, "rb") as f:
            for block in iter(lambda: f.read(1 << 22), b""):
                h.update(block)
        _SHA_CACHE[key] = h.hexdigest()
    return _SHA_CACHE[key]


def read_state_dict(path):
    """Read a checkpoint without executing pickled code.

    Parameters
    ----------
    path : Path
        ``.safetensors`` (read with safetensors) or a torch file (read with
        ``torch.load(weights_only=True)``).

    Returns
    -------
    state_dict : dict of str to Tensor
        The tensors, unwrapped from common containers (``{"state_dict": ...}``).
    """
    import torch

    path = Path(path)
    fix = "Delete the file and download it again, or pass another checkpoint."
    if path.suffix == ".safetensors":
        from safetensors import SafetensorError
        from safetensors.torch import load_file

        try:
            return load_file(str(path))
        except (SafetensorError, OSError, ValueError) as err:
            raise CheckpointError(
                f"{path} is not a readable safetensors file ({err}). {fix}"
            ) from err
    not_a_checkpoint = (
        f"{path} is not a checkpoint: neither a torch archive nor a safetensors file (is "
        f"it an HTML error page, a partial download or another kind of file?). {fix}"
    )
    with open(path, "rb") as f:
        magic = f.read(4)
    # torch.save writes a zip archive (PK..) or, in the legacy format, a pickle (0x80).
    is_pickle = magic[:1] == b"\x80" and magic[1:2] in (b"\x02", b"\x03", b"\x04", b"\x05")
    if magic and magic != b"PK\x03\x04" and not is_pickle:
        raise CheckpointError(not_a_checkpoint)
    try:
        obj = torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as err:
        if not any(s in str(err) for s in ("GLOBAL", "global", "Unsupported class")):
            raise CheckpointError(not_a_checkpoint) from err
        raise CheckpointError(
            f"{path} contains pickled Python objects or code, which sklearn-eegfm does not "
            "execute (torch.load(weights_only=True) refused it). Convert it to a plain state "
            "dict or to safetensors on a machine you trust: "
            "safetensors.torch.save_file(torch.load(path)['state_dict'], 'model.safetensors')."
        ) from err
    except (RuntimeError, EOFError, OSError) as err:
        raise CheckpointError(f"{path} is corrupt or truncated ({err}). {fix}") from err
    for key in _WRAPPER_KEYS:
        if isinstance(obj, dict) and isinstance(obj.get(key), dict):
            obj = obj[key]
    if not isinstance(obj, dict) or not all(isinstance(v, torch.Tensor) for v in obj.values()):
        raise CheckpointError(f"{path} does not hold a state dict of tensors.")
    from ._layouts import join_split_checkpoint

    return join_split_checkpoint(path, obj, read_state_dict)


def _strip_prefixes(state_dict, model_keys):
    for prefix in _PREFIXES:
        if not (state_dict.keys() & model_keys) and all(k.startswith(prefix) for k in state_dict):
            state_dict = {k[len(prefix) :]: v for k, v in state_dict.items()}
    return state_dict


def load_checked(model, state_dict, *, ignore=(), source="checkpoint"):
    """Load ``state_dict`` into ``model`` after checking every key and shape.

    Parameters
    ----------
    model : torch.nn.Module
        The freshly built model.
    state_dict : dict of str to Tensor
        The checkpoint's tensors.
    ignore : sequence of str
        Glob patterns of keys allowed to be missing or unexpected (task heads the
        embedding does not use).
    source : str
        Checkpoint name for messages.

    Returns
    -------
    n_loaded : int
        Number of tensors loaded.
    """
    from ._layouts import match_layout

    own = model.state_dict()
    # braindecode models may declare renames from the original checkpoints' key names.
    renames = getattr(model, "mapping", None) or {}

    def normalise(sd):
        return _strip_prefixes({renames.get(k, k): v for k, v in sd.items()}, own.keys())

    def ignored(key):
        return any(fnmatch.fnmatchcase(key, pattern) for pattern in ignore)

    # The authors' original files and braindecode's re-uploads (see _layouts.py).
    state_dict, layout, hint = match_layout(model, state_dict, normalise, ignored)
    model.weights_layout = layout

    missing = sorted(k for k in own.keys() - state_dict.keys() if not ignored(k))
    unexpected = sorted(k for k in state_dict.keys() - own.keys() if not ignored(k))
    shapes = sorted(
        f"{k}: checkpoint {tuple(state_dict[k].shape)} vs model {tuple(own[k].shape)}"
        for k in own.keys() & state_dict.keys()
        if state_dict[k].shape != own[k].shape and not ignored(k)
    )
    if missing or unexpected or shapes:

        def head(items):
            return f"{items[:8]}{' ...' if len(items) > 8 else ''} ({len(items)})"

        raise CheckpointError(
            f"{source} does not fit the model: missing keys {head(missing)}, unexpected keys "
            f"{head(unexpected)}, shape mismatches {head(shapes)}. Is it the checkpoint of "
            "this model, built for the same channels and window length?" + hint
        )
    usable = {k: v for k, v in state_dict.items() if k in own and v.shape == own[k].shape}
    _check_finite_tensors(usable, source)
    result = model.load_state_dict(usable, strict=False)
    assert all(ignored(k) for k in result.missing_keys), result.missing_keys
    return len(usable)


def _check_finite_tensors(state_dict, source):
    """Refuse NaN or infinite weights: they give NaN embeddings without a word."""
    import torch

    for key, value in state_dict.items():
        if value.is_floating_point() or value.is_complex():
            finite = torch.isfinite(value)
            if not bool(finite.all()):
                n_bad = int((~finite).sum())
                raise CheckpointError(
                    f"{source} holds non-finite weights: tensor {key!r} has {n_bad} of "
                    f"{value.numel()} values NaN or infinite (the first such tensor). The "
                    "checkpoint is corrupt or comes from a diverged training run; download "
                    "it again or pass another one."
                )
