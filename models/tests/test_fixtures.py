"""The committed golden fixtures (test/fixtures/slime-tiny) agree with the current Python pipeline and their ONNX graphs."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from models.fixtures import QUESTIONS, grid_cases
from models.ort_pipeline import OrtSlime
from models.slime.preprocess import process_image
from models.slime.selector import raster_order, select
from models.slime.template import tokenize_with_image

FIX = Path(__file__).resolve().parents[2] / "test/fixtures/slime-tiny"


def load(ref: dict) -> np.ndarray:
    return np.fromfile(FIX / ref["file"], dtype="<f4").reshape(ref["shape"])


@pytest.fixture(scope="module")
def gold() -> dict:
    return json.loads((FIX / "goldens.json").read_text())


@pytest.fixture(scope="module")
def rt() -> OrtSlime:
    return OrtSlime(FIX)


def test_fixture_is_small_and_hashes_match(gold: dict, rt: OrtSlime) -> None:
    size = sum(p.stat().st_size for p in FIX.rglob("*") if p.is_file())
    assert size <= 10 * 1024 * 1024
    for g in rt.manifest["graphs"].values():
        assert hashlib.sha256((FIX / g["file"]).read_bytes()).hexdigest() == g["sha256"]
    assert gold["grid_cases"] == grid_cases() and gold["questions"] == QUESTIONS


def test_pixels_and_features_reproduce(gold: dict, rt: OrtSlime) -> None:
    for im in gold["images"]:
        pv, grid = process_image(Image.open(FIX / im["file"]), rt.cfg)
        assert list(grid) == im["grid"]
        assert np.array_equal(pv.numpy(), load(im["pixel_values"]))
        feats = rt.vision(pv.numpy())
        ref = load(im["patch_feats"])
        assert np.abs(feats - ref).max() <= 1e-4 * np.abs(ref).max()
        for k, v in rt.project(ref).items():
            r = load(im["projector"][k])
            assert np.abs(v - r).max() <= 1e-4 * np.abs(r).max() + 1e-6, k


def test_cases_reproduce_with_onnxruntime(gold: dict, rt: OrtSlime) -> None:
    images = {im["id"]: im for im in gold["images"]}
    for case in gold["cases"]:
        assert tokenize_with_image(case["prompt"], rt.tokenizer) == case["input_ids"]
        pv = grid = None
        if case["image"] is not None:
            im = images[case["image"]]
            pv, grid = load(im["pixel_values"]), tuple(im["grid"])
            local = torch.from_numpy(load(im["projector"]["local_tokens"]))
            text = torch.from_numpy(rt.embed([i for i in case["input_ids"] if i != -200][: rt.cfg.max_length]))
            raster = raster_order(local, *grid)
            for key in ("legacy", "single", "keep_all"):
                s = case["selector"][key]
                got = select(raster, text, s["mode"], s["top_p"], 1.0)
                assert got["kept_idx"].tolist() == s["kept"] and len(s["kept"]) == s["k"], key
            assert np.allclose(got["scores"].numpy(), case["selector"]["scores"], rtol=1e-6, atol=1e-9)
        out = rt.generate(case["input_ids"], pv, grid, case["greedy"]["max_new_tokens"])
        assert out["tokens"] == case["greedy"]["tokens"]
        top = case["first_logits_top20"]
        assert np.argsort(-out["first_logits"])[:20].tolist() == top["ids"]
        assert np.allclose(out["first_logits"][top["ids"]], top["values"], atol=1e-4)
        if case["image"] is not None:
            assert out["info"]["seq_len"] == case["seq_len"]
    assert any(c["truncated"] for c in gold["cases"]) and any(c["image"] is None for c in gold["cases"])
    assert {tuple(im["grid"]) for im in gold["images"]} >= {(1, 2), (1, 7)}
