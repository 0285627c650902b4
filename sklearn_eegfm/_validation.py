"""Small validation helpers built on public scikit-learn API only."""

import difflib


def check_option(name, value, allowed):
    """Raise a ValueError naming ``name`` unless ``value`` is one of ``allowed``.

    Parameters
    ----------
    name : str
        Parameter name, used in the message.
    value : object
        The value to check.
    allowed : sequence
        Accepted values.

    Returns
    -------
    value : object
        ``value``, unchanged.
    """
    if value not in allowed:
        close = difflib.get_close_matches(str(value), [str(a) for a in allowed], n=3)
        hint = f" Did you mean {' or '.join(repr(c) for c in close)}?" if close else ""
        raise ValueError(
            f"Invalid {name}={value!r}; expected one of {sorted(map(str, allowed))}.{hint}"
        )
    return value
