"""Embedding cache shared by every clone of an embedder (CV folds, grid points).

An entry is keyed twice: by a *setting* key (model, weights hash, contract, preprocessing
options, package version, input channels and rate) and, inside it, by a fingerprint of
each epoch's data. Hashing an epoch costs microseconds; embedding it costs milliseconds.
Disk entries are written to a temporary file and renamed into place, so parallel
workers and crashes never leave a partial entry behind. Each entry ends with a checksum
of its bytes: an entry that is empty, torn, foreign, of the wrong shape or not finite
is a miss, recomputed and rewritten, never returned.
"""

from __future__ import annotations

import hashlib
import io
import os
import tempfile
import warnings
from collections import OrderedDict
from pathlib import Path

import numpy as np

_MEMORY_BUDGET_BYTES = 2 * 1024**3
# An entry is a .npy file followed by this tag and the blake2b digest of the .npy bytes
# (np.load ignores trailing bytes, so entries stay readable as plain .npy files).
_TAG = b"SKEEGFM-B2B16:"
_DIGEST = 16
_UMASK = None


class CacheWarning(UserWarning):
    """The embedding cache could not be written; results are right but not cached."""


def _file_mode():
    # mkstemp creates 0600 files; a cache shared by a lab group needs the umask's mode.
    global _UMASK
    if _UMASK is None:
        _UMASK = os.umask(0o022)
        os.umask(_UMASK)
    return 0o666 & ~_UMASK


def _digest(payload):
    return hashlib.blake2b(payload, digest_size=_DIGEST).digest()


def _canonical(value, out):
    # repr() abbreviates arrays of more than 1000 values ("..."): hash their bytes.
    if isinstance(value, np.ndarray):
        out.append(f"ndarray{value.shape}{value.dtype}".encode())
        out.append(np.ascontiguousarray(value).tobytes())
    elif isinstance(value, dict):
        out.append(b"{")
        for k in sorted(value, key=str):
            _canonical(k, out)
            _canonical(value[k], out)
        out.append(b"}")
    elif isinstance(value, list | tuple):
        out.append(b"(" if isinstance(value, tuple) else b"[")
        for v in value:
            _canonical(v, out)
        out.append(b")")
    else:
        out.append(repr(value).encode())
    out.append(b",")


def setting_key(*parts):
    """Hash the parts that define an embedding (model, weights, options...).

    Parameters
    ----------
    *parts : object
        Arrays (hashed in full), dicts, lists, tuples, or anything with a stable
        ``repr``.

    Returns
    -------
    key : str
        A short hex digest.
    """
    chunks = []
    _canonical(parts, chunks)
    return hashlib.blake2b(b"".join(chunks), digest_size=12).hexdigest()


class _Stats:
    def __init__(self):
        self.hits = 0
        self.misses = 0


class EmbeddingCache:
    """In-memory (LRU over settings) or on-disk store of embedding rows.

    Parameters
    ----------
    location : "memory" | str | Path
        Where entries live.
    """

    _memory: OrderedDict = OrderedDict()
    _memory_bytes = 0
    _stats: dict = {}

    def __init__(self, location="memory"):
        self.location = location
        self.path = None if location == "memory" else Path(location)
        self.writable = True

    @classmethod
    def stats(cls, key):
        """Hit and miss counts of a setting key.

        Parameters
        ----------
        key : str
            A setting key.

        Returns
        -------
        stats : dict
            ``{"hits": int, "misses": int}``.
        """
        s = cls._stats.get(key, _Stats())
        return {"hits": s.hits, "misses": s.misses}

    @classmethod
    def clear_memory(cls):
        """Forget every in-memory entry and count."""
        cls._memory.clear()
        cls._memory_bytes = 0
        cls._stats.clear()

    def lookup(self, key, fingerprints, n_features=None):
        """Return the cached rows (None where absent) and count hits/misses.

        Parameters
        ----------
        key : str
            Setting key.
        fingerprints : list of str
            Epoch fingerprints.
        n_features : int | None
            Expected row length; disk entries of another shape are misses.

        Returns
        -------
        rows : list of ndarray | None
            One entry per fingerprint.
        """
        stats = EmbeddingCache._stats.setdefault(key, _Stats())
        if self.path is None:
            table = EmbeddingCache._memory.get(key, {})
            if table:
                EmbeddingCache._memory.move_to_end(key)
            rows = [table.get(fp) for fp in fingerprints]
        else:
            rows = [self._read(key, fp, n_features) for fp in fingerprints]
        hits = sum(r is not None for r in rows)
        stats.hits += hits
        stats.misses += len(rows) - hits
        return rows

    def store(self, key, fingerprints, rows):
        """Store embedding rows.

        Parameters
        ----------
        key : str
            Setting key.
        fingerprints : list of str
            Epoch fingerprints.
        rows : ndarray, shape (n_epochs, n_features)
            Their embeddings.
        """
        if self.path is not None:
            for fp, row in zip(fingerprints, rows):
                if not self.writable:
                    return
                self._write(key, fp, row)
            return
        table = EmbeddingCache._memory.setdefault(key, {})
        for fp, row in zip(fingerprints, rows):
            if fp not in table:
                table[fp] = np.array(row, copy=True)
                EmbeddingCache._memory_bytes += row.nbytes
        EmbeddingCache._memory.move_to_end(key)
        memory = EmbeddingCache._memory
        while EmbeddingCache._memory_bytes > _MEMORY_BUDGET_BYTES and memory:
            if len(memory) > 1:  # least recently used setting first
                _, old = memory.popitem(last=False)
                EmbeddingCache._memory_bytes -= sum(r.nbytes for r in old.values())
                continue
            # One setting alone over budget: drop its oldest rows (dicts keep insertion
            # order), so the budget holds within a setting too. One pass, not one
            # scan per row.
            only = next(iter(memory.values()))
            excess, oldest = EmbeddingCache._memory_bytes - _MEMORY_BUDGET_BYTES, []
            for fp, row in only.items():
                if excess <= 0:
                    break
                oldest.append(fp)
                excess -= row.nbytes
            if not oldest:
                break
            for fp in oldest:
                EmbeddingCache._memory_bytes -= only.pop(fp).nbytes

    def _file(self, key, fp):
        return self.path / key / fp[:2] / f"{fp}.npy"

    def _read(self, key, fp, n_features=None):
        f = self._file(key, fp)
        try:
            raw = f.read_bytes()
        except OSError:  # absent or unreadable: a miss
            return None
        # Anything but an entry this class wrote, intact, is a miss that gets rewritten.
        payload, tag, digest = raw[: -len(_TAG) - _DIGEST], raw[-len(_TAG) - _DIGEST :], None
        if tag[: len(_TAG)] == _TAG:
            digest = tag[len(_TAG) :]
        if digest is None or _digest(payload) != digest:
            return None
        try:
            row = np.load(io.BytesIO(payload), allow_pickle=False)
        except (OSError, ValueError, EOFError):
            return None
        if row.ndim != 1 or (n_features is not None and row.shape != (n_features,)):
            return None
        if not np.isfinite(row).all():
            return None
        return row

    def _write(self, key, fp, row):
        f = self._file(key, fp)
        buf = io.BytesIO()
        np.save(buf, np.asarray(row), allow_pickle=False)
        payload = buf.getvalue()
        tmp = None
        try:
            f.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=f.parent, suffix=".tmp")
            with os.fdopen(fd, "wb") as handle:
                handle.write(payload + _TAG + _digest(payload))
            os.chmod(tmp, _file_mode())
            os.replace(tmp, f)
        except OSError as err:
            # A read-only or full cache folder must not throw away finished work.
            if tmp is not None:
                Path(tmp).unlink(missing_ok=True)
            self.writable = False
            warnings.warn(
                f"The embedding cache cannot write to {self.path} ({err}); continuing "
                "without caching. Make the folder writable or pass another cache=.",
                CacheWarning,
                stacklevel=4,
            )
        except BaseException:
            if tmp is not None:
                Path(tmp).unlink(missing_ok=True)
            raise
