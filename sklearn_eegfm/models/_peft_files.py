"""Saving and loading FMClassifier's PEFT adapter and head alone, without the backbone."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
from sklearn.utils.validation import check_is_fitted

from .._data import EpochsData
from ._backbone import _seed
from ._peft import STRATEGIES, flatten_oft_inputs, import_peft

_ADAPTER_META = "fmclassifier.json"
_HEAD_FILE = "head.safetensors"


def write_adapter(self, path):
    """Write :meth:`FMClassifier.save_adapter`'s folder (see there)."""
    from safetensors.torch import save_file

    check_is_fitted(self)
    if STRATEGIES[self.finetune].peft is None:
        raise ValueError(
            f"save_adapter saves PEFT adapters; finetune={self.finetune!r} changes the "
            "backbone itself. Save the whole estimator with joblib.dump(clf, path)."
        )
    path = Path(path)
    path.mkdir(parents=True, exist_ok=True)
    self.module_.network.save_pretrained(str(path))
    head = {
        f"{part}.{k}": v.detach().cpu().contiguous()
        for part in ("head", "classifier")
        for k, v in getattr(self.module_, part).state_dict().items()
    }
    save_file(head, str(path / _HEAD_FILE))
    params = self.get_params()
    params["weights"] = None if params["weights"] is None else str(params["weights"])
    if params["ch_names"] is not None:
        params["ch_names"] = list(getattr(params["ch_names"], "ch_names", params["ch_names"]))
    if isinstance(params["class_weight"], dict):
        params["class_weight"] = None  # training only; labels may not be JSON keys
    meta = {
        "params": params,
        "classes": self.classes_.tolist(),
        "ch_names": list(self.ch_names_in_),
        "sfreq": float(self.sfreq_in_),
        "n_times": int(self.n_times_in_),
        "positions": self._positions.tolist(),
        "notes": self._notes,
        "total_steps": int(self._total_steps),
        "weights_sha256": self.weights_sha256_,
        "history": self.history_,
        "n_trainable_params": int(self.n_trainable_params_),
    }
    (path / _ADAPTER_META).write_text(json.dumps(meta, indent=1))
    return path


def read_adapter(cls, path):
    """Rebuild a fitted classifier from a saved folder (see ``FMClassifier.load_adapter``)."""
    import torch
    from safetensors.torch import load_file

    path = Path(path)
    if not (path / _ADAPTER_META).is_file():
        raise FileNotFoundError(f"{path} holds no {_ADAPTER_META}: not a saved adapter.")
    meta = json.loads((path / _ADAPTER_META).read_text())
    self = cls(**meta["params"])
    self._check_params()
    n_ch = len(meta["ch_names"])
    ed = EpochsData(
        # stand-in epoch for the plan (no data is saved): noise, which the flat-input
        # check of the plan accepts as it accepted the training data
        data=10 * np.random.default_rng(0).standard_normal((1, n_ch, meta["n_times"]), np.float32),
        sfreq=meta["sfreq"],
        ch_names=list(meta["ch_names"]),
        positions=np.asarray(meta["positions"], float).reshape(n_ch, 3),
        notes=list(meta["notes"]),
    )
    self.ch_names_in_ = np.asarray(ed.ch_names, dtype=object)
    self.sfreq_in_, self.n_channels_in_, self.n_times_in_ = ed.sfreq, n_ch, ed.n_times
    self.classes_ = np.asarray(meta["classes"])
    self._fit_plan(ed)
    if self.weights_sha256_ != meta["weights_sha256"]:
        raise ValueError(
            f"The backbone weights found now (sha256 {self.weights_sha256_}) are not "
            f"those the adapter was trained on ({meta['weights_sha256']}). Pass the "
            "same checkpoint (weights=...) when saving and loading."
        )
    self._total_steps = meta["total_steps"]
    self._seed = _seed(self.random_state)
    with torch.random.fork_rng(devices=[]):
        module, self._layers = self._build(load_weights=True, adapter_dir=path)
    head = load_file(str(path / _HEAD_FILE))
    for part in ("head", "classifier"):
        getattr(module, part).load_state_dict(
            {k[len(part) + 1 :]: v for k, v in head.items() if k.startswith(part + ".")}
        )
    self.module_ = module.eval()
    self.strategy_ = self.finetune
    self.history_ = meta["history"]
    self.n_trainable_params_ = meta["n_trainable_params"]
    self.n_params_ = sum(p.numel() for p in module.parameters())
    return self


def load_peft(network, path, strategy):
    peft = import_peft()
    with warnings.catch_warnings():
        # AdaLoRA records its pruned ranks under keys that PEFT's own loader does not
        # match, and says so; the saved tensors carry the pruning masks regardless.
        warnings.filterwarnings("ignore", message="The following rank_pattern keys")
        model = peft.PeftModel.from_pretrained(network, str(path))
    if strategy.peft == "oft":
        flatten_oft_inputs(model)
    return model
