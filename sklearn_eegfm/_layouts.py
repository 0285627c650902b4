"""Checkpoint layouts: the authors' original files and braindecode's re-uploads.

Users often hold the authors' files (LaBraM's ``labram-base.pth``, CBraMod's
``pretrained_weights.pth``, BIOT's ``.ckpt``, EEGPT's Lightning checkpoint, BENDR's
encoder/contextualizer, LUNA's safetensors) rather than braindecode's hub copies. Each
:class:`Layout` is an explicit key mapping from one such file into braindecode's class;
the loader tries each, keeps the one that matches the model's keys exactly (then loads
strictly) and records its name. The mappings are tested on key manifests produced by
instantiating the authors' classes (``tests/models/manifests/*.json``).
"""

from __future__ import annotations

import fnmatch
import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Layout:
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


BRAINDECODE = Layout(
    "braindecode", "braindecode 1.8.1 state dict (its hub re-uploads)", native=True
)

LAYOUTS = {
    # CBraMod models/cbramod.py: the authors' keys are braindecode's (manifest checked).
    "CBraMod": (
        Layout(
            "authors' = braindecode's (CBraMod pretrained_weights.pth)",
            "wjq-learning/CBraMod models/cbramod.py, model_for_bciciv2a.py:17",
            native=True,
        ),
    ),
    "Labram": (
        Layout(
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
        ),
    ),
    "BIOT": (
        Layout(
            "authors' (BIOT EEG-PREST-16-channels.ckpt)",
            "ycq091044/BIOT model/biot.py:66 (BIOTEncoder); run_example.py:107",
            # ``index`` is range(n_channels) (biot.py:97-98), braindecode's implicit order.
            drop=("index",),
            rename=((r"^", "encoder."),),
        ),
    ),
    "EEGPT": (
        Layout(
            "authors' (EEGPT eegpt_mcae_58chs_4s_large4E.ckpt)",
            "BINE022/EEGPT pretrain/engine_pretraining.py:44-83; the probe keeps "
            "target_encoder.* (downstream/linear_probe_EEGPT_BCIC2A.py:64-69)",
            drop=("encoder.*", "predictor.*", "reconstructor.*"),
            from_model=("chans_id",),
        ),
        # chans_id indexes the input's channels in EEGPT's vocabulary: it belongs to the
        # model built for this input, not to the file (which may hold its own montage's).
        Layout(
            "braindecode",
            "braindecode eegpt.py chans_id buffer",
            from_model=("chans_id",),
            native=True,
        ),
    ),
    # FEMBA's files: the pretraining model (encoder + Decoder, models/FEMBA.py:147-193,
    # 262-264) or a fine-tuned one (classifier.*: MambaClassifier, :95-144, or another
    # head). The encoder's keys are the authors' (our plain-PyTorch FEMBA keeps them).
    "FEMBA": (
        Layout("authors' encoder only", "BioFoundation models/FEMBA.py:241-260", native=True),
        Layout(
            "authors' pretraining (encoder + Decoder)",
            "BioFoundation models/FEMBA.py:147-193, 262-264",
            drop=("decoder.*",),
        ),
        Layout(
            "authors' fine-tuned (MambaClassifier head)",
            "BioFoundation models/FEMBA.py:95-144, 266",
            drop=("classifier.fc1.*", "classifier.mamba_1.*", "classifier.fc3.*"),
        ),
        Layout(
            "fine-tuned with another classifier.* head (e.g. linear)",
            "BioFoundation models/FEMBA.py:266 (classifier attribute)",
            drop=("classifier.*",),
        ),
    ),
    # LuMamba's published encoders (pretraining models): LUNA's front-end keys (braindecode's
    # renames apply, luna.py:153-161) + FEMBA's mamba_blocks / norm_layers.
    "LuMamba": (
        Layout(
            "authors' (LuMamba_*.safetensors)",
            "pulp-bio/BioFoundation models/LuMamba.py (690bd65); tests/models/manifests/"
            "lumamba.json",
            drop=("decoder_head.*", "channel_emb.*"),
        ),
    ),
    "LUNA": (
        Layout(
            "authors' (LUNA_base.safetensors)",
            "pulp-bio/BioFoundation models/LUNA.py:205; braindecode luna.py:153-161 renames",
            drop=("decoder_head.*", "channel_emb.*"),
        ),
    ),
    "BENDR": (
        Layout(
            "authors' (BENDR encoder.pt + contextualizer.pt, under encoder./contextualizer.)",
            "SPOClab-ca/BENDR dn3_ext.py:347-581 (ConvEncoderBENDR, BENDRContextualizer)",
            drop=("contextualizer.mask_replacement",),
            rename=(
                (
                    r"relative_position\.0\.weight_g$",
                    "relative_position.0.parametrizations.weight.original0",
                ),
                (
                    r"relative_position\.0\.weight_v$",
                    "relative_position.0.parametrizations.weight.original1",
                ),
                (
                    r"^contextualizer\.input_conditioning\.4\.",
                    "contextualizer.input_conditioning.3.",
                ),
            ),
            squeeze=("contextualizer.input_conditioning.3.weight",),
        ),
    ),
    # REVE's pretraining checkpoint holds the whole masked autoencoder (src/models/mae.py
    # :22-45); the authors' downstream code keeps its encoder.* keys, without the prefix
    # (src/utils/model_utils.py:55-72). Those keys are braindecode's, and so are the
    # authors' Hugging Face file's (hf/reve-base/modeling_reve.py:311-327), which this
    # layout leaves as they are. cls_query_token (the probe's pretrained attention-pooling
    # query, src/dt.py:249-255) is kept: a head key the embedding does not use.
    "REVE": (
        Layout(
            "authors' (REVE reve_base.pth pretraining checkpoint, or brain-bzh/reve-base)",
            "REVE codebase src/models/mae.py:14-46; src/utils/model_utils.py:55-72",
            drop=("*decoder.*", "*mask_token", "*to_pixels.*", "*enc_to_dec.*"),
            rename=((r"^module\.", ""), (r"^encoder\.", "")),
        ),
    ),
    # S-JEPA's only published weights are braindecode/signal-jepa, saved from braindecode's
    # SignalJEPA, which the first author wrote (signal_jepa.py:1, 25-30); the authors' own
    # module (sjepa/eeg_jepa.py) is not public. So their layout is braindecode's.
    "SignalJEPA": (
        Layout(
            "authors' = braindecode's (braindecode/signal-jepa model.safetensors)",
            "braindecode signal_jepa.py:25-30 (62-row channel table of the published file)",
            native=True,
        ),
    ),
    # The authors' SSSM (CodeBrain models/SSSM.py Residual_block, models/SGConv.py GConv,
    # read in the copy vendored by zicren/AdaBrain-Bench) saved under DataParallel;
    # braindecode's own load_state_dict (codebrain.py:224-250) knows the same renames, but
    # our loader matches keys before calling it.
    "CodeBrain": (
        Layout(
            "authors' (CodeBrain CodeBrain.pth, DataParallel keys)",
            "CodeBrain models/SSSM.py, models/SGConv.py; AdaBrain-Bench run_finetuning.py "
            "(Ada_CodeBrain strips 'module.'); braindecode codebrain.py:224-250",
            rename=(
                (r"^module\.", ""),
                (r"\.S41\.", ".sgconv."),
                (r"\.sn\.", ".rms_norm."),
                (r"\.D$", ".skip_weight"),
                (r"\.kernel_list\.(\d+)\.kernel$", r".kernel_list.\1"),  # KernelModule wrapper
                (r"\.weight_g$", ".parametrizations.weight.original0"),  # old weight_norm API
                (r"\.weight_v$", ".parametrizations.weight.original1"),
            ),
        ),
    ),
    # EEG-DINO's released .pt holds the whole DINO graph (module.student.*, module.teacher.*,
    # heads); braindecode's hub copy is the teacher encoder
    # (braindecode hf_assets/model_cards/convert_eegdino_checkpoints.py:3-5, 36-49).
    "EEGDINO": (
        Layout(
            "authors' (EEG-DINO model_EEG_DINO_S.pt, teacher encoder)",
            "braindecode hf_assets/model_cards/convert_eegdino_checkpoints.py:36-49; the "
            "authors' miraclefish/EEG-DINO was not readable",
            keep=(
                "module.teacher.patch_embedding.*",
                "module.teacher.encoder_layers.*",
                "module.teacher.global_tokens",
            ),
            drop=("*.relative_position_index",),
            rename=((r"^module\.teacher\.", ""),),
        ),
    ),
    # ST-EEGFormer's release (checkpoint-200.pth, {'model': ...}) is the whole MAE:
    # STEEGFormer pretrain/models_mae_eeg.py:73-118. timm's Block fuses q, k, v in one
    # Linear (rows in that order); braindecode's MultiHeadAttention keeps three.
    "STEEGFormer": (
        Layout(
            "authors' (ST-EEGFormer checkpoint-200.pth, MAE encoder)",
            "STEEGFormer pretrain/models_mae_eeg.py:73-118, 413-418; timm Block",
            # The sinusoidal table (models_mae_eeg.py:56-64) equals braindecode's, which
            # rebuilds it (steegformer.py:550-555, non-persistent).
            drop=("decoder_*", "dec_*", "mask_token", "enc_temporal_emd.pe"),
            rename=(
                (r"^enc_channel_emd\.channel_transformation\.", "channel_pos.embedding."),
                (r"^blocks\.(\d+)\.norm1\.", r"encoder.\1.0.fn.0."),
                (r"^blocks\.(\d+)\.attn\.qkv\.", r"encoder.\1.0.fn.1.qkv."),
                (r"^blocks\.(\d+)\.attn\.proj\.", r"encoder.\1.0.fn.1.projection."),
                (r"^blocks\.(\d+)\.norm2\.", r"encoder.\1.1.fn.0."),
                (r"^blocks\.(\d+)\.mlp\.fc1\.", r"encoder.\1.1.fn.1.0."),
                (r"^blocks\.(\d+)\.mlp\.fc2\.", r"encoder.\1.1.fn.1.3."),
            ),
            split=((r"\.qkv\.", (".queries.", ".keys.", ".values.")),),
        ),
    ),
}


# Checkpoints published as several files, one per module: the first file's name, and the
# prefix of each file's keys. BENDR saves its encoder and contextualizer apart
# (dn3_ext.py:353-354 loads each into its module; pretrain.py saves them as encoder.pt and
# contextualizer.pt).
SPLIT_CHECKPOINTS = {
    "encoder.pt": (("encoder.pt", "encoder."), ("contextualizer.pt", "contextualizer."))
}


def join_split_checkpoint(path, state, read):
    """Join a checkpoint published as one file per module into one state dict.

    Parameters
    ----------
    path : Path
        The file given as weights (e.g. BENDR's ``encoder.pt``).
    state : dict of str to Tensor
        Its tensors.
    read : callable
        Reads a sibling file (``read_state_dict``).

    Returns
    -------
    state : dict of str to Tensor
        Unchanged unless ``path`` is the first of a split set whose siblings exist; then
        every file's tensors under its module prefix.
    """
    parts = SPLIT_CHECKPOINTS.get(path.name)
    if parts is None or not all((path.parent / name).is_file() for name, _ in parts[1:]):
        return state
    joined = {f"{parts[0][1]}{k}": v for k, v in state.items()}
    for name, prefix in parts[1:]:
        joined.update({f"{prefix}{k}": v for k, v in read(path.parent / name).items()})
    return joined


def known_layouts(model):
    """Return the layouts tried for ``model``: braindecode's own keys first, then the authors'.

    A file in braindecode's keys may also fit an authors' mapping that happens to change
    none of its keys (an authors' prefix that the loader strips again, renames that do
    not apply): trying braindecode's layout first records what the file really is.
    """
    declared = LAYOUTS.get(type(model).__name__, ())
    native = [lay for lay in declared if lay.native] or [BRAINDECODE]
    return (*native, *(lay for lay in declared if not lay.native))


def match_layout(model, state, normalise, ignored):
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
    for layout in known_layouts(model):
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
    names = " or ".join(f"{lay.name!r}" for lay in known_layouts(model))
    hint = (
        f" It is in none of the known layouts ({names}); the closest is {layout.name!r}, "
        f"whose first differing keys are: missing {missing[:3]}, unexpected {unexpected[:3]}."
    )
    return mapped, None, hint
