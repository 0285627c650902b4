"""check_epochs(): what a model's contract will do to given epochs, before any fit."""

from __future__ import annotations

from .._data import as_epochs_data
from ._backbone import Backbone
from ._registry import get_contract
from ._weights import WeightsSource


def check_epochs(
    epochs,
    model,
    *,
    channel_policy="auto",
    length_policy="auto",
    sfreq=None,
    ch_names=None,
    units=None,
):
    """Say what a model's input contract will do to these epochs, without running it.

    Nothing is downloaded or built: the epochs are validated (units, NaN, channels) and
    the plan is made exactly as :meth:`FMEmbedder.fit` would make it.

    Parameters
    ----------
    epochs : mne.Epochs | list of mne.Epochs | EpochsData | ndarray
        The epochs (arrays need ``sfreq``, ``ch_names`` and ``units``).
    model : str
        Foundation model name.
    channel_policy, length_policy : str
        As for :class:`FMEmbedder`.
    sfreq, ch_names, units :
        Description of array input.

    Returns
    -------
    report : dict
        ``model_input`` (channels x samples at rate), ``model_channels``,
        ``channel_mapping`` (one line per model channel) and ``steps`` (unit
        conversion, resampling, cropping, scaling...).

    Examples
    --------
    >>> from sklearn_eegfm import check_epochs
    >>> from sklearn_eegfm.datasets import load_p300_demo
    >>> report = check_epochs(load_p300_demo(tmax=1.0), "biot", channel_policy="interpolate")
    >>> report["model_input"]
    '16 channels x 200 samples at 200 Hz'
    """
    contract = get_contract(model)
    ed = as_epochs_data(epochs, sfreq=sfreq, ch_names=ch_names, units=units)
    plan = Backbone(
        contract,
        ed,
        WeightsSource(None, "random"),
        channel_policy=channel_policy,
        length_policy=length_policy,
        build=False,
    )
    return plan.describe(ed)
