"""Shared parameter descriptions, filled into docstrings with :func:`fill_doc`."""

docdict = {
    "model": """model : str
        Foundation model name, e.g. ``"cbramod"``; see :func:`sklearn_eegfm.list_models`.""",
    "weights": """weights : "auto" | str | Path | None
        ``"auto"``: the local cache ``$SKLEARN_EEGFM_HOME`` (Hugging Face hub layout or
        ``org/name/file``), then the hub. A path: a checkpoint file or a folder holding
        one. None: random initialisation seeded by ``random_state``; every result made
        this way is labelled as not pretrained.""",
    "pooling": """pooling : "auto" | "mean" | "cls" | "flatten" | "channel"
        How tokens become one vector per epoch: the contract's default, the mean over
        all tokens, the class token (models that have one), all tokens concatenated,
        or the mean over time kept per channel.""",
    "channel_policy": """channel_policy : "auto" | "error" | "interpolate" | "zero"
        What to do with channels the model needs and the data lack, and with channels
        outside its vocabulary: ``"auto"`` lets a model that takes any subset of its
        vocabulary drop the channels outside it (with a warning and a line in the
        report; refused when fewer than half of the channels remain) and otherwise
        refuses like ``"error"`` (the message says which policy would work);
        ``"interpolate"`` completes the montage with spherical splines from the
        electrode positions; ``"zero"`` fills missing channels with zeros.""",
    "length_policy": """length_policy : "auto" | "crop" | "pad" | "error"
        Bring the epoch length to the model's patch multiple. ``"auto"`` drops the tail,
        and zero-pads epochs shorter than the model's minimum with a warning saying how
        much (recorded in ``contract_report_``), but refuses epochs shorter than half
        that minimum (the input would be mostly zeros); ``"crop"`` and ``"error"``
        refuse every short epoch; ``"pad"`` always zero-pads up to the next patch
        multiple.""",
    "batch_size": """batch_size : int
        Epochs per forward pass; memory stays flat in the number of epochs.""",
    "device": """device : str
        Torch device, e.g. ``"cpu"`` or ``"cuda"``; checked in ``fit`` (it must exist
        on this machine).""",
    "dtype": """dtype : "float32" | "float64" | "bfloat16"
        Floating dtype of the network.""",
    "random_state": """random_state : int | RandomState | None
        Seed of the random initialisation when ``weights=None`` (None means 0, so that
        clones build the same network; a ``RandomState`` gives a seed drawn from it).""",
    "sfreq": """sfreq : float | None
        Sampling rate of array input (Epochs carry their own).""",
    "ch_names": """ch_names : list of str | mne.Info | None
        Channel names of array input, or an :class:`mne.Info` describing it.""",
    "units": """units : "V" | "mV" | "uV" | None
        Units of the input values; None means volts for MNE objects and is an error
        for arrays.""",
    "cache": """cache : "memory" | str | Path | EmbeddingCache | None
        Where embeddings are cached: ``"memory"``, the process-wide in-memory cache
        (2 GiB, least recently used settings dropped first; shared by every clone, so
        CV folds and grid points embed each epoch once); a folder on disk (shared
        across processes and runs); an :class:`~sklearn_eegfm.models.EmbeddingCache`
        of your own (its own bound, shared by the clones it is passed to); or None for
        no caching.""",
    "network_cache": """network_cache : "shared" | NetworkCache | None
        Where the built network is kept for clones: ``"shared"``, the process-wide
        cache (16 networks, least recently used dropped first); a
        :class:`~sklearn_eegfm.models.NetworkCache` of your own; or None to build a
        private network for this estimator.""",
    "verbose": """verbose : bool | None
        Show a progress bar over batches.""",
    # baselines
    "windows": """windows : "auto" | dict of str to (float, float) | list of (float, float)
        Latency windows in seconds relative to the stimulus, half-open ``[start, stop)``.
        A dict names them; a list is named ``"<start>-<stop>s"``.""",
    "tmin": """tmin : float | None
        Time (s) of the first sample of array input; None means 0.0. Epochs carry their
        own (``epochs.tmin``), which a given value must match.""",
    "bands": """bands : "auto" | dict of str to (float, float)
        Frequency bands in Hz, half-open ``[low, high)``. ``"auto"``: delta 1-4, theta
        4-8, alpha 8-13, beta 13-30, gamma 30-45, each capped at the Nyquist frequency
        (bands starting above it are left out). Given bands must lie below Nyquist.""",
    "logistic": """C : float
        Inverse regularisation strength of the logistic regression.
    class_weight : dict | "balanced" | None
        Class weights of the logistic regression.
    max_iter : int
        Iterations of the logistic regression's solver.""",
    "input": """sfreq, ch_names, units :
        Description of array input, as in :class:`EpochsToArray` (Epochs carry their own).""",
}


def fill_doc(obj):
    """Fill ``%(name)s`` placeholders in ``obj.__doc__`` from :data:`docdict`.

    Parameters
    ----------
    obj : callable
        Function or class whose docstring holds placeholders.

    Returns
    -------
    obj : callable
        The same object, docstring filled.
    """
    if obj.__doc__:
        obj.__doc__ = obj.__doc__ % docdict
    return obj
