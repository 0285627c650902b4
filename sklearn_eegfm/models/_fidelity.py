"""Pretraining fidelity: per model, what was checked against which source.

Each record says which part of a contract (rate, units, channels, patches, read-out,
weights layout, ...) was compared with which file of the authors' public code or of
braindecode 1.8.1, with what outcome. :func:`~sklearn_eegfm.list_models` summarises it
and the user guide's fidelity table is generated from it (:func:`fidelity_rows`).
"""

from __future__ import annotations

from typing import NamedTuple

STATUSES = ("fixed", "verified", "deviates", "unverified")


class FidelityCheck(NamedTuple):
    """One aspect of a contract compared with one source.

    Attributes
    ----------
    aspect : str
        E.g. ``"patches"``, ``"read-out"``, ``"weights layout"``.
    status : str
        ``"fixed"`` (differed, now follows the source), ``"verified"`` (agrees),
        ``"deviates"`` (differs on purpose; the note says why and how to get the source's) or
        ``"unverified"`` (not compared, or no source could be read).
    source : str
        Repository and file:line, or why none.
    note : str
        What the source says.
    """

    aspect: str
    status: str
    source: str
    note: str


C = FidelityCheck
_LAYOUT = "tests/models/manifests/{}.json: random checkpoint in the authors' layout loads"
# The authors' REVE repository (BRAIN, MIT), read in a copy inside another project.
_REVE = "REVE codebase (read in gexinggexing/ML_common_project_topic reve_eeg/) "
# The authors' S-JEPA scripts and configs, read in the first commit of a fork.
_SJEPA = "S-JEPA (read in labhamlet/wavjepa@26fc4e0) "

FIDELITY = {
    "cbramod": (
        C(
            "pooling",
            "deviates",
            "CBraMod finetune_main.py:26-32 (--classifier all_patch_reps)",
            "the authors' default head flattens every patch representation "
            "(avgpooling_patch_reps is their averaged option); the default 'mean' keeps the "
            "feature size independent of channels and window, pooling='flatten' gives theirs",
        ),
        C(
            "read-out",
            "fixed",
            "CBraMod models/model_for_bciciv2a.py:18",
            "proj_out replaced by Identity before pooling; features are the encoder output",
        ),
        C(
            "channels",
            "verified",
            "CBraMod preprocessing/preprocessing_tueg_for_pretraining.py:13",
            "any channels (criss-cross attention); TUEG 19 channels in pretraining",
        ),
        C(
            "weights layout",
            "verified",
            _LAYOUT.format("cbramod"),
            "pretrained_weights.pth keys equal braindecode's (plus proj_out)",
        ),
        C(
            "units",
            "verified",
            "CBraMod pretrain_trainer.py:64; preprocessing_tueg_for_pretraining.py:68",
            "microvolts (MNE to_data_frame) divided by 100",
        ),
    ),
    "labram": (
        C(
            "channels",
            "fixed",
            "LaBraM utils.py:713 (get_input_chans)",
            "names looked up exactly; T7 and T3 are two learned slots, alias only if absent",
        ),
        C(
            "weights layout",
            "verified",
            _LAYOUT.format("labram"),
            "labram-base.pth (student.*) mapped onto braindecode's keys",
        ),
        C(
            "read-out",
            "fixed",
            "LaBraM modeling_finetune.py:299-300, 374-388, 470; run_class_finetuning.py:127-129",
            "fine-tuning default use_mean_pooling: pretrained norm dropped, a fresh fc_norm "
            "(LayerNorm, eps 1e-6) on the mean of the patch tokens; braindecode's "
            "return_features applies the pretrained norm (labram.py:699). Default 'mean' "
            "now pools the un-normed tokens, then a fresh LayerNorm; 'cls' keeps the "
            "pretrained norm (the authors' --use_cls)",
        ),
    ),
    "biot": (
        C(
            "weights layout",
            "verified",
            _LAYOUT.format("biot"),
            "the authors' .ckpt keys (biot.*) mapped onto braindecode's",
        ),
        C(
            "channels",
            "verified",
            "braindecode biot.py BIOT_CHANNEL_ORDER",
            "16 bipolar TCP derivations, in braindecode's order",
        ),
        C(
            "units",
            "verified",
            "BIOT utils.py:28-31",
            "each channel divided by its 95th percentile of |amplitude|",
        ),
    ),
    "eegpt": (
        C(
            "patches",
            "fixed",
            "EEGPT pretrain/modeling_pretraining.py:665",
            "non-overlapping 64-sample patches (patch_stride=None); braindecode defaults to 32",
        ),
        C(
            "pooling",
            "fixed",
            "EEGPT downstream/linear_probe_EEGPT_BCIC2A.py:86-92",
            "per-patch summaries flattened (default pooling 'flatten')",
        ),
        C(
            "reference",
            "fixed",
            "EEGPT datasets/pretrain/prepare_pretrain_dataset.py:51",
            "average reference (x - x.mean over channels), a contract step",
        ),
        C(
            "units",
            "verified",
            "EEGPT datasets/pretrain/prepare_pretrain_dataset.py:170",
            "volts x 1e3 (millivolts)",
        ),
        C("licence", "fixed", "EEGPT LICENSE", "Apache-2.0, not MIT"),
        C(
            "weights layout",
            "verified",
            _LAYOUT.format("eegpt"),
            "eegpt_mcae_58chs_4s_large4E.ckpt target_encoder.* mapped onto braindecode's",
        ),
    ),
    "reve": (
        C(
            "positions",
            "fixed",
            _REVE + "src/downstream_tasks/position_utils.py:32-48; "
            "hf/reve-positions/positions.json",
            "coordinates looked up by name in REVE's bank (braindecode reve.py:361-375, 809 "
            "reads the same file); the bank holds MNE's standard_1005 template in the montage "
            "file's own frame (not the head frame Epochs carry) for its 166 template names "
            "(largest difference 4e-9 m), which stands in when the file is absent; names it "
            "lacks: montage positions carried into its frame by a similarity fit",
        ),
        C(
            "rate and patches",
            "verified",
            _REVE + "src/dt.py:48; src/configs/encoder/base.yaml:9-12; src/models/encoder.py:39",
            "200 Hz; 200-sample patches overlapping by 20 (stride 180); 4 Fourier frequencies",
        ),
        C(
            "architecture",
            "verified",
            _REVE + "src/configs/encoder/base.yaml:1-7; hf/reve-base/config.json",
            "22 layers, 512 wide, 8 heads of 64, GEGLU ratio 2.66: braindecode's REVE defaults",
        ),
        C(
            "units",
            "verified",
            _REVE + "src/utils/data_loading.py:710-717; src/configs/preprocessing/default.yaml:2",
            "z-score per channel, clipped at 15, as in pretraining; pretraining took mean and "
            "std over each session, the contract over each epoch (a transform knows no "
            "sessions); the authors' downstream runs feed uV/100 instead "
            "(src/downstream_tasks/dataloaders.py:63)",
        ),
        C(
            "pooling",
            "fixed",
            _REVE + "src/models/classifier.py:62, 107-130; src/dt.py:249-255",
            "default 'cls': attention pooling of the last layer's tokens with the pretrained "
            "query cls_query_token (the classifier's default 'last'); some task configs "
            "concatenate that token with all tokens ('no'), closest to 'flatten'",
        ),
        C(
            "weights layout",
            "verified",
            _LAYOUT.format("reve"),
            "pretraining reve_base.pth ({'model': MAE state}, encoder.* kept) and "
            "brain-bzh/reve-base (braindecode's keys + cls_query_token) load strictly",
        ),
    ),
    "femba": (
        C(
            "architecture",
            "verified",
            "BioFoundation models/FEMBA.py:27-92, 196-279 @ 1923999; tests/models/reference/"
            "femba_tiny.md",
            "plain-PyTorch encoder (patch conv, learned positions, bidirectional Mamba with "
            "residual then LayerNorm) equals the authors' FEMBA class run with mamba_ssm's "
            "selective_scan_ref to <= 1e-5 on real EEGMMIDB windows, seeded weights",
        ),
        C(
            "selective scan",
            "verified",
            "state-spaces/mamba mamba_ssm/ops/selective_scan_interface.py:127-193, "
            "modules/mamba_simple.py:62-206 @ e9594ce; tests/models/reference/mamba_scan.md",
            "chunked closed-form scan equals selective_scan_ref to <= 1e-5 relative (80, 300 "
            "and 1,280 steps, gentle and forgetting step sizes); the Mamba layer equals "
            "mamba_ssm's on its own state dict",
        ),
        C(
            "weights layout",
            "verified",
            "../shared/reference/keys/FEMBA_keys.txt (the authors' classes, tiny/base/large/"
            "huge, with and without a head)",
            "encoder keys and shapes equal the authors' for all four sizes; files with the "
            "pretraining Decoder, the MambaClassifier head (FEMBA.py:95-144) or another "
            "classifier.* head load strictly and the report names which; the released files' "
            "own headers could not be read offline",
        ),
        C(
            "units",
            "verified",
            "BioFoundation util/train_utils.py:44-51; config/experiment/FEMBA_finetune.yaml:"
            "38-41, FEMBA_pretrain.yaml:49-51; tasks/finetune_task.py:66-71, 189; "
            "make_datasets/make_tueg_bipolar.py:332",
            "microvolts, then (x - (-20)) / (20 - (-20) + 1e-8) with fixed bounds; the docs' "
            "per-channel interquartile range (docs/model/FEMBA.md:21-29) is not what the code "
            "computes. Which one the released checkpoints saw is not stated anywhere readable",
        ),
        C(
            "channels",
            "verified",
            "BioFoundation datasets/tuh_dataset.py:26-49; make_datasets/make_tueg_bipolar.py:"
            "32-55, 178-198",
            "22 TCP bipolar derivations (anode - cathode of monopolar channels) in this order; "
            "A1/A2 (ear) derivations need ear electrodes: channel_policy='interpolate' "
            "estimates them",
        ),
        C(
            "rate and window",
            "verified",
            "BioFoundation make_datasets/make_tueg_bipolar.py:202-203, 326-344; config/model/"
            "FEMBA_finetune.yaml:23-28",
            "256 Hz, 5-s windows (1,280 samples, 80 tokens of (2, 16) patches); pretraining "
            "band-passed 0.1-75 Hz with a 60 Hz notch, left to the user (epochs.filter)",
        ),
        C(
            "window length",
            "deviates",
            "BioFoundation models/FEMBA.py:250 (pos_embed sized by seq_length)",
            "shorter windows use the first entries of the 80-token position table (as LaBraM's "
            "temporal table is cut); the authors only ran 5-s windows",
        ),
        C(
            "read-out",
            "deviates",
            "BioFoundation models/FEMBA.py:95-144 (MambaClassifier: fc1, GELU, Mamba, mean over "
            "time, fc3)",
            "the embedding is the encoder output averaged over tokens (pooling='mean'); the "
            "released fine-tuned heads are task heads and are not used",
        ),
        C(
            "sizes",
            "verified",
            "BioFoundation docs/model/FEMBA.md:78-85; FEMBA_keys.txt",
            "tiny (2 blocks, 35), base (12, 35), large (4, 79): 7.80M, 46.61M, 77.17M "
            "parameters with the decoder (the docs' table says 7.8M, 47.7M, 77.8M)",
        ),
        C(
            "hub files",
            "unverified",
            "BioFoundation README.md:43-80 (thorir/FEMBA, snapshot with TUAB/TUAR/TUSL "
            "folders, 'TUAR/base.safetensors' at :80); CC BY-ND 4.0 at :55",
            "no listing of PulpBio/FEMBA or thorir/FEMBA could be read offline: both "
            "repositories and both file-name spellings (FEMBA_base / base) are tried",
        ),
    ),
    "lumamba": (
        C(
            "architecture",
            "verified",
            "pulp-bio/BioFoundation models/LuMamba.py (commit 690bd65, read through the code "
            "index; not in the fetched snapshot 1923999); tests/models/reference/lumamba.md",
            "LUNA's front-end (patch, frequency and location embeddings, cross-attention to 6 "
            "queries of 64) then 2 pre-norm bidirectional Mamba blocks (x + mamba(norm(x))), "
            "no final norm: the package's LUNA front-end + Mamba blocks equal the authors' "
            "LuMamba.encode to <= 1e-5 on real EEGMMIDB windows, seeded weights",
        ),
        C(
            "weights layout",
            "verified",
            _LAYOUT.format("lumamba"),
            "keys and shapes of the authors' class (LUNA's, with braindecode's renames, minus "
            "blocks and norm, plus mamba_blocks and norm_layers; 4.19M parameters, 4.09M "
            "without the pretraining decoder_head and channel_emb) load strictly. Sizes "
            "(6 queries, expand 2, 2 blocks) come from a third-party port that loads "
            "LuMamba_LeJEPA_reconstruction_300slices.safetensors (with strict=False); the "
            "released files' headers could not be read offline",
        ),
        C(
            "units",
            "unverified",
            "LuMamba's pretraining task is not in any readable snapshot",
            "LUNA's per-channel z-score (tasks/pretrain_task_LUNA.py:30-39) is applied; the "
            "third-party port uses a per-channel median / interquartile range instead",
        ),
        C(
            "rate and patches",
            "verified",
            "PulpBio/LuMamba model card; models/LuMamba.py defaults (patch_size=40)",
            "256 Hz, 40-sample patches; LUNA's bipolar TUEG pretraining montage and positions "
            "(derivations at their midpoint) as for 'luna'",
        ),
        C(
            "read-out",
            "verified",
            "models/LuMamba.py encode (B, S, Q * E); the third-party port averages over S",
            "the encoder output averaged over patches (pooling='mean'), 384 features",
        ),
        C(
            "hub files",
            "unverified",
            "PulpBio/LuMamba model card (read in public mirrors of its README)",
            "four encoders, CC BY-ND 4.0; no file listing could be read offline",
        ),
    ),
    "luna": (
        C(
            "pooling",
            "deviates",
            "BioFoundation models/LUNA.py:96-128 (ClassificationHeadWithQueries)",
            "the authors' classifier attends over the tokens with a query (learned_agg) "
            "trained during fine-tuning, absent from the pretrained file: a frozen probe "
            "cannot reproduce it, so the default is 'mean'",
        ),
        C(
            "architecture",
            "fixed",
            "BioFoundation models/LUNA.py:138, 222-224",
            "two LayerNorms (timm Mlp norm_layer) braindecode leaves out, added back",
        ),
        C(
            "weights layout",
            "verified",
            _LAYOUT.format("luna"),
            "LUNA_base.safetensors keys load strictly after the two norms are added",
        ),
        C(
            "hub repository",
            "fixed",
            "BioFoundation README.md:91-124; braindecode luna.py:51-69; third-party code "
            "(NeuroSkill model config: 'thorir/LUNA -> PulpBio/LUNA (repo moved)'; a parity "
            "script strict-loading hf_hub_download('thorir/LUNA', 'LUNA_base.safetensors'))",
            "the repository was renamed thorir/LUNA -> PulpBio/LUNA; users load "
            "LUNA_base.safetensors from its root, the authors' README a Base/ folder. "
            "Resolution tries PulpBio/LUNA, then thorir/LUNA, each at the root then in "
            "Base/. No file listing of either could be read offline",
        ),
        C(
            "positions",
            "fixed",
            "BioFoundation models/modules/channel_embeddings.py:106-123; "
            "make_datasets/make_tueg_bipolar.py:180-198",
            "pretrained on TUEG's bipolar TCP derivations placed at the midpoint of their two "
            "template (standard_1005) electrodes, and on Siena's monopolar channels; a "
            "derivation 'A-B' is now placed at that midpoint (MNE's set_bipolar_reference "
            "gives the anode's position)",
        ),
        C(
            "units",
            "fixed",
            "BioFoundation tasks/pretrain_task_LUNA.py:30-39, 114-115",
            "per-channel z-score with the unbiased std and eps 1e-8 (was n-divided, 1e-6); "
            "the TUEG files hold microvolts (make_tueg_bipolar.py:332), which the z-score "
            "cancels",
        ),
        C(
            "rate and patches",
            "verified",
            "BioFoundation make_datasets/make_tueg_bipolar.py:202-203, 326-331; "
            "config/model/LUNA_base.yaml; config/experiment/LUNA_pretrain.yaml",
            "256 Hz, 40-sample patches, 5 s windows; pretraining band-passed 0.1-75 Hz with a "
            "60 Hz notch, which the contract leaves to the user (epochs.filter)",
        ),
        C(
            "channel-location tokens",
            "verified",
            "BioFoundation models/LUNA.py:274-284; braindecode luna.py:289-311",
            "per-axis min-max scaled positions (frame and units cancel); braindecode's "
            "repeat_interleave equals the authors' repeat when all epochs of a batch share "
            "positions, as in pretraining and in every contract batch",
        ),
    ),
    "signaljepa": (
        C(
            "reference",
            "verified",
            _SJEPA + "scripts/preprocess_moabb_dataset.py:35",
            "Lee2019 average-referenced (set_eeg_reference 'average'); a contract step",
        ),
        C(
            "rate and units",
            "verified",
            _SJEPA + "scripts/config/eeg_jepa_Lee2019_preprocessing.yaml:1-3; "
            "eeg_jepa_Lee2019_spat-mask.yaml:56, 59",
            "128 Hz, volts x 1e6 (microvolts); pretraining data were band-passed 0.5-40 Hz, "
            "which the contract leaves to the user",
        ),
        C(
            "architecture and tokens",
            "verified",
            _SJEPA + "scripts/config/eeg_jepa_Lee2019_spat-mask.yaml:28-52",
            "conv spec (receptive field 152 samples, stride 128), spat_dim 30, time_dim 34, "
            "d_model 64, 8 encoder layers, 8 heads: braindecode's SignalJEPA defaults",
        ),
        C(
            "pooling",
            "fixed",
            _SJEPA + "scripts/config/eeg_jepa_Lee2019_eval.yaml:28; braindecode "
            "signal_jepa.py:1498-1514",
            "default 'flatten': the contextual probe (spatial conv, flatten, linear) is linear "
            "in the flattened contextual tokens",
        ),
        C(
            "weights layout",
            "verified",
            _LAYOUT.format("signaljepa"),
            "the only published file, braindecode/signal-jepa, is in braindecode's layout "
            "(62-row channel table); it loads strictly for any subset of its channels",
        ),
        C(
            "authors' model code",
            "unverified",
            "searched: PierreGtch's public repositories (eeg-fm-masking, dp-signal-embedding, "
            "embedding_eeg_2022, ...), code search for S-JEPA/EegJepa; labhamlet/wavjepa@26fc4e0 "
            "holds the authors' scripts, configs and tests, which import sjepa/eeg_jepa.py "
            "(class EegJepa), but not that module",
            "the network follows braindecode's SignalJEPA, written by the first author",
        ),
        C(
            "channel table",
            "unverified",
            _SJEPA + "scripts/config/eeg_jepa_Lee2019_spat-mask.yaml:35-38; braindecode "
            "signal_jepa.py:25-30",
            "the pretraining config declares 94 standard_1020 names (head size 1); braindecode "
            "says the published file has 62 rows in Lee2019's order, which the contract follows",
        ),
    ),
    "bendr": (
        C(
            "SCALE channel",
            "fixed",
            "dn3 transforms/instance.py:354-368; BENDR configs/pretraining.yml",
            "2 * (min(trial range / TUEG range, 1) - 0.5), not 0",
        ),
        C(
            "min-max span",
            "fixed",
            "dn3 transforms/instance.py:361-365; dn3 utils.py:67-70",
            "joint min-max over the trial's Deep1010 EEG channels (absent ones are 0)",
        ),
        C("read-out", "fixed", "BENDR dn3_ext.py:94", "last position of the contextualizer"),
        C(
            "architecture",
            "fixed",
            "BENDR dn3_ext.py:505, 576-581",
            "the contextualizer's final LayerNorm is defined but never applied",
        ),
        C("licence", "fixed", "BENDR repository", "no licence file published"),
        C(
            "weights layout",
            "verified",
            _LAYOUT.format("bendr"),
            "encoder.pt / contextualizer.pt keys mapped onto braindecode's",
        ),
        C(
            "channels T5/T6 (P7/P8)",
            "verified",
            "dn3 transforms/channels.py:17-45, 61-66, 117-123, 263, 286; transforms/"
            "instance.py:404-412; BENDR configs/pretraining.yml:56-60, pretrain.py:25",
            "TUEG's 'EEG T5-REF' resolves to Deep1010's T5 slot (T5/T6 are To1020's inputs "
            "12 and 16), as its other 10-20 names resolve to theirs: a user's P7/P8 or T5/T6 "
            "fill those slots",
        ),
        C(
            "channels T7/T8 (T3/T4)",
            "unverified",
            "dn3 transforms/instance.py:404-412; dn3 commits 12fa057 (2020-11-23) and "
            "82c6b69 (2020-11-30); BENDR README.md:12",
            "TUEG's T3/T4 land in Deep1010's T3/T4 slots; To1020 took them until 82c6b69 "
            "switched it to T7/T8 (in v0.2-alpha, the release BENDR's README recommends), "
            "which TUEG never fills. Which dn3 the published weights were pretrained with is "
            "not recorded: the contract feeds a user's T7/T8 (or T3/T4) there, the only slot "
            "for those sites among the 20 inputs",
        ),
    ),
    "codebrain": (
        C(
            "weights layout",
            "verified",
            _LAYOUT.format("codebrain"),
            "CodeBrain.pth (module.*, S41, sn, D, KernelModule, weight_g/weight_v) mapped "
            "onto braindecode's keys",
        ),
        C(
            "architecture",
            "verified",
            "CodeBrain models/SSSM.py Residual_block, models/SGConv.py GConv (the copy in "
            "zicren/AdaBrain-Bench)",
            "same blocks as braindecode; the authors pass layer_norm= to GConv, whose "
            "keyword is ln=, so no LayerNorm runs (braindecode's s4_layernorm=False); their "
            "forward, run outside the repository on one random checkpoint, matches ours "
            "within 2e-6",
        ),
        C(
            "read-out",
            "verified",
            "CodeBrain models/SSSM.py SSSM.forward (if_codebook=False)",
            "features are norm(final_conv(...)) per channel and patch, braindecode's "
            "return_features",
        ),
        C(
            "patches",
            "verified",
            "CodeBrain models/SSSM.py PatchEmbedding",
            "200-sample patches, 101 FFT bins",
        ),
        C(
            "rate, units, channels",
            "unverified",
            "jingyingma01/CodeBrain has no snapshot here; only its model files were read "
            "(AdaBrain-Bench)",
            "pretraining preprocessing not found; AdaBrain-Bench run_finetuning.py feeds 200 "
            "Hz and offers microvolts x 0.01 ('0.1mv'); the contract keeps 200 Hz, uV / 100",
        ),
        C(
            "pooling",
            "unverified",
            "AdaBrain-Bench run_finetuning.py get_models; braindecode codebrain.py final_layer",
            "the authors' probe was not found; both of these flatten channels x patches x 200, "
            "which ties the feature size to the montage, so 'mean' stays the default",
        ),
    ),
    "eegdino": (
        C(
            "channel order",
            "fixed",
            "CBraMod preprocessing/preprocessing_tueg_for_pretraining.py:13-15, 51",
            "inputs reordered into TUEG's 19 channels in CBraMod's order (slot i = input i), "
            "as issue 10 states; EEG-DINO's own preprocessing could not be read",
        ),
        C(
            "weights layout",
            "verified",
            "braindecode hf_assets/model_cards/convert_eegdino_checkpoints.py:3-5, 36-49; "
            "eegdino-rs src/weights.rs",
            "model_EEG_DINO_S.pt's module.teacher.* encoder loads strictly; tested on a file "
            "built from braindecode's keys (no manifest: the authors' class was not read)",
        ),
        C(
            "teacher or student",
            "unverified",
            "eegdino-rs scripts/parity_test.py loads module.student.*",
            "the teacher is loaded, as in braindecode's hub copy; which one the authors "
            "fine-tune from was not read",
        ),
        C(
            "authors' code",
            "unverified",
            "github miraclefish/EEG-DINO (named by eegdino-rs README.md): no snapshot here; "
            "huggingface eegdino/EEG-DINO not reachable",
            "searched for repositories eegdino / eeg-dino and the strings model_EEG_DINO_S, "
            "embedding_small: only ports (eegdino-rs, braindecode) and an unrelated "
            "re-implementation (davgauch/eeg-dino); channel order, units (uV / 100, as "
            "braindecode and eegdino-rs) and pooling are not checked against the authors",
        ),
    ),
    "steegformer": (
        C(
            "pooling",
            "fixed",
            "STEEGFormer benchmark/neural_networks/models/models_vit_eeg.py:146-148",
            "mean of un-normalised tokens without CLS (fc_norm commented out)",
        ),
        C(
            "weights layout",
            "verified",
            _LAYOUT.format("steegformer"),
            "checkpoint-200.pth ['model'] is the whole MAE: decoder dropped, timm's fused qkv "
            "cut into queries, keys, values (rows in that order); the authors' mean read-out, "
            "run outside the repository on one random checkpoint, matches ours within 4e-6",
        ),
        C(
            "positions",
            "deviates",
            "STEEGFormer benchmark/neural_networks/models/models_vit_eeg.py:56-64, 125, 137",
            "sinusoidal table equal to braindecode's; CLS at row 0, patches at 1..Seq as in "
            "the authors' downstream ViT, whose probes the published scores come from; their "
            "MAE pretraining placed patches at 0..Seq-1 (pretrain/models_mae_eeg.py:283), one "
            "row off",
        ),
        C(
            "window length",
            "fixed",
            "STEEGFormer benchmark/neural_networks/models/models_vit_eeg.py:91, 125",
            "at most 511 patches (a 512-row table); braindecode allowed 2047",
        ),
        C(
            "units",
            "verified",
            "STEEGFormer pretrain/util/eeg_dataset.py:295-301",
            "clipped at +-500, then z-scored per channel",
        ),
        C(
            "rate, patches",
            "verified",
            "STEEGFormer README.md:107; pretrain/models_mae_eeg.py:413-418",
            "128 Hz, 16-sample patches",
        ),
        C(
            "channels",
            "unverified",
            "STEEGFormer pretrain/senloc_file/sen_chan_idx.pkl (channels_mapping)",
            "the release ships its vocabulary (142 names, 145 slots) only as this pickle; "
            "steegformer_channels.json from braindecode's hub must sit beside the weights, "
            "and its order was not compared with the pickle",
        ),
    ),
}
del C


def fidelity_summary(checks):
    """Summarise checks in one line: counts, then the unverified aspects.

    Parameters
    ----------
    checks : tuple of FidelityCheck
        A contract's ``fidelity``.

    Returns
    -------
    summary : str
        E.g. ``"2 fixed, 1 verified; unverified: units"``.
    """
    counts = [f"{sum(c.status == s for c in checks)} {s}" for s in STATUSES[:-1]]
    todo = [c.aspect for c in checks if c.status == "unverified"]
    return ", ".join(counts) + (f"; unverified: {', '.join(todo)}" if todo else "")


def fidelity_rows():
    """Return every fidelity check of every model, one row each.

    Returns
    -------
    rows : list of dict
        Keys ``model, aspect, status, source, note``.
    """
    from ._contracts import CONTRACTS

    return [
        {"model": name, **check._asdict()}
        for name, contract in CONTRACTS.items()
        for check in contract.fidelity
    ]


def fidelity_rst():
    """Return the user guide's fidelity table as reST (``doc/guide/contracts.rst`` embeds it).

    Returns
    -------
    text : str
        A ``list-table``.
    """
    lines = [
        ".. list-table::",
        "   :header-rows: 1",
        "   :widths: 12 14 10 30 34",
        "",
        "   * - Model",
        "     - Aspect",
        "     - Status",
        "     - Source",
        "     - Finding",
    ]
    for row in fidelity_rows():
        note = row["note"].replace("|", r"\|")  # "|x|" would be a reST substitution
        lines += [
            f"   * - {row['model']}",
            f"     - {row['aspect']}",
            f"     - {row['status']}",
            f"     - ``{row['source']}``",
            f"     - {note}",
        ]
    return "\n".join(lines) + "\n"
