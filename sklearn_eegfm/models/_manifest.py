"""Folders that cannot lie: atomic writes and a manifest checked on load.

A saved PEFT folder is several files (PEFT's, the head, the settings). Written one by one
into the final folder, a failure half-way leaves a mix of old and new files that still
loads, and an edited file silently gives another model. Here a folder is written into a
temporary sibling and renamed into place only when complete, and its ``manifest.json``
records the sha256 of every file plus what the files must agree with (the backbone's
identity, tensor shapes, classes); :func:`check_manifest` refuses any mismatch by name.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import tempfile
from pathlib import Path

MANIFEST = "manifest.json"
_FORMAT = 1


class PEFTFileError(ValueError):
    """A saved folder is incomplete, edited, or does not match the model rebuilt for it."""


def file_sha256(path):
    """Return the sha256 hex digest of a file's bytes."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def state_sha256(module):
    """Return the sha256 of a module's state dict (names, dtypes, shapes and values).

    The identity of a backbone even when its weights are random: two networks agree on
    it only if every tensor is equal.
    """
    import torch

    digest = hashlib.sha256()
    for name, tensor in sorted(module.state_dict().items()):
        t = tensor.detach().cpu().contiguous().reshape(-1)
        digest.update(f"{name}|{t.dtype}|{tuple(tensor.shape)}|".encode())
        digest.update(t.view(torch.uint8).numpy().tobytes())
    return digest.hexdigest()


def tensor_shapes(path):
    """Return ``{key: shape}`` of a safetensors file without loading its values."""
    from safetensors import safe_open

    with safe_open(str(path), framework="pt") as f:
        return {k: list(f.get_slice(k).get_shape()) for k in f.keys()}  # noqa: SIM118


def dumps_checked(meta, what):
    """Serialise ``meta`` to JSON or raise naming the value that cannot be saved."""
    try:
        return json.dumps(meta, indent=1)
    except (TypeError, ValueError) as err:
        bad = [k for k, v in meta.get("params", {}).items() if not _serialisable(v)]
        where = f" (parameter(s) {bad})" if bad else ""
        raise TypeError(
            f"{what} cannot be saved: a setting is not JSON serialisable{where}: {err}. "
            "Nothing was written. Refit with plain values (e.g. random_state=7 instead of "
            "np.random.RandomState(7)), or save the whole estimator with joblib.dump."
        ) from None


def _serialisable(value):
    try:
        json.dumps(value)
    except (TypeError, ValueError):
        return False
    return True


@contextlib.contextmanager
def atomic_folder(path, *, marker):
    """Yield a temporary folder that replaces ``path`` only when the block succeeds.

    ``path`` may not exist yet, or must be a folder written before (holding ``marker``):
    a folder of other files is never replaced. On any error the temporary folder is
    removed and ``path`` is left exactly as it was.
    """
    path = Path(path)
    if path.exists() and not (path.is_dir() and (path / marker).is_file()):
        what = "a file" if not path.is_dir() else f"a folder without {marker}"
        if not (path.is_dir() and not any(path.iterdir())):
            raise FileExistsError(
                f"{path} is {what}; it is not replaced. Choose a new folder or remove it."
            )
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent))
    try:
        yield tmp
        old = None
        if path.exists():
            old = Path(tempfile.mkdtemp(prefix=f".{path.name}.", suffix=".old", dir=path.parent))
            os.rmdir(old)
            os.replace(path, old)  # a rename: never a state where path holds a mix
        os.replace(tmp, path)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def write_manifest(folder, facts):
    """Record the sha256 of every file in ``folder`` and ``facts`` in its manifest."""
    folder = Path(folder)
    files = {
        f.name: file_sha256(f)
        for f in sorted(folder.iterdir())
        if f.is_file() and f.name != MANIFEST
    }
    manifest = {"format": _FORMAT, "files": files, **facts}
    (folder / MANIFEST).write_text(json.dumps(manifest, indent=1, sort_keys=True))
    return manifest


def read_manifest(folder):
    """Return the manifest of ``folder`` after checking every file against it."""
    folder = Path(folder)
    if not (folder / MANIFEST).is_file():
        raise PEFTFileError(
            f"{folder} holds no {MANIFEST}: it was written by an older version or not "
            "completely. Save the PEFT folder again with save_peft."
        )
    try:
        manifest = json.loads((folder / MANIFEST).read_text())
        files = dict(manifest["files"])
    except (ValueError, KeyError, TypeError) as err:
        raise PEFTFileError(f"{folder / MANIFEST} is not a valid manifest ({err}).") from None
    present = {f.name for f in folder.iterdir() if f.is_file() and f.name != MANIFEST}
    missing, extra = sorted(set(files) - present), sorted(present - set(files))
    if missing or extra:
        raise PEFTFileError(
            f"The files of {folder} differ from its manifest: missing {missing}, "
            f"unexpected {extra}. The folder was changed after saving; save it again."
        )
    changed = [name for name, digest in files.items() if file_sha256(folder / name) != digest]
    if changed:
        raise PEFTFileError(
            f"{changed} in {folder} changed after saving (sha256 differs from the "
            "manifest): the files were edited or mixed with another folder's. Save the "
            "PEFT folder again."
        )
    return manifest


def check_fact(name, found, recorded, hint):
    """Raise an :class:`PEFTFileError` naming ``name`` when the two values differ."""
    if found != recorded:
        raise PEFTFileError(
            f"The saved PEFT folder's {name} does not match: recorded {recorded!r}, found "
            f"{found!r}. {hint}"
        )
