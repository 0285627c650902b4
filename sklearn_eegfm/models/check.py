"""check_epochs() and apply_recipe(): a model's input contract, before any fit.

:func:`check_epochs` says what the contract will do to given epochs;
:func:`apply_recipe` prepares a continuous recording the way the model's authors did
(filters, re-reference, and their resampling of the whole recording), before epoching.
"""

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


def apply_recipe(raw, model, *, resample=True, copy=True, verbose=None):
    """Preprocess a continuous recording as the model's authors did, before epoching.

    Runs the contract's ``recipe`` (``check_epochs(...)["authors_recipe"]`` lists it):
    the authors' filters and re-referencing and, where they resampled the whole
    recording (CBraMod, LaBraM, BIOT, LUNA, REVE, S-JEPA ...), their ``raw.resample``.
    Epochs cut from the result reach the model without being resampled again, exactly as
    in the authors' scripts; resampling each epoch instead differs at the edges (see
    ``tests/models/reference/*.md`` for the measured difference per model).

    Parameters
    ----------
    raw : mne.io.BaseRaw
        The continuous recording, with 10-20 channel names
        (``mne.datasets.eegbci.standardize`` for PhysioNet files).
    model : str
        Foundation model name.
    resample : bool
        Include the authors' resampling of the recording (False keeps its rate, e.g. to
        compare with per-epoch resampling).
    copy : bool
        Work on a copy (False modifies ``raw`` in place).
    verbose : bool | str | int | None
        MNE's verbosity for each step.

    Returns
    -------
    raw : mne.io.BaseRaw
        Preprocessed.

    Examples
    --------
    >>> import mne
    >>> import numpy as np
    >>> from sklearn_eegfm.models import apply_recipe
    >>> info = mne.create_info(["Cz", "Pz"], 160.0, "eeg")
    >>> raw = mne.io.RawArray(np.zeros((2, 16000)), info, verbose=False)
    >>> apply_recipe(raw, "cbramod", verbose=False).info["sfreq"]
    200.0
    """
    import mne

    if not isinstance(raw, mne.io.BaseRaw):
        raise TypeError(
            f"apply_recipe needs a continuous mne.io.Raw, not {type(raw).__name__}; "
            "preprocess the recording before epoching (mne.io.read_raw(...))."
        )
    contract = get_contract(model)
    raw = raw.copy() if copy else raw
    if not raw.preload:
        raw.load_data(verbose=verbose)
    for method, kwargs in contract.recipe:
        if method == "resample" and not resample:
            continue
        getattr(raw, method)(**kwargs, verbose=verbose)
    return raw
