"""Datasets: the built-in P300 demo and readers for public EEG recordings."""

from ._demo import DEMO_ATTRIBUTION, demo_data_path, load_p300_demo
from ._readers import load_eegmmidb, read_muse_csv, standard_montage

__all__ = [
    "DEMO_ATTRIBUTION",
    "demo_data_path",
    "load_eegmmidb",
    "load_p300_demo",
    "read_muse_csv",
    "standard_montage",
]
