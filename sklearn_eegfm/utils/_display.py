"""How numbers, counts and ids read in the console, the report and the plots."""

from __future__ import annotations

import re


def natural_key(value):
    """Sort key that orders ids as people do: ``S2`` before ``S10``, ``2`` before ``10``.

    Parameters
    ----------
    value : object
        An id (int, str, ...).

    Returns
    -------
    key : tuple
        Digit runs compare as numbers, the rest as lower-case text.

    Examples
    --------
    >>> from sklearn_eegfm.utils._display import natural_key
    >>> sorted(["10", "2", "1", "S11", "S3"], key=natural_key)
    ['1', '2', '10', 'S3', 'S11']
    """
    parts = re.split(r"(\d+)", str(value))
    return tuple((0, int(p), "") if p.isdigit() else (1, 0, p.lower()) for p in parts if p)


def count(n, noun, plural=None):
    """Spell a count with its noun in the right number (``1 subject``, ``3 subjects``).

    Parameters
    ----------
    n : int
        How many.
    noun : str
        The singular.
    plural : str | None
        The plural when it is not ``noun + "s"``.

    Returns
    -------
    text : str
        E.g. ``"1 subject"``.
    """
    return f"{n} {noun if n == 1 else (plural or noun + 's')}"


def seconds(value, digits=3):
    """Spell a time in seconds without float noise (``-0.101562`` reads ``-0.102``).

    Parameters
    ----------
    value : float
        Seconds.
    digits : int
        Decimals kept at most; trailing zeros are dropped.

    Returns
    -------
    text : str
        E.g. ``"1.102"``, ``"0"``.
    """
    text = f"{float(value):.{digits}f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def duration(value):
    """Spell a duration as ``42 s``, ``3 min 05 s`` or ``1 h 02 min``.

    Parameters
    ----------
    value : float
        Seconds.

    Returns
    -------
    text : str
        Rounded to the second below a minute, to the minute from an hour.
    """
    total = max(0, int(round(value)))
    if total < 60:
        return f"{total} s"
    minutes, secs = divmod(total, 60)
    if minutes < 60:
        return f"{minutes} min {secs:02d} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min"
