"""The model hub and the local weights cache: the lookup every layer shares.

Foundation models (``models/_weights.py``) and published tokenizers
(``tokenizers/pretrained.py``) find checkpoints the same way, offline first: the local
cache ``$SKLEARN_EEGFM_HOME`` (default ``~/.cache/sklearn_eegfm``) in the Hugging Face
hub layout (``models--org--name/snapshots/<rev>/<file>``) or as a plain
``org/name/<file>`` folder, then the hub itself through ``huggingface_hub`` unless
``HF_HUB_OFFLINE`` is set or the hub cannot be reached. What is found is read by
:mod:`sklearn_eegfm._checkpoints` (safetensors or ``torch.load(weights_only=True)``,
strict keys).
"""

from __future__ import annotations

import os
import socket
from pathlib import Path

from ._checkpoints import WeightsNotFoundError, home_dir
from ._memo import BoundedMemo

# Hub endpoint -> None (answered) or why not: each endpoint is probed once per process,
# and the answer is kept in this bounded memo (clear it to probe again).
HUB_PROBES = BoundedMemo(16)


def hub_layout_file(home, repo_id, filename, revision="main"):
    """Find ``filename`` of ``repo_id`` in a Hugging Face cache folder.

    Parameters
    ----------
    home : Path
        The cache folder (``cache_dir`` of ``hf_hub_download``).
    repo_id : str
        ``"org/name"``.
    filename : str
        The file's path inside the repository.
    revision : str
        The ref (``refs/<revision>`` names the snapshot) or a snapshot's name.

    Returns
    -------
    path : Path | None
        The file, or None.
    """
    folder = Path(home) / f"models--{repo_id.replace('/', '--')}"
    ref = folder / "refs" / revision
    rev = ref.read_text().strip() if ref.is_file() else revision
    candidate = folder / "snapshots" / rev / filename
    return candidate if candidate.is_file() else None


def find_in_cache(repos, filenames, home=None):
    """Look for a checkpoint in the local cache, in both layouts.

    Parameters
    ----------
    repos : sequence of str
        Hub repositories, in order of preference (a renamed repository's former names
        after its current one).
    filenames : sequence of str
        The checkpoint's possible paths inside a repository, in order of preference.
    home : Path | None
        Cache folder; ``$SKLEARN_EEGFM_HOME`` when None.

    Returns
    -------
    path : Path | None
        The first file found: for each repository and name, the hub layout, then the
        plain ``home/<repo>/<name>`` folder.
    """
    home = Path(home) if home is not None else home_dir()
    for repo in repos:
        for filename in filenames:
            hit = hub_layout_file(home, repo, filename)
            if hit is None and (home / repo / filename).is_file():
                hit = home / repo / filename
            if hit is not None:
                return hit
    return None


def hub_offline():
    """Whether ``HF_HUB_OFFLINE`` asks the hub client to stay offline."""
    return os.environ.get("HF_HUB_OFFLINE", "0").lower() in ("1", "true", "yes", "on")


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
    if endpoint not in HUB_PROBES:
        url = urlparse(endpoint)
        host, port = url.hostname or endpoint, url.port or (80 if url.scheme == "http" else 443)
        try:
            socket.create_connection((host, port), timeout=timeout).close()
            HUB_PROBES[endpoint] = None
        except OSError as err:
            HUB_PROBES[endpoint] = (
                f"no network: {host}:{port} cannot be reached ({type(err).__name__}: {err})"
            )
    return HUB_PROBES[endpoint]


def download(label, repos, filenames, *, home=None, fix=""):
    """Download a checkpoint from the hub into the local cache.

    Parameters
    ----------
    label : str
        What is downloaded, for messages (e.g. ``"cbramod's weights"``).
    repos : sequence of str
        Hub repositories, tried in order (a mirror after a missing repository).
    filenames : sequence of str
        Paths inside a repository, each tried in order.
    home : Path | None
        Cache folder; ``$SKLEARN_EEGFM_HOME`` when None.
    fix : str
        What the user can do when there is no network, appended to that message.

    Returns
    -------
    path : Path
        The downloaded file (in the hub layout under ``home``).
    """
    from .utils._imports import import_optional_dependency

    hub = import_optional_dependency("huggingface_hub", extra="hub")
    home = Path(home) if home is not None else home_dir()
    repos = tuple(repos)
    offline_env = hub_offline()
    # Without network the hub client retries for about a minute: ask once, quickly.
    reason = None if offline_env else hub_unreachable()
    if reason is not None:
        raise WeightsNotFoundError(f"Could not download {label} from {repos[0]}: {reason}. {fix}")
    last = None
    for repo, filename in [(r, f) for r in repos for f in filenames]:
        try:
            return Path(hub.hf_hub_download(repo, filename, cache_dir=home))
        except hub.errors.LocalEntryNotFoundError as err:
            # Offline mode or no connection: subclasses EntryNotFoundError, but it means
            # "could not ask", not "not published".
            reason = "HF_HUB_OFFLINE is set (no network)" if offline_env else hub_unreachable()
            raise WeightsNotFoundError(
                f"Could not download {label} from {repos[0]}: "
                f"{reason or f'the hub client could not connect ({err})'}. {fix}"
            ) from err
        except hub.errors.EntryNotFoundError as err:  # try the next file name
            last = err
        except hub.errors.RepositoryNotFoundError as err:
            if isinstance(err, hub.errors.GatedRepoError) or len(repos) == 1:
                raise WeightsNotFoundError(
                    f"Could not download {label} from {repo}: "
                    f"{type(err).__name__}: {str(err)[:200]}."
                ) from err
            last = err  # a mirror (e.g. the repository's former name): try the next
        except OSError as err:  # requests' connection errors are OSErrors
            reason = hub_unreachable() or f"{type(err).__name__}: {str(err)[:200]}"
            raise WeightsNotFoundError(
                f"Could not download {label} from {repo}: {reason}."
            ) from err
    verb = "hold" if len(repos) > 1 else "holds"
    raise WeightsNotFoundError(
        f"The hub answered, but {' and '.join(repos)} {verb} none of "
        f"{list(filenames)} (not published under that name)."
    ) from last


def download_or_explain(label, repos, filenames, where_to_put, *, fix=""):
    """Download a checkpoint that is not in the cache, or say why not and what to do.

    The quick refusals come first (``HF_HUB_OFFLINE``, ``huggingface_hub`` missing, the
    hub unreachable: probed once), so that a machine without network fails in seconds.

    Parameters
    ----------
    label : str
        What is looked for, for messages (e.g. ``"'cbramod'"``).
    repos, filenames : sequence of str
        As in :func:`download`.
    where_to_put : str
        Sentences saying where the file can be put by hand (appended to every refusal).
    fix : str
        Passed to :func:`download`.

    Returns
    -------
    path : Path
        The downloaded file.
    """
    head = (
        f"Pretrained weights for {label} ({repos[0]}, file {filenames[0]}) are not in the "
        "local cache"
    )
    if hub_offline():
        raise WeightsNotFoundError(f"{head} and HF_HUB_OFFLINE is set. {where_to_put}")
    try:
        import huggingface_hub  # noqa: F401
    except ImportError:
        raise WeightsNotFoundError(
            f"{head} and huggingface_hub is not installed (pip install "
            f"'sklearn-eegfm[hub]'). {where_to_put}"
        ) from None
    offline = hub_unreachable()
    if offline is not None:
        raise WeightsNotFoundError(
            f"{head} and the hub cannot be reached ({offline}; checked once, the hub client "
            f"is not tried). {where_to_put}"
        )
    try:
        return download(label, repos, filenames, fix=fix)
    except Exception as err:  # network, gated repository, missing file: all end here
        raise WeightsNotFoundError(
            f"{head} and downloading failed ({type(err).__name__}: {str(err)[:200]}). "
            f"{where_to_put}"
        ) from err
