"""Embedding cache shared by every clone of an embedder (CV folds, grid points).

A cache is an :class:`EmbeddingCache` object: whoever creates one owns it and passes it
to estimators (``cache=``); clones share it. ``cache="memory"`` means the process-wide
default, :data:`MEMORY_CACHE` (2 GiB, least recently used settings dropped first); a
folder path means a disk cache there; None turns caching off.

An entry is keyed twice: by a *setting* key (model, weights hash, contract, preprocessing
options, package version, input channels and rate) and, inside it, by a fingerprint of
each epoch's data. Hashing an epoch costs microseconds; embedding it costs milliseconds.
Disk entries are written to a temporary file and renamed into place, so parallel
workers and crashes never leave a partial entry behind. Each entry ends with a checksum
of its bytes: an entry that is empty, torn, foreign, of the wrong shape or not finite
is a miss, recomputed and rewritten, never returned.
"""

from __future__ import annotations

import functools
import hashlib
import io
import os
import tempfile
import threading
import warnings
from collections import OrderedDict
from pathlib import Path

import numpy as np

from .._memo import BoundedMemo

DEFAULT_MAX_BYTES = 2 * 1024**3
# An entry is a .npy file followed by this tag and the blake2b digest of the .npy bytes
# (np.load ignores trailing bytes, so entries stay readable as plain .npy files).
_TAG = b"SKEEGFM-B2B16:"
_DIGEST = 16


class CacheWarning(UserWarning):
    """The embedding cache could not be written; results are right but not cached."""


@functools.cache
def _umask_by_setting_it():
    # Only where /proc is absent: os.umask reads the mask by setting it (process-wide, so
    # once per process, and restored at once).
    umask = os.umask(0o022)
    os.umask(umask)
    return umask


def _file_mode():
    # mkstemp creates 0600 files; a cache shared by a lab group needs the umask's mode.
    try:
        status = Path("/proc/self/status").read_text()
        umask = int(
            next(ln for ln in status.splitlines() if ln.startswith("Umask:")).split()[1], 8
        )
    except (OSError, StopIteration, ValueError):
        umask = _umask_by_setting_it()
    return 0o666 & ~umask


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
    """In-memory (LRU over settings, bounded in bytes) or on-disk store of embedding rows.

    Parameters
    ----------
    location : "memory" | str | Path
        Where entries live: in this object's memory, or in a folder on disk (shared
        across processes and runs).
    max_bytes : int
        Bound of an in-memory cache: past it, the least recently used setting is
        dropped first (then a lone setting's oldest rows).

    Examples
    --------
    >>> from sklearn_eegfm.models import EmbeddingCache, FMEmbedder
    >>> cache = EmbeddingCache(max_bytes=256 * 1024**2)
    >>> emb = FMEmbedder("cbramod", weights=None, cache=cache)
    """

    def __init__(self, location="memory", *, max_bytes=DEFAULT_MAX_BYTES):
        if not (isinstance(max_bytes, int) and max_bytes > 0):
            raise ValueError(f"max_bytes must be a positive integer; got {max_bytes!r}.")
        self.location = location
        self.max_bytes = max_bytes
        self.path = None if isinstance(location, str) and location == "memory" else Path(location)
        self.writable = True
        self._memory = OrderedDict()
        self._memory_bytes = 0
        self._stats = {}
        self._lock = threading.RLock()

    def __repr__(self):
        return f"EmbeddingCache({str(self.location)!r}, max_bytes={self.max_bytes})"

    # Clones share the cache they were given (scikit-learn's clone deep-copies
    # parameters); a pickled estimator (a joblib worker) gets an empty cache of the
    # same location and bound.
    def __deepcopy__(self, memo):
        return self

    def __getstate__(self):
        return {"location": self.location, "max_bytes": self.max_bytes}

    def __setstate__(self, state):
        self.__init__(state["location"], max_bytes=state["max_bytes"])

    @property
    def n_bytes(self):
        """Bytes of embedding rows held in memory."""
        return self._memory_bytes

    def stats(self, key):
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
        s = self._stats.get(key, _Stats())
        return {"hits": s.hits, "misses": s.misses}

    def clear(self):
        """Forget every in-memory entry and count."""
        with self._lock:
            self._memory.clear()
            self._memory_bytes = 0
            self._stats.clear()

    @classmethod
    def clear_memory(cls):
        """Forget the entries and counts of ``"memory"``, and the counts of disk caches."""
        MEMORY_CACHE.clear()
        for disk in DISK_CACHES.values():
            disk.clear()

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
        with self._lock:
            # A disk cache tries writing again in every new transform (the folder may
            # have become writable since a write failed).
            self.writable = True
            stats = self._stats.setdefault(key, _Stats())
            if self.path is None:
                table = self._memory.get(key, {})
                if table:
                    self._memory.move_to_end(key)
                rows = [table.get(fp) for fp in fingerprints]
        if self.path is not None:
            rows = [self._read(key, fp, n_features) for fp in fingerprints]
        hits = sum(r is not None for r in rows)
        with self._lock:
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
        with self._lock:
            self._store_in_memory(key, fingerprints, rows)

    def _store_in_memory(self, key, fingerprints, rows):
        table = self._memory.setdefault(key, {})
        for fp, row in zip(fingerprints, rows):
            if fp not in table:
                table[fp] = np.array(row, copy=True)
                self._memory_bytes += row.nbytes
        self._memory.move_to_end(key)
        memory = self._memory
        while self._memory_bytes > self.max_bytes and memory:
            if len(memory) > 1:  # least recently used setting first
                _, old = memory.popitem(last=False)
                self._memory_bytes -= sum(r.nbytes for r in old.values())
                continue
            # One setting alone over budget: drop its oldest rows (dicts keep insertion
            # order), so the budget holds within a setting too. One pass, not one
            # scan per row.
            only = next(iter(memory.values()))
            excess, oldest = self._memory_bytes - self.max_bytes, []
            for fp, row in only.items():
                if excess <= 0:
                    break
                oldest.append(fp)
                excess -= row.nbytes
            if not oldest:
                break
            for fp in oldest:
                self._memory_bytes -= only.pop(fp).nbytes

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


#: The process-wide default behind ``cache="memory"``: shared by every estimator that
#: asks for it, bounded to :data:`DEFAULT_MAX_BYTES`.
MEMORY_CACHE = EmbeddingCache("memory")
#: Disk caches by folder, so that hit counts are kept per folder (entries live on disk).
DISK_CACHES = BoundedMemo(64)


def resolve_cache(value):
    """Turn an estimator's ``cache`` parameter into a cache object or None.

    Parameters
    ----------
    value : "memory" | str | Path | EmbeddingCache | None
        The parameter.

    Returns
    -------
    cache : EmbeddingCache | None
        None when caching is off.
    """
    if value is None or isinstance(value, EmbeddingCache):
        return value
    if isinstance(value, str) and value == "memory":
        return MEMORY_CACHE
    if isinstance(value, str | os.PathLike):
        key = str(Path(value))
        disk = DISK_CACHES.get(key)
        if disk is None:
            disk = EmbeddingCache(value)
            DISK_CACHES.set(key, disk)
        return disk
    raise ValueError(
        f"cache must be 'memory', a folder path, an EmbeddingCache or None; got {value!r}."
    )
