"""What each model's weights need, where they are looked for, and what is present."""

from __future__ import annotations

from .._checkpoints import home_dir, read_state_dict, sha256_file
from . import _weights
from ._registry import CONTRACTS, get_contract
from ._weights import find_cached


def download(name, *, home=None):
    """Download a model's pretrained weights into the local cache.

    Parameters
    ----------
    name : str
        Model name, e.g. ``"cbramod"``.
    home : str | Path | None
        Cache folder; ``$SKLEARN_EEGFM_HOME`` when None.

    Returns
    -------
    path : Path
        The downloaded checkpoint, in the Hugging Face hub layout under ``home``.

    Examples
    --------
    >>> import sklearn_eegfm
    >>> sklearn_eegfm.download("cbramod")  # doctest: +SKIP
    """
    return _weights.download(get_contract(name), home=home)


def weights_inventory(models=None, *, verify=False):
    """List each model's checkpoint: expected files, where they are looked for, status.

    Only the local cache is read; nothing is downloaded.

    Parameters
    ----------
    models : list of str | None
        Models to list; all when None.
    verify : bool
        Also read every present checkpoint (safetensors, or ``torch.load`` with
        ``weights_only=True``) to catch truncated or foreign files.

    Returns
    -------
    rows : list of dict
        One per model: ``model, hub_repo, files, looked_in, present, path, size_mb,
        sha256, licence`` and, with ``verify``, ``check`` ("ok: N tensors" or the error).

    Examples
    --------
    >>> from sklearn_eegfm.models import weights_inventory
    >>> weights_inventory(["cbramod"])[0]["hub_repo"]
    'braindecode/cbramod-pretrained'
    """
    home = home_dir()
    rows = []
    for name in models or list(CONTRACTS):
        contract = get_contract(name)
        path = find_cached(contract) if contract.hub_repo else None
        row = {
            "model": contract.name,
            # Former names of a renamed repository are looked in too (find_cached).
            "hub_repo": " or ".join((contract.hub_repo, *contract.hub_mirrors))
            if contract.hub_repo
            else "(none published)",
            "files": " or ".join(contract.hub_files),
            "looked_in": " and ".join(
                str(home / repo)
                for repo in (contract.hub_repo or contract.name, *contract.hub_mirrors)
            )
            + " (flat or hub layout)",
            "present": path is not None,
            "path": "" if path is None else str(path),
            "size_mb": None if path is None else round(path.stat().st_size / 2**20, 1),
            "sha256": "" if path is None else sha256_file(path),
            "licence": contract.licence,
        }
        if verify:
            row["check"] = _check(path)
        rows.append(row)
    return rows


def _check(path):
    if path is None:
        return "missing"
    try:
        state = read_state_dict(path)
    except Exception as err:  # noqa: BLE001  (any unreadable file is reported, not raised)
        return f"unreadable: {type(err).__name__}: {str(err)[:160]}"
    return f"ok: {len(state)} tensors"


def format_inventory(rows, home):
    """Format :func:`weights_inventory` rows for the console.

    Parameters
    ----------
    rows : list of dict
        Output of :func:`weights_inventory`.
    home : Path
        The weights cache.

    Returns
    -------
    text : str
        One block per model.
    """
    lines = [f"weights cache: {home} (set $SKLEARN_EEGFM_HOME to change it)"]
    for row in rows:
        state = "present" if row["present"] else "MISSING"
        lines += [
            f"\n{row['model']}: {state} (licence: {row['licence']})",
            f"  needs    {row['files']} from {row['hub_repo']}",
            f"  looks in {row['looked_in']}",
        ]
        if row["present"]:
            lines += [
                f"  file     {row['path']} ({row['size_mb']} MB)",
                f"  sha256   {row['sha256']}",
            ]
        if "check" in row:
            lines.append(f"  check    {row['check']}")
    return "\n".join(lines)


def weights_command(action, models=()):
    """Do what ``sklearn-eegfm weights ACTION MODELS`` asks.

    Parameters
    ----------
    action : "list" | "download" | "verify"
        List the checkpoints, download them (the only action that goes online), or
        read every present one back.
    models : sequence of str
        Models (all when empty; ``download`` needs names).

    Returns
    -------
    text : str
        What to print.
    code : int
        0 on success; 1 when a download failed, a checkpoint is unreadable, or
        ``verify`` finds one missing.
    """
    names = [get_contract(m).name for m in models] or None
    if action == "download":
        lines, code = [], 0
        for name in names or []:
            try:
                path = download(name)
                lines.append(f"{name}: {path} (sha256 {sha256_file(path)})")
            except Exception as err:  # noqa: BLE001  (one line per model, then go on)
                lines.append(f"{name}: {err}")
                code = 1
        return "\n".join(lines), code
    rows = weights_inventory(names, verify=action == "verify")
    text = format_inventory(rows, home_dir())
    missing = [r["model"] for r in rows if not r["present"]]
    if missing:
        text += (
            f"\n\nmissing: {', '.join(missing)}; get them with: sklearn-eegfm weights download "
            "NAME (on a machine with network), or copy the files to the folders above."
        )
    bad = [r for r in rows if r.get("check", "").startswith("unreadable")]
    return text, int(bool(bad) or (action == "verify" and bool(missing)))
