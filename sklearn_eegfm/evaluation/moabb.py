"""MOABB interoperability: feed a MOABB paradigm and dataset to :func:`compare`."""

from __future__ import annotations


def load_moabb(paradigm, dataset, subjects=None):
    """Get a MOABB dataset through a paradigm as Epochs ready for :func:`compare`.

    Parameters
    ----------
    paradigm : moabb.paradigms.base.BaseParadigm
        E.g. ``moabb.paradigms.P300()``.
    dataset : moabb.datasets.base.BaseDataset
        A dataset the paradigm accepts (downloaded by MOABB if needed).
    subjects : list of int | None
        Subjects to load; all when None.

    Returns
    -------
    epochs : mne.Epochs
        Epochs with metadata columns ``subject``, ``session``, ``run`` and ``label``.

    Examples
    --------
    >>> from moabb.datasets.fake import FakeDataset  # doctest: +SKIP
    >>> from moabb.paradigms import LeftRightImagery  # doctest: +SKIP
    >>> epochs = load_moabb(LeftRightImagery(), FakeDataset())  # doctest: +SKIP
    """
    from ..utils._imports import import_optional_dependency

    import_optional_dependency("moabb", extra="moabb")
    epochs, labels, meta = paradigm.get_data(dataset, subjects=subjects, return_epochs=True)
    meta = meta.reset_index(drop=True).copy()
    meta["label"] = labels
    epochs.metadata = meta
    return epochs
