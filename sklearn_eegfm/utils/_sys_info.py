"""Versions of the package and its dependencies, for bug reports and CI logs."""

import importlib.metadata
import platform
import sys

_PACKAGES = (
    "sklearn-eegfm",
    "numpy",
    "scipy",
    "pandas",
    "scikit-learn",
    "mne",
    "torch",
    "torchaudio",
    "braindecode",
    "skorch",
    "pyriemann",
    "joblib",
    "safetensors",
    "huggingface_hub",
    "matplotlib",
)


def sys_info(file=None):
    """Print the platform and the versions of the packages sklearn-eegfm uses.

    Parameters
    ----------
    file : file-like | None
        Where to write; standard output when None.

    Examples
    --------
    >>> import sklearn_eegfm
    >>> sklearn_eegfm.sys_info()  # doctest: +SKIP
    """
    lines = [f"Platform:  {platform.platform()}", f"Python:    {sys.version.split()[0]}"]
    for name in _PACKAGES:
        try:
            version = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            version = "not installed"
        lines.append(f"{name + ':':<16}{version}")
    print("\n".join(lines), file=file or sys.stdout)  # noqa: T201
