"""Saving and loading FMClassifier's PEFT weights and head alone, without the backbone."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
from sklearn.utils.validation import check_is_fitted

from .._data import EpochsData
from ._manifest import (
    PEFTFileError,
    atomic_folder,
    check_fact,
    dumps_checked,
    read_manifest,
    state_sha256,
    tensor_shapes,
    write_manifest,
)
from ._peft import STRATEGIES, flatten_oft_inputs, import_peft
from ._torch_options import _seed

_META_FILE = "fmclassifier.json"
_HEAD_FILE = "head.safetensors"


def write_peft(self, path):
    """Write :meth:`FMClassifier.save_peft`'s folder (see there), atomically."""
    from safetensors.torch import save_file

    check_is_fitted(self)
    if STRATEGIES[self.finetune].peft is None:
        raise ValueError(
            f"save_peft saves PEFT weights; finetune={self.finetune!r} changes the "
            "backbone itself. Save the whole estimator with joblib.dump(clf, path)."
        )
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
    # Everything that cannot be saved is refused before a single file is written.
    text = dumps_checked(meta, "This FMClassifier")
    with atomic_folder(path, marker=_META_FILE) as tmp:
        self.module_.network.save_pretrained(str(tmp))
        head = {
            f"{part}.{k}": v.detach().cpu().contiguous()
            for part in ("head", "classifier")
            for k, v in getattr(self.module_, part).state_dict().items()
        }
        save_file(head, str(tmp / _HEAD_FILE))
        (tmp / _META_FILE).write_text(text)
        write_manifest(tmp, _facts(self, tmp))
    return Path(path)


def _facts(self, folder):
    """Return what the files must agree with, beyond their checksums."""
    return {
        "backbone": _backbone_identity(self),
        "classes": self.classes_.tolist(),
        "n_channels": int(self.n_channels_in_),
        "shapes": {f.name: tensor_shapes(f) for f in sorted(Path(folder).glob("*.safetensors"))},
    }


def _backbone_identity(self):
    # The shared frozen network is the base the PEFT weights were trained on: its state
    # dict names it even with random weights, where no checkpoint sha256 exists.
    return {
        "model": self.contract_.name,
        "weights_sha256": self.weights_sha256_,
        "state_sha256": state_sha256(self.backbone_.model),
    }


def read_peft(cls, path):
    """Rebuild a fitted classifier from a saved folder (see ``FMClassifier.load_peft``)."""
    import torch
    from safetensors.torch import load_file

    path = Path(path)
    if not (path / _META_FILE).is_file():
        raise FileNotFoundError(f"{path} holds no {_META_FILE}: not a saved PEFT folder.")
    manifest = read_manifest(path)  # every file as saved, none missing or added
    meta = json.loads((path / _META_FILE).read_text())
    n_ch = len(meta["ch_names"])
    again = "The folder was edited after saving; save the PEFT folder again."
    check_fact("classes", meta["classes"], manifest["classes"], again)
    check_fact("number of channels", n_ch, manifest["n_channels"], again)
    check_fact("number of positions", len(meta["positions"]), n_ch, again)
    self = cls(**meta["params"])
    self._check_params()
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
    self.n_features_in_ = n_ch
    self.classes_ = np.asarray(meta["classes"])
    self._fit_plan(ed)
    if self.weights_sha256_ != meta["weights_sha256"]:
        raise ValueError(
            f"The backbone weights found now (sha256 {self.weights_sha256_}) are not "
            f"those the PEFT weights were trained on ({meta['weights_sha256']}). Pass the "
            "same checkpoint (weights=...) when saving and loading."
        )
    check_fact(
        "backbone",
        _backbone_identity(self),
        manifest["backbone"],
        "The network rebuilt from the saved settings (model, weights, random_state) is "
        "not the one the PEFT weights were trained on.",
    )
    self._total_steps = meta["total_steps"]
    self._seed = _seed(self.random_state)
    with torch.random.fork_rng(devices=[]):
        module, self._layers = self._build(load_weights=True, peft_dir=path)
    _check_peft_shapes(module.network, tensor_shapes(path / "adapter_model.safetensors"))
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


def _check_peft_shapes(network, saved):
    """Refuse PEFT tensors that the rebuilt network does not hold with those shapes."""
    peft = import_peft()
    own = {k: list(v.shape) for k, v in peft.get_peft_model_state_dict(network).items()}
    recorded = saved
    if own != recorded:
        missing = sorted(set(own) - set(recorded))
        unexpected = sorted(set(recorded) - set(own))
        shapes = sorted(k for k in set(own) & set(recorded) if own[k] != recorded[k])
        raise PEFTFileError(
            "The saved PEFT tensors do not fit the network rebuilt for them: "
            f"{len(missing)} missing (first {missing[:3]}), {len(unexpected)} unexpected "
            f"(first {unexpected[:3]}), {len(shapes)} of another shape (first "
            f"{[(k, recorded[k], own[k]) for k in shapes[:3]]}). They were saved from "
            "another model (channels, rank, targets); load them with its settings."
        )


def attach_peft(network, path, strategy):
    peft = import_peft()
    with warnings.catch_warnings():
        # AdaLoRA records its pruned ranks under keys that PEFT's own loader does not
        # match, and says so; the saved tensors carry the pruning masks regardless.
        warnings.filterwarnings("ignore", message="The following rank_pattern keys")
        # PEFT only warns about its tensors absent from the file: a model part random
        warnings.filterwarnings("error", message="Found missing adapter keys")
        try:
            model = peft.PeftModel.from_pretrained(network, str(path))
        except UserWarning as err:
            raise PEFTFileError(
                f"The saved PEFT tensors do not fit the network rebuilt for them: {err}"
            ) from None
    if strategy.peft == "oft":
        flatten_oft_inputs(model)
    return model
