"""The kept-set override of models/ort_pipeline.py (the engine's `selector.keep`): keep = every index is keep-all,
keep = [] is global only without the separator, bad sets are refused, and keep_goldens.json matches the pipeline."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from models.keep_goldens import IMAGES, cases_for
from models.ort_pipeline import OrtSlime

FIX = Path(__file__).resolve().parents[2] / "test/fixtures/slime-tiny"


@pytest.fixture(scope="module")
def rt() -> OrtSlime:
    return OrtSlime(FIX)


@pytest.fixture(scope="module")
def gold() -> dict:
    return json.loads((FIX / "goldens.json").read_text())


def inputs(rt: OrtSlime, gold: dict, image: str = "wide") -> tuple[list[int], np.ndarray, tuple[int, int], int]:
    case = next(c for c in gold["cases"] if c["image"] == image and c["question"] == 0)
    img = next(i for i in gold["images"] if i["id"] == image)
    pv, grid = rt.preprocess(Image.open(FIX / img["file"]))
    g = rt.manifest["projector"]["local_grid"]
    return case["input_ids"], pv, tuple(grid), grid[0] * grid[1] * g * g


def test_keep_all_is_keep_all(rt: OrtSlime, gold: dict) -> None:
    ids, pv, grid, m = inputs(rt, gold)
    a, _ = rt.build(ids, pv, grid, topp=1.0)
    b, info = rt.build(ids, pv, grid, keep=list(reversed(range(m))))
    assert np.array_equal(a, b)
    assert list(info["kept_idx"]) == list(range(m))


def test_keep_empty_is_global_only_without_separator(rt: OrtSlime, gold: dict) -> None:
    ids, pv, grid, _ = inputs(rt, gold)
    emb, _ = rt.build(ids, pv, grid, keep=[])
    text = len([i for i in ids if i != -200])
    assert emb.shape[0] == text + rt.manifest["projector"]["global_queries"]
    sep = rt.embed([rt.cfg.separator_id])[0]
    assert not any(np.array_equal(row, sep) for row in emb)


def test_forced_set_changes_only_local_rows(rt: OrtSlime, gold: dict) -> None:
    ids, pv, grid, m = inputs(rt, gold)
    full, _ = rt.build(ids, pv, grid, topp=1.0)
    forced, _ = rt.build(ids, pv, grid, keep=[30, 2, 9])
    p, gq = ids.index(-200), rt.manifest["projector"]["global_queries"]
    head = p + gq + 1
    assert np.array_equal(forced[:head], full[:head])
    assert np.array_equal(forced[head:head + 3], full[head + np.array([2, 9, 30])])
    assert np.array_equal(forced[head + 3:], full[head + m:])


@pytest.mark.parametrize("keep,says", [([0, 10_000], "outside"), ([1, 1], "unique"), ([-1], "outside")])
def test_bad_sets_are_refused(rt: OrtSlime, gold: dict, keep: list[int], says: str) -> None:
    ids, pv, grid, _ = inputs(rt, gold)
    with pytest.raises(ValueError, match=says):
        rt.build(ids, pv, grid, keep=keep)


def test_goldens_match_the_pipeline(rt: OrtSlime, gold: dict) -> None:
    stored = json.loads((FIX / "keep_goldens.json").read_text())["cases"]
    fresh = [c for image in IMAGES for c in cases_for(rt, gold, image)]
    assert [(c["image"], c["name"], c["seq_len"], c["tokens"]) for c in fresh] == \
           [(c["image"], c["name"], c["seq_len"], c["tokens"]) for c in stored]
    for f, s in zip(fresh, stored):
        assert [t["id"] for t in f["first_step"]["top"]] == [t["id"] for t in s["first_step"]["top"]]
        np.testing.assert_allclose([t["prob"] for t in f["first_step"]["top"]], [t["prob"] for t in s["first_step"]["top"]],
                                   rtol=1e-9)
