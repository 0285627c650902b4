"""Baselines that foundation models must beat: ERP features, Riemannian pipelines, specialist nets.

``import sklearn_eegfm.baselines`` stays light: pyRiemann, MNE decoding, torch and
braindecode are imported when a pipeline is built or a network is fitted.
"""

from ._array_steps import CheckTrainingData, EpochsToArray
from .erp import BandPower, ERPFeatures, MeanAmplitudeWindows
from .riemann import (
    PIPELINES,
    covariance_tangent_space,
    csp_lda,
    erp_mdm,
    make_riemannian_pipeline,
    xdawn_tangent_space,
)
from .scratch import SPECIALISTS, SpecialistClassifier

__all__ = [
    "PIPELINES",
    "SPECIALISTS",
    "BandPower",
    "CheckTrainingData",
    "ERPFeatures",
    "EpochsToArray",
    "MeanAmplitudeWindows",
    "SpecialistClassifier",
    "covariance_tangent_space",
    "csp_lda",
    "erp_mdm",
    "make_riemannian_pipeline",
    "xdawn_tangent_space",
]
