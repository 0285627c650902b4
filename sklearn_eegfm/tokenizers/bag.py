"""Bag of tokens: code counts or TF-IDF per epoch, optionally over n-grams."""

from __future__ import annotations

import numpy as np
from scipy.sparse import issparse
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted, validate_data

from .._validation import check_option


class BagOfTokens(TransformerMixin, BaseEstimator):
    """Turn token sequences into fixed-length count or TF-IDF vectors.

    The text-retrieval bag of words, for EEG codes: each row of ``X`` (the codes of one
    epoch, e.g. from :class:`PatchKMeansTokenizer`) becomes the counts of the tokens, or
    of the n-grams of consecutive tokens, it contains. Residual codes of shape
    ``(n_epochs, n_levels, n_tokens)`` are counted per level, each level with its own
    vocabulary.

    Parameters
    ----------
    ngram_range : tuple of (int, int)
        Smallest and largest n-gram length counted, as in scikit-learn's
        :class:`~sklearn.feature_extraction.text.CountVectorizer`.
    sequence_length : int | None
        Length of the independent sequences each row holds, e.g. ``n_patches_`` of a
        tokenizer (its rows hold one sequence per channel). n-grams never span two
        sequences. None: the whole row is one sequence.
    per_sequence : bool
        Count tokens separately in each sequence (e.g. one bag per channel), instead of
        pooling them. Needs ``sequence_length``.
    weighting : "count" | "frequency" | "tfidf"
        Raw counts, counts divided by the row's total, or smoothed TF-IDF
        (``tf * (1 + log((1 + n) / (1 + df)))``, L2-normalised rows).
    min_df : int
        Keep only n-grams present in at least this many training rows.

    Attributes
    ----------
    vocabulary_ : dict of tuple to int
        ``(level, n-gram)`` -> column (before ``per_sequence`` expansion).
    idf_ : ndarray, shape (n_features_out_,)
        Inverse document frequencies (``weighting="tfidf"``).
    n_features_out_ : int
        Output columns.
    n_features_in_ : int
        Tokens per row seen in fit.

    See Also
    --------
    PatchKMeansTokenizer, VQTokenizer, RVQTokenizer

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_eegfm.tokenizers import BagOfTokens
    >>> codes = np.array([[0, 1, 1, 2], [2, 2, 0, 0]])
    >>> BagOfTokens().fit_transform(codes)
    array([[1., 2., 1.],
           [2., 0., 2.]])
    """

    def __init__(
        self,
        *,
        ngram_range=(1, 1),
        sequence_length=None,
        per_sequence=False,
        weighting="count",
        min_df=1,
    ):
        self.ngram_range = ngram_range
        self.sequence_length = sequence_length
        self.per_sequence = per_sequence
        self.weighting = weighting
        self.min_df = min_df

    def _check_params(self, n_tokens):
        check_option("weighting", self.weighting, ("count", "frequency", "tfidf"))
        lo, hi = self.ngram_range
        if not (1 <= lo <= hi):
            raise ValueError(
                f"ngram_range must satisfy 1 <= min_n <= max_n; got {self.ngram_range}."
            )
        length = self.sequence_length
        if length is not None and (length < 1 or n_tokens % length):
            raise ValueError(
                f"sequence_length={length} does not divide the {n_tokens} tokens per row."
            )
        if self.per_sequence and length is None:
            raise ValueError(
                "per_sequence=True needs sequence_length (e.g. tokenizer.n_patches_)."
            )

    def _levels(self, X, reset):
        """Rows of codes per level: a list of arrays (n_rows, n_tokens)."""
        if not (issparse(X) or hasattr(X, "iloc")):  # validate_data names those
            X = np.asarray(X)
        if getattr(X, "ndim", 2) == 3:
            n, n_levels, n_tokens = X.shape
            flat = validate_data(self, X.reshape(n, -1), reset=reset)
            return [flat[:, lv * n_tokens : (lv + 1) * n_tokens] for lv in range(n_levels)]
        X = validate_data(self, X, reset=reset)
        return [X]

    def _grams(self, rows):
        """Yield (n, array of n-gram tuples (n_rows, n_seq, n_pos, n)) for each n."""
        n_rows, n_tokens = rows.shape
        length = self.sequence_length or n_tokens
        seqs = rows.reshape(n_rows, n_tokens // length, length)
        lo, hi = self.ngram_range
        for n in range(lo, min(hi, length) + 1):
            yield n, np.lib.stride_tricks.sliding_window_view(seqs, n, axis=-1)

    def fit(self, X, y=None):
        """Learn the vocabulary of n-grams (and their document frequencies).

        Parameters
        ----------
        X : array-like, shape (n_epochs, n_tokens) or (n_epochs, n_levels, n_tokens)
            Codes from a tokenizer (any values are treated as token labels).
        y : None
            Ignored.

        Returns
        -------
        self : object
            The fitted transformer.
        """
        self._fit(X)
        return self

    def _fit(self, X):
        levels = self._levels(X, reset=True)
        self.n_levels_ = len(levels)
        self._check_params(levels[0].shape[1])
        vocabulary = {}
        df = {}
        for lv, rows in enumerate(levels):
            for _, grams in self._grams(rows):
                flat = grams.reshape(len(rows), -1, grams.shape[-1])
                for r in range(len(rows)):
                    for g in set(map(tuple, flat[r].tolist())):
                        df[(lv, g)] = df.get((lv, g), 0) + 1
        keys = sorted((k for k, v in df.items() if v >= self.min_df), key=repr)
        if not keys:
            raise ValueError(f"min_df={self.min_df} leaves no n-gram; lower it.")
        # Sorting by (level, n, values) gives a stable, readable column order.
        keys = sorted(keys, key=lambda k: (k[0], len(k[1]), k[1]))
        vocabulary = {k: i for i, k in enumerate(keys)}
        self.vocabulary_ = vocabulary
        self.n_sequences_ = 1
        if self.per_sequence:
            self.n_sequences_ = levels[0].shape[1] // self.sequence_length
        self.n_features_out_ = len(vocabulary) * self.n_sequences_
        if self.weighting == "tfidf":
            n = len(levels[0])
            idf = 1.0 + np.log((1 + n) / (1 + np.array([df[k] for k in keys], dtype=float)))
            self.idf_ = np.tile(idf, self.n_sequences_)
        return levels

    def _count(self, levels):
        n_rows = len(levels[0])
        n_vocab = len(self.vocabulary_)
        counts = np.zeros((n_rows, self.n_sequences_, n_vocab))
        for lv, rows in enumerate(levels):
            for _, grams in self._grams(rows):
                n_seq, n_pos = grams.shape[1:3]
                cols = np.array(
                    [
                        self.vocabulary_.get((lv, g), -1)
                        for g in map(tuple, grams.reshape(-1, grams.shape[-1]).tolist())
                    ]
                ).reshape(n_rows, n_seq, n_pos)
                seq = np.broadcast_to(np.arange(n_seq)[None, :, None], cols.shape)
                row = np.broadcast_to(np.arange(n_rows)[:, None, None], cols.shape)
                keep = cols >= 0
                target = seq[keep] if self.per_sequence else np.zeros(keep.sum(), dtype=int)
                np.add.at(counts, (row[keep], target, cols[keep]), 1.0)
        counts = counts.reshape(n_rows, -1)
        if self.weighting == "frequency":
            total = counts.sum(axis=1, keepdims=True)
            counts = counts / np.where(total == 0, 1, total)
        elif self.weighting == "tfidf":
            counts = counts * self.idf_
            norm = np.linalg.norm(counts, axis=1, keepdims=True)
            counts = counts / np.where(norm == 0, 1, norm)
        return counts

    def fit_transform(self, X, y=None):
        """Learn the vocabulary and return the bags.

        Parameters
        ----------
        X : array-like, shape (n_epochs, n_tokens) or (n_epochs, n_levels, n_tokens)
            Codes.
        y : None
            Ignored.

        Returns
        -------
        X_new : ndarray, shape (n_epochs, n_features_out_)
            Counts, frequencies or TF-IDF weights (see ``get_feature_names_out``).
        """
        return self._count(self._fit(X))

    def transform(self, X):
        """Count the vocabulary's n-grams in each row (unseen n-grams are ignored).

        Parameters
        ----------
        X : array-like, shape (n_epochs, n_tokens) or (n_epochs, n_levels, n_tokens)
            Codes, with the layout seen in ``fit``.

        Returns
        -------
        X_new : ndarray, shape (n_epochs, n_features_out_)
            Counts, frequencies or TF-IDF weights.
        """
        check_is_fitted(self)
        levels = self._levels(X, reset=False)
        if len(levels) != self.n_levels_:
            raise ValueError(
                f"X has {len(levels)} code levels but {self.n_levels_} were seen in fit."
            )
        return self._count(levels)

    def get_feature_names_out(self, input_features=None):
        """Names of the output columns, e.g. ``"tok_3"``, ``"tok_3_7"``, ``"seq1_L0_tok_3"``.

        Parameters
        ----------
        input_features : None
            Ignored (the input columns are token positions).

        Returns
        -------
        feature_names_out : ndarray of str
            One name per output column.
        """
        check_is_fitted(self)

        def name(key):
            lv, gram = key
            text = "tok_" + "_".join(f"{v:g}" if isinstance(v, float) else str(v) for v in gram)
            return f"L{lv}_{text}" if self.n_levels_ > 1 else text

        base = [name(k) for k in self.vocabulary_]
        if self.n_sequences_ == 1:
            return np.asarray(base, dtype=object)
        return np.asarray(
            [f"seq{s}_{b}" for s in range(self.n_sequences_) for b in base], dtype=object
        )
