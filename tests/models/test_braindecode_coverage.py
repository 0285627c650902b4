"""Every foundation model braindecode lists has a contract, from braindecode's own table.

The list comes from braindecode's model summary (``braindecode/models/summary.csv``,
column ``Categorization``), so a foundation model added to braindecode fails this test
until it has a contract or a stated reason here.
"""

from pathlib import Path

import pandas as pd
import pytest

from sklearn_eegfm.models import get_contract, list_models

# braindecode foundation models without a contract yet, each with the reason.
KNOWN_GAPS = {
    "PBT": "no contract yet (Patched Brain Transformer, added in braindecode 1.8)",
    "MVPFormer": "no contract yet (added in braindecode 1.8)",
    "ZUNA": "no contract yet (added in braindecode 1.8)",
    "MEDFormer": "no contract yet (added in braindecode 1.8)",
}


def _braindecode_foundation_models():
    import braindecode.models

    table = pd.read_csv(Path(braindecode.models.__file__).parent / "summary.csv")
    is_fm = table["Categorization"].str.contains("Foundation Model", na=False)
    return sorted(table.loc[is_fm, "Model"])


def _family(cls):
    """The most basic braindecode model class of ``cls``: variants share it.

    ``InterpolatedBENDR`` subclasses ``BENDR``; SignalJEPA's heads share
    ``_BaseSignalJEPA`` with it.
    """
    from braindecode.models.base import EEGModuleMixin

    models = [c for c in cls.__mro__ if issubclass(c, EEGModuleMixin) and c is not EEGModuleMixin]
    return models[-1]


# braindecode's own montage names and pandas calls, at import
@pytest.mark.filterwarnings("ignore::FutureWarning", "ignore::DeprecationWarning")
def test_every_braindecode_foundation_model_has_a_contract_or_a_reason():
    import braindecode.models

    names = _braindecode_foundation_models()
    classes = {name: getattr(braindecode.models, name) for name in names}
    assert len(names) >= 11  # the table was read
    contracts = [get_contract(name) for name in list_models()["name"]]
    # contracts of models braindecode lacks (FEMBA, LuMamba, TFM) cover none of its classes
    covered = {
        _family(getattr(braindecode.models, c.model_cls))
        for c in contracts
        if hasattr(braindecode.models, c.model_cls)
    }
    missing = sorted(n for n, cls in classes.items() if _family(cls) not in covered)
    assert missing == sorted(KNOWN_GAPS), (
        f"braindecode foundation models without a contract: {missing}; add a contract "
        "(CONTRIBUTING.md, 'Adding a model contract') or a reason to KNOWN_GAPS"
    )
