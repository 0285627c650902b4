"""TFM-Tokenizer's downstream encoder as a foundation model: everything true of ``"tfm"``.

The route of Pradeepkumar et al.: each channel is tokenized alone by the pretrained
TFM-Tokenizer (8192 codes per 0.5 s), then a small linear-attention transformer
(64-dim, 4 blocks) reads the codes of all channels with channel and temporal
embeddings. The networks are :mod:`sklearn_eegfm._nets.tfm`; this module holds the
contract pieces: building, read-out, the tokenizer file next to the encoder's, facts.
"""

from __future__ import annotations

from pathlib import Path

from .._checkpoints import WeightsNotFoundError, home_dir, sha256_file
from ._fidelity import FidelityCheck as C

HUB_REPO = "Jathurshan/TFM-Tokenizer"
#: The masked-token-prediction pretrained encoder, in the authors' repository layout.
ENCODER_FILE = "multiple_dataset_settings/MTP_Pretrained_tfm_encoder_64x4/tfm_encoder_mtp_last.pth"
TOKENIZER_FILE = (
    "multiple_dataset_settings/Pretrained_tfm_tokenizer_2x2x8/tfm_tokenizer_last.pth"
)
_SOURCE = "Jathurshan0330/TFM-Tokenizer@d716ab9 "


def _tokenizer_candidates(encoder_path):
    """Where the tokenizer's file may sit relative to an encoder file, then in the cache."""
    name = Path(TOKENIZER_FILE).name
    folder = Path(encoder_path).parent
    home = home_dir()
    return [
        folder / name,  # a folder holding both files
        folder.parent / "Pretrained_tfm_tokenizer_2x2x8" / name,  # the authors' layout
        folder.parent / Path(TOKENIZER_FILE).parent.name / name,
        home / HUB_REPO / TOKENIZER_FILE,
        home / HUB_REPO / name,
    ]


def plan(backbone):
    """Find the tokenizer checkpoint that goes with the encoder's weights."""
    if not backbone.weights.pretrained:
        backbone.extra["tokenizer"] = None
        backbone.report.append("tokenizer: random (weights=None)")
        return
    for path in _tokenizer_candidates(backbone.weights.path):
        if path.is_file():
            backbone.extra["tokenizer"] = path
            backbone.extra["tokenizer_sha256"] = sha256_file(path)
            backbone.report.append(f"tokenizer: {path}")
            return
    tried = ", ".join(str(p) for p in _tokenizer_candidates(backbone.weights.path)[:2])
    raise WeightsNotFoundError(
        f"TFM's encoder reads the codes of TFM-Tokenizer, whose checkpoint "
        f"tfm_tokenizer_last.pth was not found next to {backbone.weights.path} (looked at "
        f"{tried} and under {home_dir() / HUB_REPO}). Get it from the authors' repository "
        f"(https://github.com/Jathurshan0330/TFM-Tokenizer, {TOKENIZER_FILE}; MIT) and put "
        "it beside the encoder's file, or use weights=None for a random model."
    )


def build_kwargs(backbone):
    return {
        "n_chans": len(backbone.model_ch_names),
        "n_times": backbone.n_times,
        "n_outputs": 2,
        "tokenizer": None if backbone.extra.get("tokenizer") is None else str(backbone.extra["tokenizer"]),
        "tokenizer_sha256": backbone.extra.get("tokenizer_sha256"),
    }


def network(**kwargs):
    from .._nets.tfm import TFMFoundationNet

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
