"""SliME-Nano data: determinism, grid coverage, split disjointness, question families, patch labels."""

from __future__ import annotations

import hashlib

import numpy as np

from models.nano import data, labels
from models.slime.config import SlimeConfig
from models.slime.preprocess import choose_grid, process_image

NANO_VIEW = SlimeConfig.tiny(image_size=112, patch_size=14, vision_hidden=32)


def _digest(scene: data.Scene) -> str:
    return hashlib.sha256(scene.image.tobytes() + repr(scene.image.size).encode()).hexdigest()


def test_same_seed_same_scene_and_questions() -> None:
    a, b = data.make_scene("train", 7), data.make_scene("train", 7)
    assert _digest(a) == _digest(b)
    assert [(q.question, q.answer) for q in a.questions] == [(q.question, q.answer) for q in b.questions]
    assert _digest(a) != _digest(data.make_scene("train", 8))


def test_every_grid_of_the_rule_occurs() -> None:
    grids = {choose_grid(*data.make_scene("train", i).image.size, 112) for i in range(300)}
    assert set(data.GRIDS) <= grids, set(data.GRIDS) - grids


def test_heldout_is_disjoint_from_train_and_large_enough() -> None:
    train = {_digest(data.make_scene("train", i)) for i in range(200)}
    held = [data.make_scene("heldout", i) for i in range(200)]
    assert not train & {_digest(s) for s in held}
    assert sum(len(s.questions) for s in held) >= 1000
    assert {q.family for s in held for q in s.questions} == set(data.FAMILIES)


def test_hard_split_has_smaller_objects() -> None:
    def mean_size(split: str) -> float:
        objs = [o for i in range(40) for o in data.make_scene(split, i).objects]
        return float(np.mean([o.box[2] - o.box[0] for o in objs]))

    assert mean_size("hard") < 0.85 * mean_size("heldout")


def test_sizes_override_draws_the_objects_in_that_range_and_nothing_else_changes_by_default() -> None:
    for i in range(20):
        plain, default, small = (data.make_scene("val", i), data.make_scene("val", i, sizes=data.SPLIT_SIZES["val"]),
                                 data.make_scene("val", i, sizes=(10, 11)))
        assert _digest(plain) == _digest(default)
        assert {o.box[2] - o.box[0] for o in small.objects} <= {10, 11}
        assert small.image.size == plain.image.size  # the canvas is drawn before the objects
    sides = {o.box[2] - o.box[0] for i in range(40) for o in data.make_scene("train", i, sizes=(10, 14)).objects}
    assert sides == {10, 11, 12, 13, 14}


def test_answers_are_consistent_with_objects() -> None:
    for i in range(50):
        s = data.make_scene("heldout", i)
        for q in s.questions:
            if q.family == "glyph":
                assert any(o.glyph == q.answer and o.box == q.box for o in s.objects)
            elif q.family == "count":
                assert int(q.answer) == sum(o.shape in q.question.split()[2] or f" {o.colour} " in q.question
                                            for o in s.objects)
            elif q.family == "exist":
                present = any(f"a {o.colour} {o.shape}?" in q.question for o in s.objects)
                assert q.answer == ("yes" if present else "no")
            elif q.family == "position":
                o = next(o for o in s.objects if o.box == q.box)
                cx, cy = (o.box[0] + o.box[2]) / 2, (o.box[1] + o.box[3]) / 2
                w, h = s.image.size
                assert q.answer == ("top" if cy < h / 2 else "bottom") + (" left" if cx < w / 2 else " right")


def test_patch_labels_follow_the_view_geometry() -> None:
    s = data.make_scene("train", 3)
    pix, (gw, gh) = process_image(s.image, NANO_VIEW)
    y = labels.patch_labels(s, NANO_VIEW)
    assert y.shape == (pix.shape[0], 64, 3)
    # every object shows up with its shape and colour in some tile patch
    tiles = y[1:].reshape(-1, 3)
    for o in s.objects:
        sh, co = data.SHAPES.index(o.shape) + 1, data.COLOUR_NAMES.index(o.colour) + 1
        assert ((tiles[:, 0] == sh) & (tiles[:, 1] == co)).any()
    # labelled patches are not black padding and not background-coloured
    view = pix[1:].permute(0, 2, 3, 1).numpy().reshape(-1, 8, 14, 8, 14, 3).transpose(0, 1, 3, 2, 4, 5)
    view = view.reshape(-1, 14 * 14, 3)
    labelled = tiles[:, 0] > 0
    assert (view[labelled].std(axis=1).mean(axis=-1) > view[~labelled].std(axis=1).mean(axis=-1).mean()).mean() > 0.6
    assert (y[0, :, 2] <= 0).all()  # glyph is not a target on the squashed global view
