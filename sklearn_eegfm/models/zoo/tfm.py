"""TFM (Pradeepkumar et al. 2025): TFM-Tokenizer's codes read by a small token transformer.

The route of "Tokenizing single-channel EEG with time-frequency motif learning": each
channel is tokenized alone by the pretrained TFM-Tokenizer (8192 codes per 0.5 s), then a
linear-attention transformer (64-dim, 4 blocks) reads the codes of all channels with
channel and temporal embeddings. The networks are :mod:`sklearn_eegfm._nets.tfm` (shared
with :class:`~sklearn_eegfm.TFMTokenizer`; braindecode 1.8.1 has neither); this module is
the model's datasheet: building, read-out, the tokenizer file beside the encoder's, its
fidelity records and its contract.
"""

from __future__ import annotations

from pathlib import Path

from ... import _hub
from ..._checkpoint_layouts import CheckpointLayout
from ..._checkpoints import sha256_file
from ..._nets.tfm import percentile_scale
from ..._nets.tfm_files import ENCODER_FILE, GITHUB_REPO, HUB_REPO, TOKENIZER_FILE
from .._contract import FidelityCheck as C
from .._contract import FMContract
from .._weights import home_dir

_SOURCE = "Jathurshan0330/TFM-Tokenizer@d716ab9 "
_TOKENIZER_NAME = Path(TOKENIZER_FILE).name


def _tokenizer_beside(encoder_path):
    """Where the tokenizer's file may sit relative to an encoder file."""
    folder = Path(encoder_path).parent
    return [
        folder / _TOKENIZER_NAME,  # a folder holding both files
        folder.parent / Path(TOKENIZER_FILE).parent.name / _TOKENIZER_NAME,  # authors' layout
    ]


def _find_tokenizer(encoder_path):
    """Find the tokenizer's file: beside the encoder's, in the cache, else on the hub.

    The cache is the one :class:`~sklearn_eegfm.TFMTokenizer` reads (its GitHub folder,
    or the hub repository in either layout): both find what the other downloaded.
    """
    for path in _tokenizer_beside(encoder_path):
        if path.is_file():
            return path
    home = home_dir()
    if (home / GITHUB_REPO / _TOKENIZER_NAME).is_file():
        return home / GITHUB_REPO / _TOKENIZER_NAME
    cached = _hub.find_in_cache((HUB_REPO,), (TOKENIZER_FILE, _TOKENIZER_NAME), home)
    if cached is not None:
        return cached
    tried = ", ".join(str(p) for p in _tokenizer_beside(encoder_path))
    return _hub.download_or_explain(
        "TFM-Tokenizer (the tokenizer whose codes TFM's encoder reads)",
        (HUB_REPO,),
        (TOKENIZER_FILE,),
        f"Looked beside the encoder's file ({tried}) and under {home}. Get "
        f"{_TOKENIZER_NAME} from the authors (https://github.com/{GITHUB_REPO}, "
        f"pretrained_weigths/{TOKENIZER_FILE}; MIT) and put it beside the encoder's file "
        f"or at {home / GITHUB_REPO / _TOKENIZER_NAME}, or use weights=None for a random "
        "model.",
    )


def plan(backbone):
    """Find the tokenizer checkpoint that goes with the encoder's weights."""
    if not backbone.weights.pretrained:
        backbone.extra["tokenizer"] = None
        backbone.report.append("tokenizer: random (weights=None)")
        return
    path = _find_tokenizer(backbone.weights.path)
    backbone.extra["tokenizer"] = path
    backbone.extra["tokenizer_sha256"] = sha256_file(path)
    backbone.report.append(f"tokenizer: {path}")


def build_kwargs(backbone):
    """Give the constructor arguments: channels, length and the tokenizer's file."""
    tokenizer = backbone.extra.get("tokenizer")
    return {
        "n_chans": len(backbone.model_ch_names),
        "n_times": backbone.n_times,
        "n_outputs": 2,
        "tokenizer": None if tokenizer is None else str(tokenizer),
        "tokenizer_sha256": backbone.extra.get("tokenizer_sha256"),
    }


def network(backbone, **kwargs):
    """Build the tokenizer and the encoder as one network."""
    from ..._nets.tfm import TFMFoundationNet

    return TFMFoundationNet(**kwargs)


def features(model, x, backbone):
    """Tokens ``(B, C, T, D)`` and the CLS output of the encoder (channel-major sequence)."""
    codes = model.tokenize(x)
    z = model.forward_features(codes)
    b, c, t = codes.shape
    return z[:, 1:].reshape(b, c, t, -1), z[:, 0]


FIDELITY = (
    C(
        "units",
        "verified",
        _SOURCE + "datasets/data_loaders.py:128",
        "each channel divided by its 95th percentile of |x| + 1e-8 (the unit cancels)",
    ),
    C(
        "rate",
        "deviates",
        _SOURCE + "datasets/data_loaders.py:123-125",
        "the authors resample each window with scipy.signal.resample (FFT); the package's "
        "polyphase resampling differs slightly (TFMTokenizer follows the authors exactly)",
    ),
    C(
        "patches",
        "verified",
        _SOURCE + "utils/utils.py:165-176; models/tfm_token.py:333",
        "|STFT| Hann 200, hop 100, center=False, 100 bins, and a 200-sample conv with "
        "stride 100: one code per 0.5 s after the first second",
    ),
    C(
        "channels",
        "verified",
        _SOURCE + "models/tfm_token.py:218-246",
        "16 channel embeddings indexed by position, trained on the 16 TCP bipolar "
        "derivations in the order of datasets_processing/TUEV/process.py:49-107: the "
        "user's channels are mapped onto those derivations, so that slot i meets its own",
    ),
    C(
        "read-out",
        "verified",
        _SOURCE + "models/tfm_token.py:239-256",
        "CLS token first, channel-major tokens, 4 linear-attention blocks; the head reads "
        "CLS; on the real TUEV checkpoint, CLS and logits equal the authors' forward within "
        "1e-5 (tests/models/test_tfm_encoder.py)",
    ),
    C(
        "weights layout",
        "verified",
        _SOURCE + "models/tfm_token.py:204-287, shared/reference/keys",
        "the encoder's files load strictly (59 tensors); the tokenizer loads strictly from "
        "its own file (191 tensors)",
    ),
    C(
        "pooling",
        "deviates",
        _SOURCE + "downstream_transformer_finetuning.py",
        "the authors fine-tune the CLS read-out; the default 'mean' averages the tokens "
        "(the masked-token-prediction encoder never trained CLS); pooling='cls' gives theirs",
    ),
)


CHECKPOINT_LAYOUTS = (
    CheckpointLayout(
        "authors' (tfm_encoder_best_model.pth / tfm_encoder_mtp_last.pth)",
        _SOURCE + "models/tfm_token.py:279-287; downstream_transformer_finetuning.py:48-58",
        # The network keeps the authors' module names: their plain state dicts load as-is.
        native=True,
    ),
)


CONTRACT = FMContract(
    name="tfm",
    model_cls="TFMFoundationNet",  # not in braindecode 1.8.1: sklearn_eegfm._nets.tfm
    sfreq=200.0,
    patch_len=200,
    patch_step=100,
    # The 16 TCP derivations of TUEV/TUAB in the authors' order
    # (datasets_processing/TUEV/process.py:49-107), which is braindecode's BIOT order too.
    channels="bipolar",
    bipolar_ref="biot:BIOT_CHANNEL_ORDER",
    n_used=16,
    units="each channel / its 95th percentile of |amplitude|",
    scale=percentile_scale,
    build_kwargs=build_kwargs,
    features=features,
    network=network,
    plan=plan,
    embed_dim=64,
    poolings=("mean", "cls", "flatten", "channel"),
    # 1000 temporal positions (models/tfm_token.py:11): 1000 codes per channel at most.
    max_times=200 + 100 * 999,
    head_keys=("classification_head.*", "tokenizer.*"),
    hub_repo=HUB_REPO,
    hub_files=(ENCODER_FILE, "tfm_encoder_mtp_last.pth", "tfm_encoder_best_model.pth"),
    licence="MIT",
    pretraining=("TUAB", "TUEV", "CHB-MIT", "IIIC"),
    reference="Pradeepkumar et al., TFM-Tokenizer (2025)",
    fidelity=FIDELITY,
    checkpoint_layouts=CHECKPOINT_LAYOUTS,
    reference_fixture="tfm_encoder_tuev",  # the real TUEV encoder (tests/models/reference/)
    peft_targets=r"LAT\..*\.(to_q|to_k|to_v|to_out|w1|w2)",
)
