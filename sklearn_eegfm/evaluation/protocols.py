"""Evaluation protocols: which epochs train and which test, for every fold.

Every protocol is validated against the data before anything trains, so that an
impossible request (one subject for leave-one-subject-out, fewer than k examples of a
class for k-shot) fails at once with a message saying what the data hold.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .._validation import check_positive

PROTOCOLS = ("within-subject", "cross-session", "loso", "few-shot")


@dataclass(frozen=True)
class Split:
    """One fold: train and test indices and what they stand for.

    Attributes
    ----------
    train, test : ndarray of int
        Epoch indices.
    subject, session : object
        The tested subject and session (session None when the fold spans sessions).
    fold : int
        Fold number within the protocol (and draw, for few-shot).
    k_shot : int | None
        Labelled target examples per class (few-shot only).
    """

    train: np.ndarray
    test: np.ndarray
    subject: object
    session: object
    fold: int
    k_shot: int | None = None


def _class_counts(y, idx):
    values, counts = np.unique(y[idx], return_counts=True)
    return dict(zip(values.tolist(), counts.tolist()))


def make_splits(
    protocol,
    y,
    subjects,
    sessions,
    *,
    n_splits=5,
    shots=(1, 2, 5, 10),
    n_draws=5,
    few_shot_source=False,
    random_state=0,
):
    """Build the folds of a protocol, checking first that the data allow it.

    Parameters
    ----------
    protocol : str
        ``"within-subject"`` (stratified k-fold inside each subject),
        ``"cross-session"`` (inside each subject, leave one session out), ``"loso"``
        (leave one subject out) or ``"few-shot"`` (k labelled examples per class of a
        subject train, the rest of that subject tests; ``n_draws`` random draws).
    y : ndarray, shape (n_epochs,)
        Labels.
    subjects, sessions : ndarray, shape (n_epochs,)
        Subject and session of every epoch.
    n_splits : int
        Folds of ``"within-subject"``.
    shots : sequence of int
        Values of k for ``"few-shot"``.
    n_draws : int
        Random draws of the k-shot examples per subject and k.
    few_shot_source : bool
        Also train few-shot folds on every other subject's epochs (calibration of a
        cross-subject model) instead of the k examples alone.
    random_state : int
        Seed of the shuffles and draws.

    Returns
    -------
    splits : list of Split
        The folds, in a deterministic order.
    """
    from .._validation import check_option

    check_option("protocol", protocol, PROTOCOLS)
    y, subjects, sessions = np.asarray(y), np.asarray(subjects), np.asarray(sessions)
    classes = np.unique(y)
    if classes.size < 2:
        raise ValueError(f"Need at least two classes to compare classifiers; got {classes}.")
    rng = np.random.default_rng(random_state)
    subject_ids = list(dict.fromkeys(subjects.tolist()))
    build = {
        "within-subject": _within_subject,
        "cross-session": _cross_session,
        "loso": _loso,
        "few-shot": _few_shot,
    }[protocol]
    return build(
        y=y,
        subjects=subjects,
        sessions=sessions,
        subject_ids=subject_ids,
        classes=classes,
        n_splits=n_splits,
        shots=shots,
        n_draws=n_draws,
        rng=rng,
        few_shot_source=few_shot_source,
        random_state=random_state,
    )


def _within_subject(*, y, subjects, subject_ids, classes, n_splits, random_state, **_):
    from sklearn.model_selection import StratifiedKFold

    for s in subject_ids:
        counts = _class_counts(y, np.flatnonzero(subjects == s))
        short = {c: counts.get(c, 0) for c in classes if counts.get(c, 0) < n_splits}
        if short:
            raise ValueError(
                f"within-subject {n_splits}-fold CV is impossible for subject {s}: class "
                f"counts {short} are below {n_splits}. Lower n_splits or drop the subject."
            )
    splits, fold = [], 0
    for s in subject_ids:
        idx = np.flatnonzero(subjects == s)
        cv = StratifiedKFold(n_splits, shuffle=True, random_state=random_state)
        for train, test in cv.split(idx, y[idx]):
            splits.append(Split(idx[train], idx[test], s, None, fold))
            fold += 1
    return splits


def _cross_session(*, y, subjects, sessions, subject_ids, **_):
    splits, fold = [], 0
    for s in subject_ids:
        idx = np.flatnonzero(subjects == s)
        for sess in dict.fromkeys(sessions[idx].tolist()):
            test = idx[sessions[idx] == sess]
            train = idx[sessions[idx] != sess]
            if len(train) and len(np.unique(y[train])) > 1:
                splits.append(Split(train, test, s, sess, fold))
                fold += 1
    if not splits:
        raise ValueError(
            "cross-session needs a subject with at least two sessions (with both classes "
            f"in the training sessions); sessions per subject: "
            f"{ {s: sorted(set(sessions[subjects == s].tolist())) for s in subject_ids} }."
        )
    return splits


def _loso(*, y, subjects, subject_ids, **_):
    if len(subject_ids) < 2:
        raise ValueError(
            f"Leave-one-subject-out needs at least two subjects; the data hold {subject_ids}. "
            "Use protocol='within-subject' instead."
        )
    splits = []
    for fold, s in enumerate(subject_ids):
        test = np.flatnonzero(subjects == s)
        splits.append(Split(np.flatnonzero(subjects != s), test, s, None, fold))
    return splits


def _few_shot(*, y, subjects, subject_ids, classes, shots, n_draws, rng, few_shot_source, **_):
    if not len(shots):
        raise ValueError("shots must hold at least one positive integer; got none.")
    shots = sorted({check_positive("shots", k, integer=True) for k in shots})
    for s in subject_ids:
        counts = _class_counts(y, np.flatnonzero(subjects == s))
        # k examples train, at least one of each class must remain to test
        short = {c: counts.get(c, 0) for c in classes if counts.get(c, 0) < shots[-1] + 1}
        if short:
            raise ValueError(
                f"few-shot with k={shots[-1]} is impossible for subject {s}: class counts "
                f"{short} need at least k + 1 = {shots[-1] + 1} (k to train, 1 to test). "
                "Use smaller shots or drop the subject."
            )
    splits, fold = [], 0
    for s in subject_ids:
        idx = np.flatnonzero(subjects == s)
        source = np.flatnonzero(subjects != s) if few_shot_source else np.array([], int)
        for _draw in range(n_draws):
            order = {c: rng.permutation(idx[y[idx] == c]) for c in classes}
            for k in shots:
                shot = np.concatenate([order[c][:k] for c in classes])
                test = np.setdiff1d(idx, shot)
                splits.append(Split(np.sort(np.r_[source, shot]), test, s, None, fold, k))
                fold += 1
    return splits
