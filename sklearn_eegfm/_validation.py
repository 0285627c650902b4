"""Small validation helpers built on public scikit-learn API only."""

import difflib
import numbers


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


def check_positive(name, value, *, integer=False):
    """Raise a ValueError naming ``name`` unless ``value`` is a positive number.

    The one rule for counts and sizes: Python or NumPy numbers, never a bool (``True``
    is an ``int`` in Python but never meant as one), strictly above zero.

    Parameters
    ----------
    name : str
        Parameter name, used in the message.
    value : object
        The value to check.
    integer : bool
        Require an integer (``n_epochs``, ``batch_size``), not any real number.

    Returns
    -------
    value : int | float
        ``value``, unchanged.
    """
    kind = numbers.Integral if integer else numbers.Real
    if isinstance(value, bool) or not isinstance(value, kind) or not value > 0:
        what = "a positive integer" if integer else "a positive number"
        raise ValueError(f"{name} must be {what}; got {value!r}.")
    return value


def check_y_given(estimator, y):
    """Raise scikit-learn's ValueError when a supervised ``fit`` gets no or non-finite ``y``."""
    import numpy as np
    from sklearn.utils import assert_all_finite

    if y is None:
        raise ValueError(
            f"{type(estimator).__name__} requires y to be passed, but the target y is None."
        )
    values = np.asarray(y)
    if values.dtype.kind in "fc":
        assert_all_finite(values, input_name="y")


def check_labels(estimator, y):
    """Return the class labels ``y`` of a supervised ``fit`` as an array, checked.

    Parameters
    ----------
    estimator : estimator
        The estimator being fitted, named in the messages.
    y : array-like
        Labels.

    Returns
    -------
    y : ndarray
        The labels, given, finite and classification targets.
    """
    import numpy as np
    from sklearn.utils.multiclass import check_classification_targets

    check_y_given(estimator, y)
    y = np.asarray(y)
    check_classification_targets(y)
    return y


def check_one_label_per_epoch(n_epochs, y):
    """Raise a ValueError unless ``y`` holds one label for each of the ``n_epochs``.

    Parameters
    ----------
    n_epochs : int
        Epochs in ``X``.
    y : ndarray
        Labels.
    """
    if len(y) != n_epochs:
        raise ValueError(f"X has {n_epochs} epochs but y has {len(y)} labels.")


def _kind(value):
    """Name the kind of a domain label: numbers of any width agree, text is text."""
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, numbers.Number):
        return "number"
    if isinstance(value, str | bytes):
        return "text"
    return type(value).__name__


def check_domain_labels(values, source):
    """Return domain labels as a plain array, refusing missing or ambiguous ones.

    Parameters
    ----------
    values : array-like, shape (n_epochs,)
        One domain (subject, session) per epoch.
    source : str
        Where they came from, for the message (``"groups"``, a metadata column).

    Returns
    -------
    domains : ndarray, shape (n_epochs,)
        The labels, with a dtype that compares and sorts (never a mix of kinds).
    """
    import numpy as np

    items = list(values.tolist() if hasattr(values, "tolist") else values)
    missing = [i for i, v in enumerate(items) if v is None or (isinstance(v, float) and v != v)]
    if missing:
        raise ValueError(
            f"{source} has no domain for {len(missing)} epoch(s) (None or NaN; first "
            f"{missing[:5]}): each epoch needs its subject or session. Fill them in, or drop "
            "those epochs."
        )
    kinds = {}
    for i, v in enumerate(items):
        kinds.setdefault(_kind(v), i)
    if len(kinds) > 1:
        examples = ", ".join(f"{repr(items[i])} ({k}, epoch {i})" for k, i in kinds.items())
        raise ValueError(
            f"{source} mixes kinds of domain labels: {examples}. Labels such as 1 and '1' "
            "would be merged or split silently; give every epoch the same kind, e.g. "
            "[f'sub-{s}' for s in subjects]."
        )
    return np.asarray(items)
