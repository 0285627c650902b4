"""Datasets: the built-in P300 demo and readers for any MNE-readable data.

Presets for public recordings and readers for raw files, saved epochs, BIDS and MOABB
sit behind one registry (:data:`READERS`, :func:`load_data`).
"""

from ._bids import read_bids, read_moabb
from ._demo import DEMO_ATTRIBUTION, demo_data_path, load_p300_demo
from ._raw import (
    NoEventsError,
    ReaderNote,
    combine_epochs,
    entities_from_path,
    parse_event_id,
    read_epochs_files,
    read_raw_epochs,
)
from ._readers import load_eegmmidb, read_muse_csv, standard_montage
from ._registry import (
    DATA_ARGUMENTS,
    PARADIGMS,
    READERS,
    DataOptions,
    LoadedData,
    dataset_name_of,
    detect_reader,
    infer_paradigm,
    load_data,
    subsample_per_subject,
)

__all__ = [
    "DATA_ARGUMENTS",
    "DEMO_ATTRIBUTION",
    "PARADIGMS",
    "READERS",
    "DataOptions",
    "LoadedData",
    "NoEventsError",
    "ReaderNote",
    "combine_epochs",
    "dataset_name_of",
    "demo_data_path",
    "detect_reader",
    "entities_from_path",
    "infer_paradigm",
    "load_data",
    "load_eegmmidb",
    "load_p300_demo",
    "parse_event_id",
    "read_bids",
    "read_epochs_files",
    "read_moabb",
    "read_muse_csv",
    "read_raw_epochs",
    "standard_montage",
    "subsample_per_subject",
]
