"""Checkpoint layouts: key maps from a published file's state dict into braindecode's.

Users often hold the authors' files (LaBraM's ``labram-base.pth``, CBraMod's
``pretrained_weights.pth``, BIOT's ``.ckpt``, EEGPT's Lightning checkpoint, BENDR's
encoder/contextualizer, LUNA's safetensors) rather than braindecode's hub copies. Each
:class:`CheckpointLayout` is an explicit key mapping from one such file into braindecode's
class; the loader tries each layout a model declares (in its module of
``sklearn_eegfm/models/zoo/``), keeps the one that matches the model's keys exactly (then
loads strictly) and records its name. The mappings are tested on key manifests produced by
instantiating the authors' classes (``tests/models/manifests/*.json``). This module holds
the machinery only; no model's facts live here.
"""

from __future__ import annotations

import fnmatch
import re
from dataclasses import dataclass


@dataclass(frozen=True)
class CheckpointLayout:
    """One checkpoint layout and its mapping into braindecode's keys.

    Attributes
    ----------
    name : str
        Recorded in the report, e.g. ``"authors' (labram-base.pth)"``.
    source : str
        Where the layout comes from (file:line).
    drop : tuple of str
        Glob patterns of pretraining-only keys (decoders, teacher copies, masks).
    rename : tuple of (str, str)
        Regular expression substitutions, applied in order to every kept key.
    squeeze : tuple of str
        Glob patterns (after renaming) of 1-wide convolution kernels stored where
        braindecode has a linear layer: their last axis is dropped.
    from_model : tuple of str
        Keys the freshly built model supplies (buffers derived from its input).
    keep : tuple of str
        Glob patterns: when given, keys matching none of them are dropped (files that
        hold a whole training graph, e.g. a DINO student and teacher).
    split : tuple of (str, tuple of str)
        ``(pattern, parts)``: a (renamed) key matching the regular expression is cut
        into ``len(parts)`` equal chunks along its first axis, the i-th named by
        substituting ``parts[i]`` (fused ``qkv`` projections where braindecode has
        separate query, key and value layers).
    native : bool
        The file holds braindecode's own keys (its hub files, or an authors' file
        published in them); native layouts are tried first.
    """

    name: str
    source: str
    drop: tuple = ()
    rename: tuple = ()
    squeeze: tuple = ()
    from_model: tuple = ()
    keep: tuple = ()
    split: tuple = ()
    native: bool = False

    def convert(self, state, own):
        """Map a checkpoint's keys (and 1-wide kernels) onto braindecode's."""
        out = {}
        for key, value in state.items():
            if self.keep and not any(fnmatch.fnmatchcase(key, p) for p in self.keep):
                continue
            if any(fnmatch.fnmatchcase(key, p) for p in self.drop):
                continue
            for pattern, repl in self.rename:
                key = re.sub(pattern, repl, key)
            if any(fnmatch.fnmatchcase(key, p) for p in self.squeeze) and value.ndim == 3:
                value = value[..., 0]
            out.update(self._split(key, value))
        for key in self.from_model:
            if key in own:
                out[key] = own[key]
        return out

    def _split(self, key, value):
        for pattern, parts in self.split:
            if re.search(pattern, key) and value.shape[0] % len(parts) == 0:
                chunks = value.chunk(len(parts), dim=0)
                return {re.sub(pattern, part, key): c for part, c in zip(parts, chunks)}
        return {key: value}


BRAINDECODE = CheckpointLayout(
    "braindecode", "braindecode 1.8.1 state dict (its hub re-uploads)", native=True
)


# LaBraM's NeuralTransformer keys, shared by the LaBraM model (models/zoo/labram.py) and
# the VQ-NSP tokenizer's encoder (tokenizers/pretrained.py), which may not import each
# other: it lives below both.
LABRAM_NEURAL_TRANSFORMER = CheckpointLayout(
    "authors' (LaBraM labram-base.pth)",
    "935963004/LaBraM modeling_pretrain.py:234-271; run_class_finetuning.py:350-358 "
    "keeps student.*",
    drop=("lm_head.*", "projection_head.*", "student.lm_head.*", "student.mask_token"),
    rename=(
        (r"^student\.", ""),
        (r"^pos_embed$", "position_embedding"),
        (r"^time_embed$", "temporal_embedding"),
        (r"^patch_embed\.", "patch_embed.temporal_conv."),
        (r"\.mlp\.fc1\.", ".mlp.0."),
        (r"\.mlp\.fc2\.", ".mlp.2."),
    ),
)


def join_checkpoint_parts(path, state, parts, read):
    """Join a checkpoint published as one file per module into one state dict.

    Parameters
    ----------
    path : Path
        The file given as weights (e.g. BENDR's ``encoder.pt``).
    state : dict of str to Tensor
        Its tensors.
    parts : tuple of (str, str)
        ``(file name, key prefix)`` of every file of the set, the first being ``path``'s
        (a model module's ``checkpoint_parts``); empty for single-file checkpoints.
    read : callable
        Reads a sibling file (``read_state_dict``).

    Returns
    -------
    state : dict of str to Tensor
        Unchanged unless ``path`` is the first of the set and its siblings exist; then
        every file's tensors under its module prefix.
    """
    if not parts or path.name != parts[0][0]:
        return state
    if not all((path.parent / name).is_file() for name, _ in parts[1:]):
        return state
    joined = {f"{parts[0][1]}{k}": v for k, v in state.items()}
    for name, prefix in parts[1:]:
        joined.update({f"{prefix}{k}": v for k, v in read(path.parent / name).items()})
    return joined


def known_layouts(declared):
    """Return the layouts to try: braindecode's own keys first, then the authors'.

    A file in braindecode's keys may also fit an authors' mapping that happens to change
    none of its keys (an authors' prefix that the loader strips again, renames that do
    not apply): trying braindecode's layout first records what the file really is.
    """
    native = [lay for lay in declared if lay.native] or [BRAINDECODE]
    return (*native, *(lay for lay in declared if not lay.native))


def match_layout(model, state, normalise, ignored, layouts=()):
    """Find the layout a checkpoint is in and map it onto the model's keys.

    Parameters
    ----------
    model : torch.nn.Module
        The freshly built braindecode model.
    state : dict of str to Tensor
        The checkpoint, as read.
    normalise : callable
        The loader's generic key clean-up (braindecode renames, wrapper prefixes).
    ignored : callable
        ``key -> bool`` for task-head keys allowed to differ.
    layouts : tuple of CheckpointLayout
        The layouts the model declares (its contract's ``checkpoint_layouts``);
        braindecode's own is tried first when none of them is native.

    Returns
    -------
    state : dict of str to Tensor
        In the model's keys (the closest layout's mapping when none fits exactly).
    layout : str | None
        The layout's name, or None when none fits.
    hint : str
        When none fits: the closest layout and its first differing keys.
    """
    own = model.state_dict()
    best = fit = None
    for layout in known_layouts(layouts):
        mapped = normalise(layout.convert(state, own))
        missing = sorted(k for k in own.keys() - mapped.keys() if not ignored(k))
        unexpected = sorted(k for k in mapped.keys() - own.keys() if not ignored(k))
        if not missing and not unexpected:
            # Several layouts can fit once task-head keys are ignored (an authors' file
            # whose pretraining heads braindecode's layout merely ignores): the one that
            # accounts for the most keys, i.e. leaves the fewest unused, names the file.
            unused = len(mapped.keys() - own.keys())
            if fit is None or unused < fit[0]:
                fit = (unused, mapped, layout.name)
            continue
        score = len(missing) + len(unexpected)
        if best is None or score < best[0]:
            best = (score, layout, mapped, missing, unexpected)
    if fit is not None:
        return fit[1], fit[2], ""
    _, layout, mapped, missing, unexpected = best
    names = " or ".join(f"{lay.name!r}" for lay in known_layouts(layouts))
    hint = (
        f" It is in none of the known layouts ({names}); the closest is {layout.name!r}, "
        f"whose first differing keys are: missing {missing[:3]}, unexpected {unexpected[:3]}."
    )
    return mapped, None, hint
