"""Baselines that foundation models must beat: ERP, Riemannian, SSVEP, specialist nets.

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
from .ssvep import (
    SSVEPCCA,
    SSVEPTRCA,
    FilterBank,
    filter_bank_mdm,
    filter_bank_tangent_space,
)

__all__ = [
    "PIPELINES",
    "SPECIALISTS",
    "SSVEPCCA",
    "SSVEPTRCA",
    "BandPower",
    "CheckTrainingData",
    "ERPFeatures",
    "EpochsToArray",
    "FilterBank",
    "MeanAmplitudeWindows",
    "SpecialistClassifier",
    "covariance_tangent_space",
    "csp_lda",
    "erp_mdm",
    "filter_bank_mdm",
    "filter_bank_tangent_space",
    "make_riemannian_pipeline",
    "xdawn_tangent_space",
]
