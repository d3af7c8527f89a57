"""Out-of-scope questions: none is an in-scope question, the held-out half is unseen in training, val is its own split."""

from __future__ import annotations

import re

from models.nano import data, oos

SHAPE = "|".join(data.SHAPES)
COLOUR = "|".join(data.COLOUR_NAMES)
IN_SCOPE = [re.compile(p) for p in (
    rf"What colour is the ({SHAPE})\?", rf"What shape is the ({COLOUR}) object\?",
    rf"What is written on the ({COLOUR}) ({SHAPE})\?", rf"How many ({SHAPE})s are there\?",
    rf"How many ({COLOUR}) objects are there\?", rf"Is there a ({COLOUR}) ({SHAPE})\?",
    rf"Where is the ({COLOUR}) ({SHAPE})\?")]


def _in_scope(q: str) -> bool:
    return any(p.fullmatch(q) for p in IN_SCOPE)


def test_every_in_scope_question_of_the_data_matches_the_patterns() -> None:
    qs = [q.question for i in range(200) for q in data.make_scene("heldout", i).questions]
    assert all(_in_scope(q) for q in qs), [q for q in qs if not _in_scope(q)][:5]


def test_no_out_of_scope_question_is_in_scope() -> None:
    qs = {q.question for split in oos.SPLITS for i in range(2000) for q in oos.questions(split, i, 2)}
    assert len(qs) > 500
    assert not [q for q in qs if _in_scope(q)]


def test_heldout_set_is_fixed_and_mostly_unseen_in_training() -> None:
    pairs = oos.heldout_set()
    assert len(pairs) == 300 and pairs == oos.heldout_set()
    assert all(q.answer == oos.SENTENCE and q.family == oos.FAMILY for _, q in pairs)
    train = {q.question for i in range(3000) for q in oos.questions("train", i, 2)}
    unseen = [q for _, q in pairs if q.question not in train]
    assert len(unseen) / len(pairs) > 0.9, len(unseen)


def test_split_pools_are_disjoint() -> None:
    for pool in (oos.FREE_FORM, oos.SCENE_QUESTIONS, oos.READING, oos.NOUNS, oos.OTHER_COLOURS, oos.OTHER_SHAPES):
        tr, va, he = (set(oos._half(pool, s)) for s in oos.SPLITS)
        assert tr and va and he and not tr & he and not va & he and not tr & va
        assert tr | va | he == set(pool)


def test_val_set_shares_no_free_form_phrasing_or_unknown_word_with_heldout() -> None:
    val = {q.question for _, q in oos.val_set()}
    held = {q.question for _, q in oos.heldout_set()}
    assert len(oos.val_set()) == 200 and not val & held


def test_unknown_split_is_an_error() -> None:
    import pytest

    with pytest.raises(ValueError, match="split"):
        oos.questions("test", 0, 1)


def test_val_split_is_distinct_from_heldout() -> None:
    a, b = data.make_scene("val", 3), data.make_scene("heldout", 3)
    assert a.image.tobytes() != b.image.tobytes()
