"""What the columns of a compare() results table mean: metric ranges, pretraining overlap.

Below both :mod:`sklearn_eegfm.evaluation` (which writes the table) and
:mod:`sklearn_eegfm.viz` (which plots it), so that neither imports the other.
"""

from __future__ import annotations

#: Range of each metric; intervals are clipped to it.
METRIC_RANGES = {
    "roc_auc": (0.0, 1.0),
    "balanced_accuracy": (0.0, 1.0),
    "accuracy": (0.0, 1.0),
    "f1_weighted": (0.0, 1.0),
    "kappa": (-1.0, 1.0),
}


def overlap_flags(results):
    """Pipelines whose model saw the evaluated data set in pretraining.

    Parameters
    ----------
    results : pandas.DataFrame
        Output of :func:`compare` (or read back from its CSV).

    Returns
    -------
    flags : dict of str to bool
        Pipeline -> whether any of its rows has ``pretraining_overlap``.
    """
    if "pretraining_overlap" not in results.columns:
        return dict.fromkeys(results["pipeline"].unique(), False)
    flag = results["pretraining_overlap"].astype(str).str.lower() == "true"
    return flag.groupby(results["pipeline"], sort=False).any().to_dict()
