"""Reading, checksumming and strictly loading checkpoints: rules every layer shares.

Checkpoints are read with ``safetensors`` or ``torch.load(weights_only=True)``, never
with pickle; every key and shape is compared with the model, and non-finite tensors are
refused, before anything is loaded. Foundation models (``models/``) and pretrained
tokenizers (``tokenizers/``) both load through here, with the key mappings of the
authors' checkpoint layouts in ``_checkpoint_layouts.py`` (each model declares its own
in its module of ``models/zoo/``).
"""

from __future__ import annotations

import fnmatch
import hashlib
import os
import pickle
from pathlib import Path

from ._checkpoint_layouts import join_checkpoint_parts, match_layout
from ._memo import BoundedMemo

# Checksums of checkpoint files, keyed by the file's identity (see sha256_file): hashing
# a 600 MB file costs seconds, and every fit of every clone asks for it.
SHA256_MEMO = BoundedMemo(256)
# Checkpoints often wrap the state dict; these keys are unwrapped, in this order.
_WRAPPER_KEYS = ("state_dict", "model_state_dict", "model", "module", "network")
_PREFIXES = ("module.", "model.", "backbone.", "encoder.", "_orig_mod.")


class WeightsNotFoundError(FileNotFoundError):
    """Pretrained weights are not on this machine and cannot be downloaded."""


class CheckpointError(ValueError):
    """A checkpoint is corrupt, unsafe, or does not fit the model."""


def home_dir():
    """Return the local weights cache, ``$SKLEARN_EEGFM_HOME`` or ``~/.cache/sklearn_eegfm``.

    Returns
    -------
    path : Path
        The folder (not created).
    """
    return Path(os.environ.get("SKLEARN_EEGFM_HOME", Path.home() / ".cache" / "sklearn_eegfm"))


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
    digest = SHA256_MEMO.get(key)
    if digest is None:
        h = hashlib.sha256()
        with open(path, "rb") as f:
            for block in iter(lambda: f.read(1 << 22), b""):
                h.update(block)
        digest = h.hexdigest()
        SHA256_MEMO.set(key, digest)
    return digest


def read_state_dict(path, parts=()):
    """Read a checkpoint without executing pickled code.

    Parameters
    ----------
    path : Path
        ``.safetensors`` (read with safetensors) or a torch file (read with
        ``torch.load(weights_only=True)``).
    parts : tuple of (str, str)
        ``(file name, key prefix)`` of a checkpoint published as one file per module
        (a contract's ``checkpoint_parts``, e.g. BENDR's ``encoder.pt`` and
        ``contextualizer.pt``): when ``path`` is the first, its siblings are joined in.

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
    # A checkpoint published as one file per module (BENDR) is joined here.
    return join_checkpoint_parts(path, obj, parts, read_state_dict)


def _strip_prefixes(state_dict, model_keys):
    for prefix in _PREFIXES:
        if not (state_dict.keys() & model_keys) and all(k.startswith(prefix) for k in state_dict):
            state_dict = {k[len(prefix) :]: v for k, v in state_dict.items()}
    return state_dict


def load_checked(model, state_dict, *, ignore=(), source="checkpoint", layouts=()):
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
    layouts : tuple of CheckpointLayout
        The checkpoint layouts the model declares (its contract's
        ``checkpoint_layouts``); braindecode's own keys are always tried.

    Returns
    -------
    n_loaded : int
        Number of tensors loaded.
    """
    own = model.state_dict()
    # braindecode models may declare renames from the original checkpoints' key names.
    renames = getattr(model, "mapping", None) or {}

    def normalise(sd):
        return _strip_prefixes({renames.get(k, k): v for k, v in sd.items()}, own.keys())

    def ignored(key):
        return any(fnmatch.fnmatchcase(key, pattern) for pattern in ignore)

    # The authors' original files and braindecode's re-uploads (_checkpoint_layouts.py).
    state_dict, layout, hint = match_layout(model, state_dict, normalise, ignored, layouts)
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
