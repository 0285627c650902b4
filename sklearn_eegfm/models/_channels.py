"""Channel mapping: from the user's channels to the channels a model expects.

Every mapping is one matrix ``W`` of shape ``(n_model_channels, n_user_channels)``
applied as ``W @ x``: a permutation for matched names, spherical-spline rows (computed
by braindecode's :class:`~braindecode.modules.ChannelInterpolationLayer`, i.e. MNE) for
interpolated channels, zero rows for zero-filled ones, and +1/-1 rows for bipolar
derivations. The policy ladder is: exact name, normalised name (case, trailing dots,
``EEG``/``-REF`` decorations), old 10-20 aliases (T3 -> T7, ...), then the
``channel_policy`` for what is still missing.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

import numpy as np

CHANNEL_POLICIES = ("error", "interpolate", "zero")

# Old 10-20 names and their 10-10 successors (same electrode sites).
_ALIASES = {"T3": "T7", "T4": "T8", "T5": "P7", "T6": "P8"}


def normalize_name(name, *, aliases=True):
    """Return the key two spellings of one electrode share.

    Upper-cased, without PhysioNet's trailing dots, TUH-style ``EEG `` prefixes and
    ``-REF``/``-LE`` reference suffixes, and with old 10-20 names mapped to 10-10.

    Parameters
    ----------
    name : str
        A channel name, e.g. ``"Fc5."``, ``"EEG T3-REF"`` or ``"FP1"``.
    aliases : bool
        Map old 10-20 names to 10-10 (False keeps T3 and T7 apart, for vocabularies
        with a learned slot for each spelling, e.g. LaBraM's).

    Returns
    -------
    key : str
        E.g. ``"FC5"``, ``"T7"``, ``"FP1"``.
    """
    key = name.strip().upper()
    key = re.sub(r"^EEG[\s_-]+", "", key)
    key = re.sub(r"[-_ ]?(REF|LE|AR|AVG)$", "", key)
    key = key.rstrip(".").strip()
    return _ALIASES.get(key, key) if aliases else key


def vocabulary_lookup(vocabulary):
    """Return ``name -> vocabulary entry``: the exact spelling first, an alias only if absent.

    LaBraM's vocabulary holds learned slots for both T7 and T3 (and P7/T5, ...), and the
    authors look names up exactly (LaBraM ``utils.py:713`` ``get_input_chans``:
    ``standard_1020.index(ch_name)``), so an alias may only stand in for a missing name.

    Parameters
    ----------
    vocabulary : list of str
        The model's channel names.

    Returns
    -------
    lookup : callable
        ``lookup(name) -> str | None``.
    """
    exact = {normalize_name(v, aliases=False): v for v in vocabulary}
    by_alias = {}
    for v in vocabulary:
        by_alias.setdefault(normalize_name(v), v)

    def lookup(name):
        hit = exact.get(normalize_name(name, aliases=False))
        return hit if hit is not None else by_alias.get(normalize_name(name))

    return lookup


@dataclass
class ChannelMapping:
    """How the model's channels are made from the user's.

    Attributes
    ----------
    matrix : ndarray, shape (n_model_channels, n_user_channels)
        Applied as ``matrix @ x``.
    target_names : list of str
        The model's channel names, in the model's order.
    report : list of str
        One line per model channel saying where it came from.
    """

    matrix: np.ndarray
    target_names: list[str]
    report: list[str]

    @property
    def is_identity(self):
        """Whether the mapping leaves the data unchanged."""
        m = self.matrix
        return m.shape[0] == m.shape[1] and np.array_equal(m, np.eye(m.shape[0]))

    def apply(self, x):
        """Make the model's channels from the user's: ``matrix @ x``.

        Parameters
        ----------
        x : ndarray, shape (..., n_user_channels, n_times)
            The user's signals.

        Returns
        -------
        y : ndarray, shape (..., n_model_channels, n_times)
            In the dtype of ``x``.
        """
        import torch

        from .._signal import shared_tensor

        # torch's matmul, not numpy's: a numpy product wakes OpenBLAS's own threads,
        # which keep spinning after it returns and, with more than one thread, take the
        # cores from the network's forward that follows (S-JEPA on 64 channels ran 2-3x
        # slower at 2 threads). torch runs it on the pool the forward uses.
        w = torch.from_numpy(self.matrix.astype(x.dtype))
        return torch.matmul(w, shared_tensor(x)).numpy()

    def counts(self):
        """Count model channels by how they were obtained.

        Returns
        -------
        counts : dict
            Keys ``matched``, ``interpolated``, ``zero``, ``bipolar``.
        """
        out = {"matched": 0, "interpolated": 0, "zero": 0, "bipolar": 0}
        for line in self.report:
            out[line.split(":", 1)[1].split()[0]] += 1
        return out


def standard_positions(names):
    """Look electrode positions up in MNE's template 10-05 montage by normalised name.

    Parameters
    ----------
    names : list of str
        Channel names in any spelling :func:`normalize_name` understands.

    Returns
    -------
    positions : ndarray, shape (n_channels, 3)
        Head-frame positions in metres; NaN rows for names the montage lacks.
    """
    pos = _template_head_positions()
    return np.array([pos.get(normalize_name(n), [np.nan] * 3) for n in names], dtype=float)


@functools.lru_cache(maxsize=1)
def _template_head_positions():
    # The montage file is in its own (MRI) frame; Epochs hold positions in the head frame
    # after set_montage, and so did LUNA's pretraining (BioFoundation
    # models/modules/channel_embeddings.py:113-123 reads info.get_montage() after
    # set_montage). Mixing the two frames would shift positions by centimetres.
    import mne

    from .._signal import standard_montage

    montage = standard_montage()
    info = mne.create_info(montage.ch_names, 100.0, "eeg")
    info.set_montage(montage, verbose=False)
    return {normalize_name(ch["ch_name"]): ch["loc"][:3].copy() for ch in info["chs"]}


def fill_positions(names, positions):
    """Complete unknown (NaN) positions from the template montage by name.

    Parameters
    ----------
    names : list of str
        Channel names.
    positions : ndarray, shape (n_channels, 3)
        Known positions (e.g. from the Epochs' montage), NaN rows where unknown.

    Returns
    -------
    positions : ndarray, shape (n_channels, 3)
        A copy with what the template knows filled in.
    """
    positions = np.array(positions, dtype=float, copy=True)
    unknown = ~np.isfinite(positions).all(axis=1)
    if unknown.any():
        positions[unknown] = standard_positions([n for n, u in zip(names, unknown) if u])
    return positions


def _chs_info(names, positions):
    return [
        {"ch_name": n, "kind": "eeg", "loc": np.r_[p, np.zeros(9)]}
        for n, p in zip(names, positions)
    ]


def map_channels(
    source_names,
    source_positions,
    target_names,
    *,
    policy="error",
    model="the model",
    bipolar=None,
):
    """Build the matrix that turns the user's channels into the model's.

    Parameters
    ----------
    source_names : list of str
        The user's EEG channels.
    source_positions : ndarray, shape (n_source, 3)
        Their positions (NaN where unknown; completed from the template montage by name).
    target_names : list of str
        Monopolar channels the model needs, in its order (for a bipolar model, the
        electrodes its derivations use).
    policy : "error" | "interpolate" | "zero"
        What to do with model channels the user does not have.
    model : str
        Model name for messages.
    bipolar : list of (str, str) | None
        Derivations ``(anode, cathode)`` the model takes instead of monopolar channels.

    Returns
    -------
    mapping : ChannelMapping
        The matrix and a per-channel report.
    """
    from .._validation import check_option

    check_option("channel_policy", policy, CHANNEL_POLICIES)
    src_keys = [normalize_name(n) for n in source_names]
    dupes = sorted({k for k in src_keys if src_keys.count(k) > 1})
    if dupes:
        raise ValueError(
            f"Channels {dupes} appear twice after name normalisation (e.g. T3 and T7); "
            "drop one of each with epochs.drop_channels()."
        )
    index = {k: i for i, k in enumerate(src_keys)}
    targets = list(target_names)
    found = [index.get(normalize_name(t)) for t in targets]
    missing = [t for t, j in zip(targets, found) if j is None]
    n_src = len(source_names)
    W = np.zeros((len(targets), n_src))
    how = []
    for row, (t, j) in enumerate(zip(targets, found)):
        if j is not None:
            W[row, j] = 1.0
            how.append(f"{t}: matched {source_names[j]}")
    if missing:
        if policy == "error":
            have = sorted(set(targets) - set(missing))
            raise ValueError(
                f"{model} needs channels {missing} that the data lack (it has "
                f"{len(have)}/{len(targets)} of its channels: {have}). Pass "
                "channel_policy='interpolate' (spherical splines from the electrode "
                "positions) or channel_policy='zero' (zero-filled), or give data with those "
                "channels."
            )
        rows = [targets.index(t) for t in missing]
        if policy == "zero":
            for r in rows:
                how.insert(r, f"{targets[r]}: zero")
        else:
            W_interp = _interpolation_rows(
                source_names, source_positions, [targets[r] for r in rows], model
            )
            for r, w in zip(rows, W_interp):
                W[r] = w
                how.insert(r, f"{targets[r]}: interpolated from {n_src} channels")
    mapping = ChannelMapping(W, targets, how)
    if bipolar is not None:
        mapping = _bipolar(mapping, bipolar)
    return mapping


def _interpolation_rows(source_names, source_positions, names, model):
    import mne

    from ..utils._imports import import_braindecode

    ChannelInterpolationLayer = import_braindecode("modules").ChannelInterpolationLayer

    src_pos = fill_positions(source_names, source_positions)
    unknown = [n for n, p in zip(source_names, src_pos) if not np.isfinite(p).all()]
    if unknown:
        raise ValueError(
            f"Cannot interpolate {model}'s missing channels: positions of {unknown} are "
            "unknown (no montage, names not in the 10-05 system). Set a montage, e.g. "
            "epochs.set_montage('standard_1005'), or use channel_policy='zero'."
        )
    if len(source_names) < 3:
        raise ValueError(
            f"Spherical-spline interpolation needs at least 3 channels; got {len(source_names)}."
        )
    tgt_pos = standard_positions(names)
    src_info, tgt_info = _chs_info(source_names, src_pos), _chs_info(names, tgt_pos)
    try:
        with mne.utils.use_log_level("ERROR"):
            layer = ChannelInterpolationLayer(src_info, tgt_info, mode="always")
        return layer.matrix.numpy().astype(float)
    except ValueError as err:
        if "digitization points" not in str(err):
            raise
    # MNE fits the head sphere to the electrodes (origin="auto") and needs 4 above the
    # ears; sparse consumer montages (Muse: TP9, AF7, AF8, TP10) have fewer. Use MNE's
    # usual head-frame origin instead.
    return _spline_matrix(source_names, src_pos, names, tgt_pos, origin=(0.0, 0.0, 0.04))


def _spline_matrix(source_names, src_pos, names, tgt_pos, origin):
    import mne

    info = mne.create_info(list(source_names), 100.0, "eeg")
    info.set_montage(
        mne.channels.make_dig_montage(dict(zip(source_names, src_pos)), coord_frame="head")
    )
    identity = mne.io.RawArray(np.eye(len(source_names)), info, verbose="ERROR")
    target = mne.channels.make_dig_montage(dict(zip(names, tgt_pos)), coord_frame="head")
    with mne.utils.use_log_level("ERROR"):
        return identity.interpolate_to(target, origin=origin, method="spline").get_data()


def _bipolar(mapping, pairs):
    """Compose a monopolar mapping with +1/-1 derivation rows."""
    pos = {n: i for i, n in enumerate(mapping.target_names)}
    D = np.zeros((len(pairs), len(mapping.target_names)))
    report = []
    for row, (a, b) in enumerate(pairs):
        D[row, pos[a]], D[row, pos[b]] = 1.0, -1.0
        sources = [
            mapping.report[pos[a]].split(": ", 1)[1],
            mapping.report[pos[b]].split(": ", 1)[1],
        ]
        report.append(f"{a}-{b}: bipolar ({sources[0]}) - ({sources[1]})")
    return ChannelMapping(D @ mapping.matrix, [f"{a}-{b}" for a, b in pairs], report)
