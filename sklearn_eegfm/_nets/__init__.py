"""Networks shared by the tokenizers and the foundation models (which never import each other).

Written from the papers and the authors' key lists, with the authors' module names so that
their checkpoints load with strict key matching: :mod:`.tfm` (TFM-Tokenizer's tokenizer and
downstream encoder), :mod:`.biocodec` (BioCodec's codec) and the linear-attention transformer
they use (:mod:`.linear_attention`). torch is imported here: import this package lazily.
"""
