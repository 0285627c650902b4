"""A bounded, thread-safe memo: the one shape of every cache the package keeps.

Caches are objects: whoever creates one owns it, and it holds at most ``max_items``
entries, forgetting the least recently used first. Module-level instances (checksums,
the hub probe) are documented where they are created and can be cleared.
"""

from __future__ import annotations

import threading
from collections import OrderedDict


class BoundedMemo:
    """Least-recently-used mapping of at most ``max_items`` entries.

    Parameters
    ----------
    max_items : int
        How many entries are kept; the least recently used is dropped first.
    """

    def __init__(self, max_items):
        if not (isinstance(max_items, int) and max_items > 0):
            raise ValueError(f"max_items must be a positive integer; got {max_items!r}.")
        self.max_items = max_items
        self._items = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key, default=None):
        """Return the entry of ``key`` (marking it recently used), else ``default``."""
        with self._lock:
            if key not in self._items:
                return default
            self._items.move_to_end(key)
            return self._items[key]

    def set(self, key, value):
        """Store ``value`` under ``key``, dropping the least recently used past the bound."""
        with self._lock:
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > self.max_items:
                self._items.popitem(last=False)

    def add(self, key):
        """Remember ``key`` (a bounded set: the value is True)."""
        self.set(key, True)

    def pop(self, key, default=None):
        """Remove and return the entry of ``key``, else ``default``."""
        with self._lock:
            return self._items.pop(key, default)

    def values(self):
        """Return the entries, least recently used first (a list: a snapshot)."""
        with self._lock:
            return list(self._items.values())

    def clear(self):
        """Forget every entry."""
        with self._lock:
            self._items.clear()

    # The mapping protocol, so that a memo reads like the dict it stands for.
    def __getitem__(self, key):
        with self._lock:
            self._items.move_to_end(key)
            return self._items[key]

    def __setitem__(self, key, value):
        self.set(key, value)

    def __delitem__(self, key):
        with self._lock:
            del self._items[key]

    def __contains__(self, key):
        with self._lock:
            return key in self._items

    def __len__(self):
        with self._lock:
            return len(self._items)
