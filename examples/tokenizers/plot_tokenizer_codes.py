"""
Codes, reconstructions and bags of tokens on P300 data
=======================================================

A tokenizer turns each short patch of each EEG channel into one integer: the index of
its nearest entry in a learned codebook. Here we fit a
:class:`~sklearn_eegfm.PatchKMeansTokenizer` on the shipped visual-oddball
demo (4 Muse channels, 256 Hz), look at the codes and at what they reconstruct, watch
reconstruction error and codebook perplexity as the codebook grows, and use the codes
as features with :class:`~sklearn_eegfm.BagOfTokens` and a logistic
regression. :class:`~sklearn_eegfm.VQTokenizer` and
:class:`~sklearn_eegfm.RVQTokenizer` (learned convolutional encoders with
vector-quantised bottlenecks) share the same methods.

Data: NeuroTechX eeg-notebooks, (c) 2017 Alexandre Barachant, BSD-3-Clause.
"""

# %%
# Fit a codebook of 32 codes on 125-ms patches. Each channel is standardised with its
# training mean and standard deviation first (undone when decoding), so the codes
# describe waveform shapes and amplitudes relative to the channel's usual range.

# sphinx_gallery_start_ignore
import os
from pathlib import Path

# sphinx_gallery_end_ignore
import matplotlib.pyplot as plt
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold, cross_val_score
from sklearn.pipeline import make_pipeline

from sklearn_eegfm import EpochsData
from sklearn_eegfm.datasets import load_p300_demo
from sklearn_eegfm.tokenizers import BagOfTokens, PatchKMeansTokenizer

epochs = load_p300_demo()
X = EpochsData.from_epochs(epochs)  # validated once, indexed cheaply
y = epochs.events[:, 2]
tok = PatchKMeansTokenizer(n_codes=32, patch_duration=0.125, random_state=0).fit(X)
codes = tok.transform(X)
print(
    f"{codes.shape[0]} epochs x {codes.shape[1]} tokens "
    f"({tok.n_channels_in_} channels x {tok.n_patches_} patches of {tok.patch_len_} samples)"
)
print(
    f"perplexity {tok.perplexity_:.1f} of {tok.n_codes_} codes, "
    f"relative reconstruction error {tok.reconstruction_error_:.2f}"
)

# %%
# The codes of the first epochs, one row per epoch, channel-major (token
# ``c * n_patches_ + p`` is patch ``p`` of channel ``c``), and the reconstruction of one
# epoch from its 28 integers: the codebook keeps the slow waves and drops the rest.
rec = tok.inverse_transform(codes[:1])  # volts, like the input Epochs
times = epochs.times
fig_codes, axes = plt.subplots(1, 2, figsize=(10, 3.5), layout="constrained")
axes[0].imshow(codes[:40], aspect="auto", cmap="tab20b", interpolation="nearest")
for c in range(1, tok.n_channels_in_):
    axes[0].axvline(c * tok.n_patches_ - 0.5, color="w", lw=2)
axes[0].set(xlabel="token (channel-major)", ylabel="epoch", title="codes")
axes[1].plot(times, epochs.get_data()[0, 0] * 1e6, label="signal", color="0.5")
axes[1].plot(times, rec[0, 0] * 1e6, label="from codes", color="C3")
axes[1].set(xlabel="time (s)", ylabel="µV", title=f"{epochs.ch_names[0]}, epoch 0")
axes[1].legend()

# %%
# Larger codebooks reconstruct better; the perplexity (the effective number of codes in
# use, ``exp`` of the code entropy) tells whether the extra codes are used at all. We
# fit on subject 1 and measure on subjects 2 and 4, so that the error is not just
# memorisation.
subjects = epochs.metadata["subject"].to_numpy()
train, test = X[subjects == 1], X[subjects != 1]
sizes = [4, 16, 64, 256]
errors, perplexities = [], []
for k in sizes:
    t = PatchKMeansTokenizer(n_codes=k, patch_duration=0.125, random_state=0).fit(train)
    errors.append(t.reconstruction_error(test))
    perplexities.append(t.perplexity(test))
    print(f"{k:4d} codes: held-out error {errors[-1]:.2f}, perplexity {perplexities[-1]:.1f}")
fig_sweep, ax = plt.subplots(figsize=(5, 3.5), layout="constrained")
ax.plot(sizes, errors, "o-", label="reconstruction error")
ax.set(xscale="log", xlabel="codebook size", ylabel="relative error (held-out)")
ax2 = ax.twinx()
ax2.plot(sizes, perplexities, "s--", color="C1", label="perplexity")
ax2.set(yscale="log", ylabel="perplexity")
fig_sweep.legend(loc="upper center")

# %%
# Codes as features. A plain bag of tokens (TF-IDF of codes and code bigrams) forgets
# *when* each pattern occurred, which is what a P300 is about; one bag per token
# position (``sequence_length=1, per_sequence=True``, i.e. one-hot codes) keeps it.
cv = StratifiedKFold(5, shuffle=True, random_state=0)
for label, bag in [
    ("bag of tokens (TF-IDF, 1-2-grams)", BagOfTokens(ngram_range=(1, 2), weighting="tfidf")),
    ("codes per position (one-hot)", BagOfTokens(sequence_length=1, per_sequence=True)),
]:
    pipe = make_pipeline(
        PatchKMeansTokenizer(n_codes=16, patch_duration=0.1, random_state=0),
        bag,
        LogisticRegression(C=0.1, max_iter=1000, class_weight="balanced"),
    )
    auc = cross_val_score(pipe, X, y, cv=cv, scoring="roc_auc")
    print(f"{label:36s} ROC AUC {auc.mean():.3f} ± {auc.std():.3f}")

# %%
# The same pipelines run in :func:`sklearn_eegfm.evaluation.compare` and on the
# command line under the names ``tok-kmeans+bag``, ``tok-kmeans+onehot``,
# ``tok-vq+bag`` and ``tok-rvq+bag``.

# sphinx_gallery_start_ignore
# Keep a copy of the figures (``$SKLEARN_EEGFM_EXAMPLES_OUT``, else ./sklearn_eegfm_examples).
out = Path(os.environ.get("SKLEARN_EEGFM_EXAMPLES_OUT", "sklearn_eegfm_examples"))
out.mkdir(exist_ok=True)
fig_codes.savefig(out / "tokenizer_codes.png", dpi=100)
fig_sweep.savefig(out / "tokenizer_codebook_size.png", dpi=100)
# sphinx_gallery_end_ignore
