import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.utils.estimator_checks import parametrize_with_checks

from sklearn_eegfm.tokenizers import BagOfTokens, PatchKMeansTokenizer


@parametrize_with_checks(
    [
        BagOfTokens(),
        BagOfTokens(ngram_range=(1, 2), weighting="tfidf"),
        BagOfTokens(weighting="frequency"),
    ]
)
def test_sklearn_compatible(estimator, check):
    check(estimator)


def test_counts_and_bigrams_by_hand():
    codes = np.array([[0, 1, 1, 2], [2, 2, 0, 0]])
    bag = BagOfTokens(ngram_range=(1, 2)).fit(codes)
    names = list(bag.get_feature_names_out())
    X = bag.transform(codes)
    assert X.shape == (2, len(names))
    row = dict(zip(names, X[0]))
    assert (
        row["tok_1"] == 2 and row["tok_0_1"] == 1 and row["tok_1_1"] == 1 and row["tok_2_2"] == 0
    )


def test_ngrams_stay_inside_sequences_and_per_sequence_bags():
    codes = np.array([[0, 1, 2, 3]])  # two sequences of two tokens: (0, 1), (2, 3)
    bag = BagOfTokens(ngram_range=(2, 2), sequence_length=2).fit(codes)
    assert list(bag.get_feature_names_out()) == ["tok_0_1", "tok_2_3"]  # no (1, 2)
    per = BagOfTokens(sequence_length=2, per_sequence=True).fit(codes)
    X = per.transform(codes)
    assert X.shape == (1, 8) and X.sum() == 4
    assert dict(zip(per.get_feature_names_out(), X[0]))["seq1_tok_2"] == 1


def test_tfidf_rows_are_unit_norm_and_unseen_tokens_ignored():
    train = np.array([[0, 0, 1], [0, 2, 2]])
    bag = BagOfTokens(weighting="tfidf").fit(train)
    X = bag.transform(train)
    np.testing.assert_allclose(np.linalg.norm(X, axis=1), 1)
    # token 0 is in every row: lower idf than token 1
    assert bag.idf_[0] < bag.idf_[1]
    np.testing.assert_array_equal(BagOfTokens().fit(train).transform([[7, 7, 0]]), [[1, 0, 0]])


def test_residual_codes_get_one_vocabulary_per_level():
    codes = np.array([[[0, 1], [0, 0]], [[1, 1], [2, 0]]])  # (2 epochs, 2 levels, 2 tokens)
    bag = BagOfTokens().fit(codes)
    assert list(bag.get_feature_names_out()) == ["L0_tok_0", "L0_tok_1", "L1_tok_0", "L1_tok_2"]
    np.testing.assert_array_equal(bag.transform(codes), [[1, 1, 2, 0], [0, 2, 1, 1]])
    with pytest.raises(ValueError, match="features"):
        bag.transform(codes[:, 0])


def test_bad_parameters():
    with pytest.raises(ValueError, match="does not divide"):
        BagOfTokens(sequence_length=3).fit(np.zeros((2, 4)))
    with pytest.raises(ValueError, match="needs sequence_length"):
        BagOfTokens(per_sequence=True).fit(np.zeros((2, 4)))
    with pytest.raises(ValueError, match="ngram_range"):
        BagOfTokens(ngram_range=(2, 1)).fit(np.zeros((2, 4)))
    with pytest.raises(ValueError, match="NaN"):
        BagOfTokens().fit([[0, np.nan]])


def test_in_a_cross_validated_pipeline_on_epochs(make_epochs):
    epochs = make_epochs(n_epochs=24)
    pipe = make_pipeline(
        PatchKMeansTokenizer(n_codes=8, patch_duration=0.25, random_state=0),
        BagOfTokens(weighting="tfidf"),
        LogisticRegression(),
    )
    scores = cross_val_score(pipe, epochs, epochs.events[:, 2], cv=3)
    assert scores.shape == (3,) and np.isfinite(scores).all()
