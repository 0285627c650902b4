"""Refuse a model input that carries (almost) no signal after channel mapping.

A bipolar model given a montage without its electrode pairs, or a fixed-montage model
given a few of its channels with ``channel_policy="zero"``, sees mostly zeros: every
embedding is then nearly the same and scores sit at chance without any error
(PITFALLS 18). The check runs on the data seen in ``fit``.
"""

from __future__ import annotations

import warnings

import numpy as np

# Model channels whose standard deviation over time stays below this (microvolts, after
# channel mapping, before scaling) carry no EEG.
_CONSTANT_STD_UV = 1e-3
# Largest share of constant model channels accepted without complaint.
MAX_CONSTANT_FRACTION = 0.5


class ChannelCoverageWarning(UserWarning):
    """Most of a model's input channels are zero-filled or constant for these data."""


def constant_channels(mapping, data_uv, names=None, n_epochs=16):
    """Return the model channels that are zero or constant for these epochs.

    Parameters
    ----------
    mapping : ChannelMapping | None
        The user-to-model channel map; None when the channels are used as given.
    data_uv : ndarray, shape (n_epochs, n_user_channels, n_times)
        Epochs in microvolts.
    names : list of str | None
        Channel names when ``mapping`` is None.
    n_epochs : int
        How many epochs, spread over the data, are checked.

    Returns
    -------
    names : list of str
        Model channel names, in the model's order.
    """
    step = max(1, len(data_uv) // n_epochs)
    x = data_uv[::step].astype(np.float64)
    if mapping is not None:
        x, names = mapping.apply(x), mapping.target_names
    flat = (x.std(axis=-1) < _CONSTANT_STD_UV).all(axis=0)
    return [n for n, f in zip(names, flat) if f]


def check_coverage(backbone, epochs_data):
    """Raise (or, under ``channel_policy='zero'``, warn) when most inputs are constant.

    Parameters
    ----------
    backbone : Backbone
        The planned model input (its ``mapping``, ``contract`` and ``channel_policy``).
    epochs_data : EpochsData
        The epochs seen in ``fit``.
    """
    from ._channels import normalize_name

    mapping = backbone.mapping
    names = list(backbone.model_ch_names)
    constant = constant_channels(mapping, epochs_data.data, names)
    n_model = len(names)
    if len(constant) <= MAX_CONSTANT_FRACTION * n_model:
        return
    c = backbone.contract
    have = {normalize_name(n) for n in epochs_data.ch_names}
    lacking = [v for v in (c.vocabulary or []) if normalize_name(v) not in have]
    head = (
        f"{c.name} would see {len(constant)} of its {n_model} input channels zero or "
        f"constant ({constant}), so every embedding would be nearly the same and scores "
        f"would sit at chance. The data ({list(epochs_data.ch_names)}) lack "
        f"{lacking or 'no named channel, but those used are flat'}."
    )
    fix = (
        " Give epochs with those channels, pass channel_policy='interpolate' (spherical "
        "splines from the electrode positions), or choose a model that takes any "
        "channels (e.g. 'cbramod')."
    )
    if len(constant) == n_model or backbone.channel_policy != "zero":
        raise ValueError(head + fix)
    warnings.warn(
        head + " channel_policy='zero' was asked for, so the run goes on." + fix,
        ChannelCoverageWarning,
        stacklevel=5,
    )
