"""SliME-Nano heldout accuracy of exported ONNX folders (fp32 / fp16 / int4) through models.ort_pipeline.

Usage: .venv/bin/python -m models.nano.evaluate_onnx FOLDER [FOLDER ...] [--scenes 200] [--out results.json]
Same split, scenes and exact-match rule as models/nano/evaluate.py (first N heldout scenes, every question,
greedy answer with EOS dropped == the reference answer), but every stage runs in onnxruntime: vision, projector,
selector (manifest mode/top-p), embeddings and the v2 decoder with its KV cache.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any

import numpy as np

from models.nano import data
from models.ort_pipeline import OrtSlime
from models.slime.template import build_prompt, tokenize_with_image, user_message

MAX_NEW = 4  # answers are <= 3 tokens (evaluate.batch_answers uses the same cap)


class CachedOrt(OrtSlime):
    """OrtSlime that runs vision + projector once per image (the questions of a scene share them)."""

    _cache: dict[str, tuple[np.ndarray, Any]] = {}

    def _memo(self, name: str, arg: np.ndarray, fn: Any) -> Any:
        hit = self._cache.get(name)
        if hit is None or hit[0] is not arg:  # the array is kept alive, so identity cannot be reused
            hit = self._cache[name] = (arg, fn(arg))
        return hit[1]

    def vision(self, pixel_values: np.ndarray) -> np.ndarray:
        return self._memo("vision", pixel_values, super().vision)

    def project(self, feats: np.ndarray) -> dict[str, np.ndarray]:
        return self._memo("project", feats, super().project)


def evaluate_folder(folder: Path, scenes: int) -> dict[str, Any]:
    rt = CachedOrt(folder)
    rt._cache = {}
    stops = set(rt.cfg.eos_ids)
    right: dict[str, list[int]] = {f: [] for f in data.FAMILIES}
    t0 = time.time()
    for i in range(scenes):
        scene = data.make_scene("heldout", i, rt.cfg.image_size)
        pv, grid = rt.preprocess(scene.image)
        for q in scene.questions:
            ids = tokenize_with_image(build_prompt("llama3", [("user", user_message(q.question))]), rt.tokenizer)
            out = rt.generate(ids, pv, grid, max_new_tokens=MAX_NEW)
            text = rt.tokenizer.decode([t for t in out["tokens"] if t not in stops]).strip()
            right[q.family].append(int(text == q.answer))
    allr = [x for v in right.values() for x in v]
    return {"folder": str(folder), "dtype": rt.manifest["dtype"], "scenes": scenes, "questions": len(allr),
            "accuracy": round(100 * sum(allr) / len(allr), 2),
            "accuracy_by_family": {f: round(100 * sum(v) / len(v), 2) if v else None for f, v in right.items()},
            "seconds": round(time.time() - t0, 1)}


def main(argv: list[str] | None = None) -> list[dict[str, Any]]:
    ap = argparse.ArgumentParser(prog="python -m models.nano.evaluate_onnx", description=__doc__.splitlines()[0])
    ap.add_argument("folders", nargs="+", type=Path)
    ap.add_argument("--scenes", type=int, default=200)
    ap.add_argument("--out", type=Path, default=None)
    a = ap.parse_args(argv)
    res = []
    for f in a.folders:
        r = evaluate_folder(f, a.scenes)
        print(json.dumps(r), flush=True)
        res.append(r)
    if a.out:
        a.out.write_text(json.dumps(res, indent=1) + "\n")
    return res


if __name__ == "__main__":
    main()
