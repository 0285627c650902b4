"""Where TFM-Tokenizer's authors publish its checkpoints (no torch: names and paths only).

Read by :mod:`sklearn_eegfm.tokenizers.tfm` (the tokenizer's file) and
:mod:`sklearn_eegfm.models.zoo.tfm` (the encoder's file, and the tokenizer's beside it),
so that both look in the same places.

- The authors' README (Jathurshan0330/TFM-Tokenizer @d716ab9, README.md:42) points to
  the repository's own weights folder, spelled ``pretrained_weigths/`` in its tree, with
  ``multiple_dataset_settings/Pretrained_tfm_tokenizer_2x2x8/tfm_tokenizer_last.pth``,
  ``multiple_dataset_settings/MTP_Pretrained_tfm_encoder_64x4/tfm_encoder_mtp_last.pth``
  and the fine-tuned encoders (``Finetuned_TUEV/tfm_encoder_best_model.pth``, ...). The
  README names no model hub.
- The Hugging Face repository ``Jathurshan/TFM-Tokenizer`` holds the same folder without
  the ``pretrained_weigths/`` prefix: braindecode's TFMTokenizer docstring downloads
  ``hf_hub_download("Jathurshan/TFM-Tokenizer",
  "multiple_dataset_settings/Pretrained_tfm_tokenizer_2x2x8/tfm_tokenizer_last.pth")``
  (braindecode/braindecode @5275bfd, braindecode/models/tfm_tokenizer.py, "Pre-trained
  Weights Available", about lines 106-123). The account is the first author's: his own
  repository Jathurshan0330/CELM links ``huggingface.co/Jathurshan/CELM``
  (README.md:5). Not downloaded from these machines (no network): unverified here that
  the hub serves the file under that path.
"""

GITHUB_REPO = "Jathurshan0330/TFM-Tokenizer"
GITHUB_COMMIT = "d716ab9"
HUB_REPO = "Jathurshan/TFM-Tokenizer"
#: The tokenizer's checkpoint, as a path inside the hub repository.
TOKENIZER_FILE = "multiple_dataset_settings/Pretrained_tfm_tokenizer_2x2x8/tfm_tokenizer_last.pth"
#: The masked-token-prediction pretrained encoder, as a path inside the hub repository.
ENCODER_FILE = "multiple_dataset_settings/MTP_Pretrained_tfm_encoder_64x4/tfm_encoder_mtp_last.pth"
LICENCE = "MIT (Copyright (c) 2025 Jathurshan Pradeepkumar)"


def github_url(path):
    """Give the URL of ``path`` (a hub path) in the authors' GitHub repository, pinned."""
    return f"https://github.com/{GITHUB_REPO}/tree/{GITHUB_COMMIT}/pretrained_weigths/{path}"
