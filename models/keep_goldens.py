"""Goldens of the kept-set override (the engine's `selector.keep`) through the Python reference pipeline.

For two fixture images and one question: the selector's own setting (control), keep = [] (global only, no separator),
a forced set, one tile's cells, and every index (= keep-all). Each case records the decoder input length, the first
step's 5 best tokens (softmax at temperature 1, float64) with their probabilities, and the greedy tokens (stop id
dropped, as the engine reports them). test/electron/inference/parity/keepOverride.test.ts checks the TypeScript engine
against it; models/tests/test_keep_override.py checks this file against the current pipeline.

CLI: python -m models.keep_goldens --out test/fixtures/slime-tiny
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from .ort_pipeline import OrtSlime

IMAGES = ("wide", "square")
QUESTION = 0
MAX_NEW = 6
FORCED = [2, 9, 30]
PROBE = 5


def tile_cells(grid: tuple[int, int], g: int, tile: int) -> list[int]:
    """Raster indices of one tile's g×g cells on the (rows·g)×(cols·g) local grid."""
    cols = grid[0]
    tr, tc = divmod(tile, cols)
    return sorted((tr * g + r) * cols * g + tc * g + c for r in range(g) for c in range(g))


def first_step(logits: np.ndarray, probe: int) -> dict[str, Any]:
    x = logits.astype(np.float64)
    p = np.exp(x - x.max())
    p /= p.sum()
    top = sorted(range(len(p)), key=lambda i: (-x[i], i))[:5]
    return {"top": [{"id": int(i), "prob": float(p[i])} for i in top], "probe": {"id": probe, "prob": float(p[probe])}}


def cases_for(rt: OrtSlime, gold: dict[str, Any], image: str) -> list[dict[str, Any]]:
    case = next(c for c in gold["cases"] if c["image"] == image and c["question"] == QUESTION)
    img = next(i for i in gold["images"] if i["id"] == image)
    pv, grid = rt.preprocess(Image.open(rt.folder / img["file"]))
    g = rt.manifest["projector"]["local_grid"]
    m = grid[0] * grid[1] * g * g
    keeps: list[tuple[str, list[int] | None]] = [("selector", None), ("global", []), ("forced", FORCED),
                                                 ("tile1", tile_cells(grid, g, 1)), ("all", list(range(m)))]
    out = []
    for name, keep in keeps:
        o = rt.generate(case["input_ids"], pv, tuple(grid), max_new_tokens=MAX_NEW + 1, keep=keep)
        tokens = [t for t in o["tokens"] if t not in rt.cfg.eos_ids][:MAX_NEW]
        out.append({"image": image, "name": name, "keep": keep, "local_before": m,
                    "seq_len": int(o["info"]["seq_len"]), "first_step": first_step(o["first_logits"], PROBE),
                    "tokens": tokens})
    return out


def generate(out: str | Path) -> dict[str, Any]:
    out = Path(out)
    rt = OrtSlime(out)
    gold = json.loads((out / "goldens.json").read_text())
    doc = {"format": "slime-keep-goldens", "version": 1, "generated_by": "python -m models.keep_goldens",
           "question": gold["questions"][QUESTION], "max_new_tokens": MAX_NEW,
           "cases": [c for image in IMAGES for c in cases_for(rt, gold, image)]}
    (out / "keep_goldens.json").write_text(json.dumps(doc, indent=1) + "\n")
    return doc


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", default="test/fixtures/slime-tiny")
    generate(ap.parse_args().out)
