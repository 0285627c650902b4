"""Protocols: folds are what they claim, and impossible requests fail before training."""

import numpy as np
import pytest

from sklearn_eegfm.evaluation import make_splits

Y = np.array([0, 1] * 12)
SUBJECTS = np.repeat([1, 2, 3], 8)
SESSIONS = np.tile(np.repeat([1, 2], 4), 3)


def test_loso_holds_out_each_subject_once():
    splits = make_splits("loso", Y, SUBJECTS, SESSIONS)
    assert [s.subject for s in splits] == [1, 2, 3]
    for s in splits:
        assert set(SUBJECTS[s.test]) == {s.subject} and s.subject not in set(SUBJECTS[s.train])
        assert len(s.train) + len(s.test) == len(Y)


def test_within_subject_stays_inside_the_subject_and_is_stratified():
    splits = make_splits("within-subject", Y, SUBJECTS, SESSIONS, n_splits=2)
    assert len(splits) == 6
    for s in splits:
        assert set(SUBJECTS[np.r_[s.train, s.test]]) == {s.subject}
        assert set(Y[s.test]) == {0, 1}


def test_cross_session_leaves_one_session_out():
    splits = make_splits("cross-session", Y, SUBJECTS, SESSIONS)
    assert len(splits) == 6
    for s in splits:
        assert set(SESSIONS[s.test]) == {s.session}
        assert s.session not in set(SESSIONS[s.train])


def test_few_shot_uses_k_per_class_and_the_same_draws_for_everyone():
    splits = make_splits("few-shot", Y, SUBJECTS, SESSIONS, shots=(1, 2), n_draws=2)
    assert len(splits) == 3 * 2 * 2
    for s in splits:
        values, counts = np.unique(Y[s.train], return_counts=True)
        assert list(counts) == [s.k_shot, s.k_shot]
        assert not set(s.train) & set(s.test)
    again = make_splits("few-shot", Y, SUBJECTS, SESSIONS, shots=(1, 2), n_draws=2)
    assert all(np.array_equal(a.train, b.train) for a, b in zip(splits, again))
    source = make_splits(
        "few-shot", Y, SUBJECTS, SESSIONS, shots=(1,), n_draws=1, few_shot_source=True
    )
    assert len(source[0].train) == 16 + 2


def test_impossible_protocols_are_refused():
    with pytest.raises(ValueError, match="at least two subjects"):
        make_splits("loso", Y, np.ones_like(Y), SESSIONS)
    with pytest.raises(ValueError, match=r"k=10 is impossible for subject 1.*need at least"):
        make_splits("few-shot", Y, SUBJECTS, SESSIONS, shots=(10,))
    with pytest.raises(ValueError, match="at least two sessions"):
        make_splits("cross-session", Y, SUBJECTS, np.ones_like(Y))
    with pytest.raises(ValueError, match="within-subject 5-fold CV is impossible"):
        make_splits("within-subject", Y, SUBJECTS, SESSIONS, n_splits=5)
    with pytest.raises(ValueError, match="Invalid protocol='LOSO'"):
        make_splits("LOSO", Y, SUBJECTS, SESSIONS)
    with pytest.raises(ValueError, match="two classes"):
        make_splits("loso", np.zeros_like(Y), SUBJECTS, SESSIONS)
