"""The one input layer: every estimator turns its ``X`` into :class:`EpochsData` here.

Accepted inputs are an :class:`mne.BaseEpochs`, the list of single-epoch Epochs that
scikit-learn hands to an estimator when ``X`` is an Epochs (``cross_val_score`` indexes
``X`` with the fold indices), and a 3-D array described by ``sfreq``/``ch_names`` and
``units``. This is the only place in the package where amplitude units change: what
comes out is always microvolts.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

from ._validation import check_domain_labels, check_option

# Multiplier that brings data in each unit to microvolts.
UNIT_TO_UV = {"V": 1e6, "mV": 1e3, "uV": 1.0, "µV": 1.0}

UNIT_NAMES = {"V": "volts", "mV": "millivolts", "uV": "microvolts", "µV": "microvolts"}

# Median per-channel standard deviation (µV) of EEG epochs. Real recordings sit well
# inside the plausible band (the shared Muse P300 and EEGMMIDB data: 4-50 µV, filtered
# or not); a unit slip moves them by a power of 1000. Outside the plausible band is a
# warning, outside the error band an error: every 1000x slip of EEG with a median
# channel std between 2 and 200 µV lands in one or the other.
_PLAUSIBLE_STD_UV = (0.5, 1000.0)
_ERROR_STD_UV = (0.05, 5000.0)
_TYPICAL_STD_UV = 20.0
# Sampling rates outside this range are a slip (e.g. a period given for a rate); a
# resampling plan for them would need absurd filters or memory.
_SFREQ_RANGE = (1.0, 100_000.0)


class AmplitudeWarning(UserWarning):
    """The data's amplitude is unusual for EEG in the declared units (a unit slip?)."""


class _Lineage:
    """An array that epochs were cut from, fingerprinted at most once for all its slices."""

    __slots__ = ("data", "known")

    def __init__(self, data, known=None):
        self.data = data
        self.known = known

    def fingerprints(self):
        if self.known is None:  # a race only repeats the same pure computation
            self.known = epoch_fingerprints(self.data)
        return self.known


@dataclass
class EpochsData:
    """EEG epochs in microvolts plus what is known about their channels.

    Attributes
    ----------
    data : ndarray, shape (n_epochs, n_channels, n_times)
        C-contiguous, in microvolts.
    sfreq : float
        Sampling rate in Hz.
    ch_names : list of str
        Channel names as given (not normalised).
    positions : ndarray, shape (n_channels, 3)
        Electrode positions in metres (head coordinates), NaN rows where unknown.
    notes : list of str
        What the input layer did (units converted, channels dropped, ...).
    tmin : float | None
        Start of the epochs relative to their events, in seconds (None for arrays).
    """

    data: np.ndarray
    sfreq: float
    ch_names: list[str]
    positions: np.ndarray
    notes: list[str] = field(default_factory=list)
    tmin: float | None = None
    _metadata_loader: object = field(default=None, repr=False)
    _fingerprints: list | None = field(default=None, repr=False)
    # (_Lineage of the array these epochs were cut from, their rows in it, the slice's
    # own data): slices of one EpochsData share one fingerprinting pass of that array
    # (see fingerprints). Bound to the data array it was made with, so that a copy with
    # other data (dataclasses.replace(X, data=...)) never inherits it.
    _lineage: tuple | None = field(default=None, repr=False)
    # The data array that passed the finiteness check, under the same binding.
    _checked: object = field(default=None, repr=False)

    @property
    def n_epochs(self):
        """Number of epochs."""
        return self.data.shape[0]

    @property
    def n_times(self):
        """Samples per epoch."""
        return self.data.shape[2]

    @cached_property
    def metadata(self):
        """Per-epoch metadata (a DataFrame, e.g. ``subject``/``session``) or None."""
        return None if self._metadata_loader is None else self._metadata_loader()

    @property
    def fingerprints(self):
        """One hash per epoch of its samples (computed once, kept through slicing).

        Slices (``X[train]``, ``X[test]``, one per CV fold and grid point) take their
        fingerprints from the array they were cut from, hashed once for all of them:
        a cache lookup then hashes no signal data.
        """
        if self._fingerprints is None:
            lineage = self._own_lineage()
            if lineage is None:
                self._fingerprints = epoch_fingerprints(self.data)
            else:
                origin, rows = lineage
                every = origin.fingerprints()
                self._fingerprints = [every[i] for i in rows]
        return self._fingerprints

    def _with_data(self, data, **private):
        """Return epochs of these channels, rate and notes holding ``data`` instead."""
        return EpochsData(
            data=data,
            sfreq=self.sfreq,
            ch_names=list(self.ch_names),
            positions=self.positions,
            notes=list(self.notes),
            tmin=self.tmin,
            **private,
        )

    def _own_lineage(self):
        if self._lineage is None or self._lineage[2] is not self.data:
            return None
        return self._lineage[:2]

    @property
    def has_positions(self):
        """Whether every channel has a finite, non-zero position."""
        return bool(np.isfinite(self.positions).all())

    # Array-like protocol: scikit-learn's CV splitters index an object with ``shape``
    # as ``X[indices]``. Indexing mne.Epochs instead builds one Epochs per epoch
    # (about 2 ms each), which dominates a grid search over a cheap head.
    @property
    def shape(self):
        """Shape of :attr:`data`."""
        return self.data.shape

    @property
    def ndim(self):
        """Number of dimensions of :attr:`data` (3)."""
        return self.data.ndim

    @property
    def dtype(self):
        """Dtype of :attr:`data`."""
        return self.data.dtype

    def __array__(self, dtype=None, copy=None):
        # NumPy, pyRiemann and scikit-learn read EpochsData as its samples (microvolts):
        # an alignment can sit in front of any pipeline.
        if copy is False and dtype is not None and np.dtype(dtype) != self.data.dtype:
            raise ValueError("EpochsData cannot be converted to another dtype without a copy.")
        out = self.data if dtype is None else self.data.astype(dtype, copy=False)
        return np.array(out, copy=True) if copy else out

    def __len__(self):
        return self.data.shape[0]

    def __getitem__(self, key):
        # Any NumPy key along the epoch axis (int, slice, mask, indices, (idx, ...)).
        idx = np.atleast_1d(np.arange(len(self))[key])
        parent = self

        def load_metadata():
            meta = parent.metadata
            return None if meta is None else meta.iloc[idx].reset_index(drop=True)

        fps = None if self._fingerprints is None else [self._fingerprints[i] for i in idx]
        lineage = self._own_lineage()
        if lineage is None:
            lineage = (_Lineage(self.data, self._fingerprints), np.arange(len(self)))
            self._lineage = (*lineage, self.data)
        origin, rows = lineage
        data = self.data[idx]
        return self._with_data(
            data,
            _metadata_loader=load_metadata,
            _fingerprints=fps,
            _lineage=(origin, rows[idx], data),
            _checked=data if self._checked is self.data else None,
        )

    def __getstate__(self):
        # The lazy metadata loader is a closure; ship the metadata itself instead, so
        # that EpochsData go to joblib, loky or dask workers by value.
        state = self.__dict__.copy()
        state["metadata"] = self.metadata
        state["_metadata_loader"] = None
        # Never ship the whole parent array with a slice: its fingerprints if already
        # known, else the worker hashes the slice itself.
        lineage = self._own_lineage()
        if lineage is not None and self._fingerprints is None and lineage[0].known is not None:
            state["_fingerprints"] = [lineage[0].known[i] for i in lineage[1]]
        state["_lineage"] = None
        state["_checked"] = None
        return state

    def __setstate__(self, state):
        self.__dict__.update(state)
        if self.data.flags.owndata:  # keep cached fingerprints from going stale
            self.data.flags.writeable = False

    def __repr__(self):
        n, c, t = self.data.shape
        return f"<EpochsData | {n} epochs x {c} channels x {t} samples at {self.sfreq:g} Hz, uV>"

    @classmethod
    def from_epochs(cls, X, *, sfreq=None, ch_names=None, units=None):
        """Validate epochs once into a light array-like for fast cross-validation.

        Parameters
        ----------
        X : mne.Epochs | list of mne.Epochs | ndarray, shape (n_epochs, n_channels, n_times)
            Epochs (arrays need ``sfreq``, ``ch_names`` and ``units``).
        sfreq, ch_names, units :
            As for the estimators.

        Returns
        -------
        epochs_data : EpochsData
            Microvolts plus channels, rate, positions and metadata; every estimator
            of the package accepts it, and CV splitters index it as cheaply as an array.

        Examples
        --------
        >>> from sklearn_eegfm import EpochsData
        >>> from sklearn_eegfm.datasets import load_p300_demo
        >>> X = EpochsData.from_epochs(load_p300_demo())
        >>> X.shape
        (867, 4, 309)
        """
        return as_epochs_data(X, sfreq=sfreq, ch_names=ch_names, units=units)


class EpochsNDArray(np.ndarray):
    """Epochs in microvolts as a NumPy array that remembers its channels and rate.

    What the alignments return: pyRiemann, scikit-learn and NumPy see a plain
    ``(n_epochs, n_channels, n_times)`` float array, while the package's estimators
    read its rate, channel names, positions and metadata (see :attr:`epochs_data`)
    without ``sfreq``/``ch_names``/``units``. Indexing along the epochs keeps this
    description (metadata rows sliced alike); any other operation gives an array that
    has none (its values no longer are the described epochs).

    Parameters
    ----------
    shape, dtype, buffer, offset, strides, order :
        As for :class:`numpy.ndarray`, which builds an undescribed array; build a
        described one with :meth:`from_epochs_data`.
    """

    _epochs_data = None

    @classmethod
    def from_epochs_data(cls, epochs_data):
        """Wrap an :class:`EpochsData` (its samples are not copied).

        Parameters
        ----------
        epochs_data : EpochsData
            The epochs.

        Returns
        -------
        array : EpochsNDArray
            Its samples, described by it.
        """
        out = np.asarray(epochs_data.data).view(cls)
        out._epochs_data = epochs_data
        return out

    def __array_finalize__(self, obj):
        self._epochs_data = None  # arithmetic, reductions, views: no longer described

    def __getitem__(self, key):
        out = super().__getitem__(key)
        parts = key if isinstance(key, tuple) else (key,)
        rest = [k for k in parts[1:] if k is not Ellipsis and k != slice(None)]
        if (
            self._epochs_data is not None
            and isinstance(out, EpochsNDArray)
            and out.ndim == 3
            and not rest
            and parts[0] is not Ellipsis
        ):
            out._epochs_data = self._epochs_data[parts[0]]
        return out

    def __reduce__(self):
        # pickled as a plain array plus its description
        return (_rebuild_ndarray, (np.asarray(self), self._epochs_data))

    @property
    def epochs_data(self):
        """The :class:`EpochsData` these samples are, or None once they were changed."""
        return self._epochs_data

    @property
    def metadata(self):
        """Per-epoch metadata of the described epochs (None if none)."""
        return None if self._epochs_data is None else self._epochs_data.metadata

    @property
    def data(self):
        """The samples as a plain ndarray (as :attr:`EpochsData.data`)."""
        return self.view(np.ndarray)

    def __getattr__(self, name):
        # sfreq, ch_names, positions, notes, tmin: those of the described epochs
        if name in ("sfreq", "ch_names", "positions", "notes", "tmin") and (
            self._epochs_data is not None
        ):
            return getattr(self._epochs_data, name)
        raise AttributeError(f"{type(self).__name__} has no attribute {name!r}")


def _rebuild_ndarray(data, epochs_data):
    if epochs_data is None:
        return data.view(EpochsNDArray)
    return EpochsNDArray.from_epochs_data(epochs_data)


def as_epochs_data(X, *, sfreq=None, ch_names=None, units=None, dtype=np.float32):
    """Validate ``X`` and return it as :class:`EpochsData` in microvolts.

    Parameters
    ----------
    X : mne.BaseEpochs | list of mne.BaseEpochs | EpochsData | ndarray
        The epochs, shape (n_epochs, n_channels, n_times) for arrays. Non-EEG channels
        and channels in ``info['bads']`` of Epochs are dropped (and noted).
    sfreq : float | None
        Sampling rate of an array ``X``. Must match the Epochs' rate when both are given.
    ch_names : list of str | mne.Info | None
        Channel names of an array ``X``, or an :class:`mne.Info` describing it (then its
        rate, channel types, bads and positions are used too).
    units : "V" | "mV" | "uV" | None
        Units of the values in ``X``. None means volts for MNE objects (how MNE stores
        EEG) and is an error for arrays, whose units cannot be known.
    dtype : numpy dtype
        Floating dtype of the returned data.

    Returns
    -------
    epochs_data : EpochsData
        The validated data in microvolts.
    """
    if units is not None:
        check_option("units", units, tuple(UNIT_TO_UV))
    import mne

    if isinstance(X, EpochsNDArray) and X.epochs_data is not None:
        X = X.epochs_data
    if isinstance(X, EpochsData):
        # Validated at creation, in microvolts; only the dtype may change.
        if sfreq is not None and abs(X.sfreq - sfreq) > 1e-6:
            raise ValueError(f"sfreq={sfreq} was given but the data are at {X.sfreq} Hz.")
        if units not in (None, "uV", "µV"):
            raise ValueError("EpochsData hold microvolts; leave units=None.")
        if len(X) == 0:
            raise ValueError("X is empty: got 0 epochs.")
        data = np.ascontiguousarray(X.data, dtype=dtype)
        # EpochsData built by hand (or by a transformer from bad input) skip from_epochs;
        # slices of checked ones (every CV fold and grid point) need no second look.
        if not (X._checked is X.data and data is X.data):
            _check_finite(data)
            _check_flat_epochs(data)
        data.flags.writeable = False
        return X._with_data(
            data,
            _metadata_loader=lambda: X.metadata,
            _fingerprints=X._fingerprints if data is X.data else None,
            _lineage=X._lineage if data is X.data else None,
            _checked=data,
        )
    is_mne = isinstance(X, mne.BaseEpochs) or (
        isinstance(X, list | tuple) and len(X) and isinstance(X[0], mne.BaseEpochs)
    )
    if isinstance(X, mne.BaseEpochs):
        out = _from_epochs_list([X], units, dtype)
    elif is_mne:
        _warn_epochs_list(X)
        out = _from_epochs_list(list(X), units, dtype)
    elif isinstance(X, mne.io.BaseRaw | mne.Evoked):
        raise TypeError(
            f"Got {type(X).__name__}; estimators take epochs. Cut the recording into epochs "
            "first, e.g. mne.Epochs(raw, events) or mne.make_fixed_length_epochs(raw)."
        )
    else:
        out = _from_array(X, sfreq, ch_names, units, dtype)

    _check_sfreq(out.sfreq)
    if sfreq is not None and not isinstance(X, np.ndarray) and abs(out.sfreq - sfreq) > 1e-6:
        raise ValueError(
            f"sfreq={sfreq} was given but the Epochs are sampled at {out.sfreq} Hz. Leave "
            "sfreq=None for Epochs (their info is used) or resample them with "
            "epochs.resample()."
        )
    _check_shape(out.data)
    _check_finite(out.data)
    _check_amplitude(out.data, units or "V", mne_object=bool(is_mne))
    _check_flat_epochs(out.data)
    out.data = np.ascontiguousarray(out.data, dtype=dtype)
    # Always a private copy; read-only so cached fingerprints cannot go stale.
    out.data.flags.writeable = False
    out._checked = out.data
    return out


# A list this long of single-epoch Epochs is scikit-learn indexing an mne.Epochs X.
_LONG_EPOCHS_LIST = 100
_WARNED_EPOCHS_LIST = []


def _warn_epochs_list(X):
    """Warn once per process that CV on mne.Epochs pays for one Epochs per epoch."""
    import warnings

    if _WARNED_EPOCHS_LIST or len(X) < _LONG_EPOCHS_LIST or len(X[0]) != 1:
        return
    _WARNED_EPOCHS_LIST.append(True)
    warnings.warn(
        f"Got a list of {len(X)} single-epoch mne.Epochs: scikit-learn builds one Epochs "
        "per epoch for every fold when X is an mne.Epochs, which made a 5-fold x 10-point "
        "GridSearchCV about 80 times slower than the embedding itself (measured: CBraMod, "
        "512 epochs). Pass X = EpochsData.from_epochs(epochs) (from sklearn_eegfm) instead: "
        "same results, indexed as an array.",
        UserWarning,
        stacklevel=4,
    )


def _from_epochs_list(epochs_list, units, dtype):
    _check_one_layout(epochs_list)
    first = epochs_list[0]
    info = first.info
    picks, notes = _good_eeg_picks(info)
    data = _read_eeg(epochs_list, picks, notes)
    # get_data returned a fresh float64 array: scale it in place (in float64, so that
    # float32 output is the correctly rounded microvolt value), then cast.
    data = np.multiply(data, UNIT_TO_UV[units or "V"], out=data).astype(dtype, copy=False)
    notes.append(f"converted {units or 'V'} to uV")
    ch_names = [info.ch_names[i] for i in picks]
    positions = _positions_from_info(info, picks)

    def load_metadata():
        if first.metadata is None:
            return None
        import pandas as pd

        if len(epochs_list) == 1:
            return first.metadata.reset_index(drop=True)
        return pd.concat([ep.metadata for ep in epochs_list], ignore_index=True)

    return EpochsData(
        data=data,
        sfreq=float(info["sfreq"]),
        ch_names=ch_names,
        positions=positions,
        notes=notes,
        tmin=float(first.tmin),
        _metadata_loader=load_metadata,
    )


def _check_one_layout(epochs_list):
    """Apply lazy rejections; refuse a list whose Epochs differ in channels or rate."""
    for ep in epochs_list:
        if not ep.preload:
            # What get_data() would do first: apply the rejection, so the count is known
            # (len() of Epochs read lazily raises until then).
            ep.drop_bad(verbose=False)
    first = epochs_list[0]
    for i, ep in enumerate(epochs_list[1:], start=1):
        if ep.ch_names != first.ch_names:
            raise ValueError(
                f"Epochs 0 and {i} of the list have different channels ({first.ch_names} vs "
                f"{ep.ch_names}). Pick the same channels in the same order, e.g. "
                "epochs.reorder_channels(names)."
            )
        if ep.info["sfreq"] != first.info["sfreq"]:
            raise ValueError(
                f"Epochs 0 and {i} of the list have different sampling rates "
                f"({first.info['sfreq']} vs {ep.info['sfreq']} Hz); resample them to one "
                "rate with epochs.resample(sfreq)."
            )


def _good_eeg_picks(info):
    """Return the good EEG channels of ``info`` and a note naming those dropped."""
    import mne

    picks = mne.pick_types(info, eeg=True, exclude="bads")
    if len(picks) == 0:
        raise ValueError(
            "The Epochs hold no good EEG channel (channel types: "
            f"{sorted(set(info.get_channel_types()))}, bads: {info['bads']}). Declare EEG "
            "channels with epochs.set_channel_types({name: 'eeg'}) or clear info['bads']."
        )
    return picks, _dropped_note(info.ch_names, picks)


def _dropped_note(names, picks):
    """Name the channels of ``names`` outside ``picks`` in a note (none when all are kept)."""
    kept = set(picks.tolist())
    dropped = [n for i, n in enumerate(names) if i not in kept]
    return [f"dropped non-EEG or bad channels {dropped}"] if dropped else []


def _read_eeg(epochs_list, picks, notes):
    """Return the ``picks`` channels of all the epochs, pending projectors applied."""
    first = epochs_list[0]
    info = first.info
    pending = [p for p in info["projs"] if not p["active"]]
    # Pending projectors (e.g. an average reference added with projection=True) are
    # applied, as epochs.apply_proj() would: dropping them changes what the data mean.
    projector = _projector(pending, info) if pending else None
    reads = np.arange(info["nchan"]) if projector is not None else picks
    if len(epochs_list) == 1:
        if len(first) == 0:
            raise ValueError("The Epochs are empty (all epochs dropped?); nothing to process.")
        data = first.get_data(picks=reads)
    else:
        # Stacking arrays costs a fraction of mne.concatenate_epochs on CV lists.
        data = np.concatenate([ep.get_data(picks=reads, copy=False) for ep in epochs_list])
    _check_real(data)
    if projector is not None:
        data = np.matmul(projector[picks], data)
        notes.append(f"applied pending projectors {[p['desc'] for p in pending]}")
    return data


def _from_array(X, sfreq, ch_names, units, dtype):
    X = _numeric_epochs_array(X)
    info, sfreq, names = _array_description(X, sfreq, ch_names, units)
    notes = []
    positions = np.full((len(names), 3), np.nan)
    if info is not None:
        X, names, positions, notes = _keep_good_eeg(X, info, names)
    data = (X * UNIT_TO_UV[units]).astype(dtype, copy=False)
    notes.append(f"converted {units} to uV")
    return EpochsData(
        data=data, sfreq=float(sfreq), ch_names=names, positions=positions, notes=notes
    )


def _numeric_epochs_array(X):
    """Return ``X`` as a dense, real, non-empty 3-D numeric array, or say what it is not."""
    if isinstance(X, list | tuple) and len(X) == 0:
        raise ValueError("X is empty: got no epochs.")
    if hasattr(X, "toarray") or hasattr(X, "tocsr"):
        raise TypeError(
            "Sparse data is not supported: a sparse matrix was passed, but dense epochs "
            "(n_epochs, n_channels, n_times) are required. Use X.toarray() if it is small."
        )
    X = np.asarray(X)
    if X.dtype == object:
        try:  # an object array of numbers (a DataFrame's values) is numbers
            X = X.astype(np.float64)
        except (TypeError, ValueError) as err:
            raise TypeError(
                "X must be mne.Epochs, a list of Epochs or a numeric array; converting its "
                f"objects to numbers failed: {err}"
            ) from None
    if X.dtype == object or not np.issubdtype(X.dtype, np.number):
        raise TypeError(
            f"X must be mne.Epochs, a list of Epochs or a numeric array; got dtype {X.dtype}."
        )
    _check_real(X)
    if X.ndim != 3:
        hint = " For one epoch use X[np.newaxis]." if X.ndim == 2 else ""
        raise ValueError(
            f"X must be 3-D (n_epochs, n_channels, n_times); got shape {X.shape}. Reshape "
            f"your data.{hint}"
        )
    if X.shape[0] == 0:
        raise ValueError("X is empty: got 0 epochs.")
    return X


def _array_description(X, sfreq, ch_names, units):
    """Return the ``info`` (or None), rate and channel names an array's epochs are given."""
    import mne

    info = ch_names if isinstance(ch_names, mne.Info) else None
    if info is not None:
        if sfreq is not None and abs(sfreq - info["sfreq"]) > 1e-6:
            raise ValueError(f"sfreq={sfreq} disagrees with the given info ({info['sfreq']} Hz).")
        sfreq = info["sfreq"]
        names = list(info.ch_names)
    else:
        names = None if ch_names is None else [str(c) for c in ch_names]
    if sfreq is None or names is None:
        missing = [n for n, v in (("sfreq", sfreq), ("ch_names", names)) if v is None]
        raise ValueError(
            f"An array X needs {' and '.join(missing)}: pass them to the estimator, e.g. "
            "FMEmbedder(sfreq=256., ch_names=[...], units='uV'), or pass mne.Epochs instead."
        )
    if units is None:
        raise ValueError(
            "An array X needs units= ('V', 'mV' or 'uV'): arrays carry no units and a wrong "
            "guess silently rescales the data. MNE objects hold volts ('V')."
        )
    _check_sfreq(sfreq)
    if len(names) != X.shape[1]:
        # worded as scikit-learn's n_features_in_ check: channels are the features of X
        raise ValueError(
            f"X has {X.shape[1]} features, but ch_names is expecting {len(names)} features as "
            f"input: X has {X.shape[1]} channels but {len(names)} channel names were given."
        )
    if len(set(names)) != len(names):
        raise ValueError(f"Duplicate channel names: {names}.")
    return info, sfreq, names


def _keep_good_eeg(X, info, names):
    """Keep the good EEG channels ``info`` declares: the data, names, positions and a note."""
    import mne

    picks = mne.pick_types(info, eeg=True, exclude="bads")
    if len(picks) == 0:
        raise ValueError("The given info declares no good EEG channel.")
    positions = _positions_from_info(info, picks)
    return X[:, picks], [names[i] for i in picks], positions, _dropped_note(names, picks)


def _positions_from_info(info, picks):
    locs = np.array([info["chs"][i]["loc"][:3] for i in picks], dtype=float)
    unknown = ~np.isfinite(locs).all(axis=1) | (np.abs(locs).sum(axis=1) == 0)
    locs[unknown] = np.nan
    return locs


def _check_finite(data):
    finite = np.isfinite(data)
    if not finite.all():
        bad_epochs = np.unique(np.nonzero(~finite)[0])
        raise ValueError(
            f"X contains NaN or infinite values in {len(bad_epochs)} epoch(s) "
            f"(first: {bad_epochs[:5].tolist()}). Drop them (epochs.drop(indices)) or repair "
            "the channels (raw.interpolate_bads()) before fitting."
        )


def flat_epochs(data):
    """Return the indices of the epochs whose every channel is constant.

    Parameters
    ----------
    data : ndarray, shape (n_epochs, n_channels, n_times)
        Epochs.

    Returns
    -------
    indices : ndarray of int
        Flat epochs (all zeros, a disconnected amplifier, a constant offset).
    """
    return np.flatnonzero(np.ptp(data, axis=-1).max(axis=-1) == 0)


def _check_flat_epochs(data):
    import warnings

    flat = flat_epochs(data)
    if len(flat):
        warnings.warn(
            f"{len(flat)} of {len(data)} epoch(s) are flat (every channel constant; first "
            f"{flat[:5].tolist()}): models give confident but meaningless outputs on them "
            "(test-time adapters and alignments too). Drop them (epochs.drop(indices)) or "
            "reject them when epoching (mne.Epochs(..., flat=dict(eeg=1e-7))).",
            AmplitudeWarning,
            stacklevel=4,
        )


def _projector(projs, info):
    """Return the (n_channels, n_channels) matrix of ``projs``, as MNE builds it."""
    index = {name: i for i, name in enumerate(info.ch_names)}
    bads = set(info["bads"])
    vectors = []
    for proj in projs:
        cols = proj["data"]["col_names"]
        for row in np.atleast_2d(proj["data"]["data"]):
            v = np.zeros(len(index))
            for name, value in zip(cols, row):
                if name in index and name not in bads:
                    v[index[name]] = value
            norm = np.linalg.norm(v)
            if norm > 0:
                vectors.append(v / norm)
    if not vectors:
        return None
    u, sv, _ = np.linalg.svd(np.array(vectors).T, full_matrices=False)
    u = u[:, sv / sv[0] > 1e-2]  # MNE's rank cut for nearly dependent vectors
    return np.eye(len(index)) - u @ u.T


def _check_real(data):
    if np.iscomplexobj(data):
        raise ValueError(
            "Complex data not supported: X holds complex values; estimators take real EEG. "
            "Take the real part, "
            "magnitude or phase yourself first (e.g. np.abs(X), or epochs.apply_hilbert("
            "envelope=True)) so that nothing is dropped silently."
        )


def _check_sfreq(sfreq):
    lo, hi = _SFREQ_RANGE
    if not (isinstance(sfreq, int | float | np.number) and lo <= sfreq <= hi):
        raise ValueError(
            f"sfreq must be a sampling rate between {lo:g} and {hi:g} Hz; got {sfreq!r}. "
            "Give the rate in Hz (samples per second), not a period."
        )


def _check_shape(data):
    n, c, t = data.shape
    if c == 0:
        raise ValueError(
            f"Found array with 0 feature(s) (shape=({n}, 0)) while a minimum of 1 is "
            f"required: X has 0 channels (shape {data.shape}); pick some EEG channels."
        )
    if t < 2:
        raise ValueError(
            f"Each epoch has {t} sample{'s' if t != 1 else ''} (shape {data.shape}); epochs "
            "need a time course. Check tmin/tmax of mne.Epochs, or the axis order of an "
            "array (n_epochs, n_channels, n_times)."
        )


def _power_of_ten(factor):
    return f"1e{round(float(np.log10(factor)))}"


def _check_amplitude(data, units, mne_object=True):
    """Refuse (or warn about) data whose amplitude is not EEG in the declared units."""
    import warnings

    n = data.shape[0]
    sample = data[:: max(1, n // 64)]
    std = sample.std(axis=-1)
    std = std[std > 0]
    if std.size == 0:
        raise ValueError("X is flat (all channels constant in every epoch); nothing to decode.")
    median = float(np.median(std))
    if _PLAUSIBLE_STD_UV[0] <= median <= _PLAUSIBLE_STD_UV[1]:
        return
    declared = "uV" if units == "µV" else units
    # The unit that brings the data closest to typical EEG is the likely true one.
    rescaled = {u: median * UNIT_TO_UV[u] / UNIT_TO_UV[declared] for u in ("V", "mV", "uV")}
    likely = min(rescaled, key=lambda u: abs(np.log10(rescaled[u] / _TYPICAL_STD_UV)))
    size = "large" if median > _PLAUSIBLE_STD_UV[1] else "small"
    head = (
        f"The data's median channel standard deviation is {median:.3g} uV after reading "
        f"them as {declared}: too {size} for EEG (typically 2-200 uV)."
    )
    if likely == declared:
        fix = " No unit fits better; check the data (huge artifacts, a DC offset, gain)."
    else:
        factor = _power_of_ten(UNIT_TO_UV[likely] / UNIT_TO_UV[declared])
        where = " (e.g. an mne.io.RawArray built from them)" if mne_object else ""
        fix = (
            f" The values are probably {UNIT_NAMES[likely]} declared as "
            f"{UNIT_NAMES[declared]}{where}. Multiply them by {factor} before building the "
            f"MNE object, or pass units='{likely}' (reads as {rescaled[likely]:.3g} uV)."
        )
    if not (_ERROR_STD_UV[0] <= median <= _ERROR_STD_UV[1]):
        raise ValueError(head + fix)
    warnings.warn(
        head + fix + " If the data are right, silence this with warnings.filterwarnings("
        "'ignore', category=sklearn_eegfm.AmplitudeWarning).",
        AmplitudeWarning,
        stacklevel=4,
    )


def n_epochs_of(X):
    """Count the epochs of any input the estimators take, without validating it."""
    return X.shape[0] if hasattr(X, "shape") else len(X)


def epoch_fingerprints(data):
    """Fingerprint each epoch's samples.

    Parameters
    ----------
    data : ndarray, shape (n_epochs, n_channels, n_times)
        C-contiguous epochs.

    Returns
    -------
    fingerprints : list of str
        One hex digest per epoch (shape and dtype included).
    """
    head = f"{data.shape[1:]}{data.dtype}".encode()
    return [hashlib.blake2b(head + ep.tobytes(), digest_size=16).hexdigest() for ep in data]


class EpochsInputMixin:
    """Input handling shared by every estimator that takes epochs.

    Subclasses define the parameters ``sfreq``, ``ch_names`` and ``units``. The first
    call (``reset=True``, in ``fit``) records ``ch_names_in_``, ``sfreq_in_``,
    ``n_channels_in_`` and ``n_times_in_``; later calls check that the data still match.
    """

    def _validate_epochs(self, X, *, reset, dtype=np.float32):
        ed = as_epochs_data(
            X, sfreq=self.sfreq, ch_names=self.ch_names, units=self.units, dtype=dtype
        )
        if reset:
            self.ch_names_in_ = np.asarray(ed.ch_names, dtype=object)
            self.sfreq_in_ = ed.sfreq
            self.n_channels_in_ = len(ed.ch_names)
            self.n_times_in_ = ed.n_times
            # scikit-learn's n_features_in_ is X.shape[1]: the channels of epochs
            self.n_features_in_ = self.n_channels_in_
        else:
            if len(ed.ch_names) != self.n_channels_in_:
                raise ValueError(
                    f"X has {len(ed.ch_names)} features, but {type(self).__name__} is "
                    f"expecting {self.n_channels_in_} features as input (channels: "
                    f"{ed.ch_names} vs {list(self.ch_names_in_)} in fit). Pick the channels "
                    "seen in fit, e.g. epochs.pick(names)."
                )
            if list(self.ch_names_in_) != ed.ch_names:
                raise ValueError(
                    f"The channels differ from those seen in fit ({list(self.ch_names_in_)} vs "
                    f"{ed.ch_names}). Reorder or pick them to match, e.g. "
                    "epochs.reorder_channels(names)."
                )
            if abs(self.sfreq_in_ - ed.sfreq) > 1e-6:
                raise ValueError(
                    f"The sampling rate differs from fit ({self.sfreq_in_} vs {ed.sfreq} Hz); "
                    "resample with epochs.resample()."
                )
            if ed.n_times != self.n_times_in_:
                raise ValueError(
                    f"Epochs have {ed.n_times} samples but {self.n_times_in_} were seen in "
                    "fit; crop them to the same window (epochs.crop(tmin, tmax))."
                )
        return ed

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.three_d_array = True
        tags.input_tags.two_d_array = False
        tags.input_tags.allow_nan = False
        return tags


# ---------------------------------------------------- any accepted input type
def metadata_of(X):
    """Return the metadata of epochs of any accepted input type, or None."""
    import mne

    if isinstance(X, mne.BaseEpochs):
        return X.metadata
    if isinstance(X, list | tuple) and len(X) and isinstance(X[0], mne.BaseEpochs):
        if X[0].metadata is None:
            return None
        import pandas as pd

        return pd.concat([ep.metadata for ep in X], ignore_index=True)
    return getattr(X, "metadata", None)  # EpochsData; arrays have none


def domain_labels(X, domain=None, groups=None):
    """Return the domain of every epoch of ``X``.

    Parameters
    ----------
    X : mne.Epochs | list of mne.Epochs | EpochsData | ndarray
        Epochs.
    domain : str | None
        Metadata column naming each epoch's domain (e.g. ``"subject"``).
    groups : array-like | None
        Explicit domains (take precedence over ``domain``).

    Returns
    -------
    domains : ndarray, shape (n_epochs,)
        One label per epoch; all zeros (one domain) when neither is given.
    """
    n = n_epochs_of(X)
    if groups is not None:
        shape = np.shape(groups)
        if shape != (n,):
            raise ValueError(f"groups has shape {shape}; expected ({n},), one per epoch.")
        return check_domain_labels(groups, "groups")
    if domain is None:
        return np.zeros(n, dtype=int)
    meta = metadata_of(X)
    if meta is None:
        raise ValueError(
            f"domain={domain!r} names a metadata column, but X carries no metadata "
            f"({type(X).__name__}). Pass mne.Epochs or EpochsData with a metadata column, "
            "or the domains as groups=..., or domain=None to adapt on the whole batch."
        )
    if domain not in meta.columns:
        raise ValueError(
            f"Unknown domain column {domain!r}; the metadata columns are "
            f"{list(meta.columns)}. Set domain= to one of them (e.g. 'subject' or "
            "'session'), or pass groups=..."
        )
    values = meta[domain].to_numpy()
    if len(values) != n:
        raise ValueError(f"The metadata has {len(values)} rows for {n} epochs.")
    return check_domain_labels(values, f"The metadata column {domain!r}")


def as_indexable(X):
    """Return epochs as something ``X[indices]`` slices cheaply (EpochsData for MNE)."""
    import mne

    if isinstance(X, mne.BaseEpochs) or (
        isinstance(X, list | tuple) and len(X) and isinstance(X[0], mne.BaseEpochs)
    ):
        return EpochsData.from_epochs(X)
    return X
