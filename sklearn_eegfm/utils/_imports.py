"""Imports of heavy or optional dependencies, with messages that name the fix."""

import importlib
import warnings


def import_optional_dependency(name, extra):
    """Import ``name`` or raise an ImportError naming the pip extra that installs it.

    Parameters
    ----------
    name : str
        Module to import.
    extra : str
        The sklearn-eegfm extra that provides it.

    Returns
    -------
    module : module
        The imported module.
    """
    try:
        return importlib.import_module(name)
    except ImportError as err:
        raise ImportError(
            f"{name} is needed for this; install it with pip install 'sklearn-eegfm[{extra}]'."
        ) from err


def import_braindecode(submodule="models"):
    """Import a braindecode submodule without its import-time deprecation noise.

    braindecode 1.8 builds EEGPT's channel table at import with a montage name that
    MNE 1.13 deprecates, and wfdb (imported by braindecode) uses a pandas 3.1 deprecated
    keyword: warnings about their code, not the user's.

    Parameters
    ----------
    submodule : str
        E.g. ``"models"`` or ``"modules"``.

    Returns
    -------
    module : module
        ``braindecode.<submodule>``.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        warnings.simplefilter("ignore", DeprecationWarning)
        return importlib.import_module(f"braindecode.{submodule}")
