"""Embedding cache shared by every clone of an embedder (CV folds, grid points).

An entry is keyed twice: by a *setting* key (model, weights hash, contract, preprocessing
options, package version, input channels and rate) and, inside it, by a fingerprint of
each epoch's data. Hashing an epoch costs microseconds; embedding it costs milliseconds.
Disk entries are written to a temporary file and renamed into place, so parallel
workers and crashes never leave a partial entry behind.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections import OrderedDict
from pathlib import Path

import numpy as np

_MEMORY_BUDGET_BYTES = 2 * 1024**3


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

    def lookup(self, key, fingerprints):
        """Return the cached rows (None where absent) and count hits/misses.

        Parameters
        ----------
        key : str
            Setting key.
        fingerprints : list of str
            Epoch fingerprints.

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
            rows = [self._read(key, fp) for fp in fingerprints]
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
                self._write(key, fp, row)
            return
        table = EmbeddingCache._memory.setdefault(key, {})
        for fp, row in zip(fingerprints, rows):
            if fp not in table:
                table[fp] = np.array(row, copy=True)
                EmbeddingCache._memory_bytes += row.nbytes
        EmbeddingCache._memory.move_to_end(key)
        while (
            EmbeddingCache._memory_bytes > _MEMORY_BUDGET_BYTES and len(EmbeddingCache._memory) > 1
        ):
            _, old = EmbeddingCache._memory.popitem(last=False)
            EmbeddingCache._memory_bytes -= sum(r.nbytes for r in old.values())

    def _file(self, key, fp):
        return self.path / key / fp[:2] / f"{fp}.npy"

    def _read(self, key, fp):
        f = self._file(key, fp)
        if not f.is_file():
            return None
        try:
            return np.load(f, allow_pickle=False)
        except (OSError, ValueError):  # unreadable entry: recompute and overwrite it
            return None

    def _write(self, key, fp, row):
        f = self._file(key, fp)
        f.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=f.parent, suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as handle:
                np.save(handle, row, allow_pickle=False)
            os.replace(tmp, f)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
