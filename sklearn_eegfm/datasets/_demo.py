"""The built-in demo dataset: a small real sample of the eeg-notebooks visual P300 task."""

from importlib.resources import files

DEMO_ATTRIBUTION = (
    "Visual P300 recordings from NeuroTechX eeg-notebooks (Muse 2016, 4 channels, 256 Hz), "
    "(c) 2017 Alexandre Barachant, BSD-3-Clause; licence in "
    "sklearn_eegfm/datasets/data/LICENSE_eeg-notebooks."
)


def demo_data_path():
    """Return the folder that holds the demo recordings.

    Returns
    -------
    path : pathlib.Path
        Folder with ``subjectN/sessionM/*.csv.gz`` files.
    """
    return files("sklearn_eegfm.datasets") / "data" / "p300"


def load_p300_demo(*, l_freq=1.0, h_freq=30.0, tmin=-0.1, tmax=1.1, preprocess=None, verbose=None):
    """Load the built-in visual P300 demo as epochs.

    Five two-minute (one one-minute) Muse recordings from the eeg-notebooks visual
    oddball task: subject 1 (two sessions), subjects 2 and 4 (one session each). About
    1 000 epochs, one in six a target. The files ship with the package, so this works
    offline.

    Parameters
    ----------
    l_freq, h_freq : float | None
        Band-pass edges in Hz.
    tmin, tmax : float
        Epoch window around each stimulus, in seconds. The default -0.1..1.1 s is long
        enough for every model's input (SignalJEPA needs 1.19 s); the classic ERP
        window -0.1..0.8 s is zero-padded by 1-s patch models (with a warning).
    preprocess : callable | None
        ``preprocess(raw) -> raw``, run on each continuous recording before the
        band-pass, resampling and epoching (e.g. a model's authors' recipe:
        ``functools.partial(sklearn_eegfm.apply_recipe, model="cbramod")``).
    verbose : bool | str | int | None
        MNE verbosity.

    Returns
    -------
    epochs : mne.EpochsArray
        Epochs in volts, 4 EEG channels at 256 Hz, event ids ``nontarget``/``target``,
        metadata columns ``subject``, ``session``, ``run``, ``label``, ``target``.

    Notes
    -----
    Data: NeuroTechX eeg-notebooks, (c) 2017 Alexandre Barachant, BSD-3-Clause.

    Examples
    --------
    >>> from sklearn_eegfm.datasets import load_p300_demo
    >>> epochs = load_p300_demo()
    >>> sorted(epochs.event_id)
    ['nontarget', 'target']
    """
    from ._readers import read_muse_csv

    return read_muse_csv(
        str(demo_data_path()),
        l_freq=l_freq,
        h_freq=h_freq,
        tmin=tmin,
        tmax=tmax,
        preprocess=preprocess,
        verbose=verbose,
    )
