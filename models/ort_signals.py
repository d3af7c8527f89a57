"""Signals of the hard-example miner over models.ort_pipeline.OrtSlime, in parity with the TypeScript engine.

Kept apart from ort_pipeline.py (which other work also edits). Shared definitions: /work/wt/notes/SESSION2-PLAN.md
("Image embedding", "Sweep", "Combined rank"); the TypeScript side is electron/inference (answer.ts, sweep.ts).

- image_embedding: mean over the global view's rows after the projector/router mix (the `global_tokens` output,
  the rows that enter the LLM before the separator), accumulated in float64, L2-normalised, returned as float32.
- load_image: what electron/inference/preprocess/decodeImage.ts does with sharp — EXIF orientation applied, first
  frame, alpha dropped (not composited), grey/palette expanded to sRGB.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps

from .ort_pipeline import OrtSlime

EMBEDDING_KIND = "global-mean-l2"


def load_image(path: str | Path) -> Image.Image:
    """Decode a file as the engine does (EXIF orientation, first frame, RGB without alpha)."""
    with Image.open(path) as im:
        im.seek(0)
        im = ImageOps.exif_transpose(im)
        if im.mode in ("P", "PA"):  # palette with transparency: expand first so PIL does not warn
            im = im.convert("RGBA")
        return im.convert("RGB")


def file_sha256(path: str | Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


@dataclass
class Features:
    """Everything of one image that does not depend on the prompt (the engine's FeatureCache entry)."""

    pixel_values: np.ndarray
    grid: tuple[int, int]
    projector: dict[str, np.ndarray]


def encode(rt: OrtSlime, image: Image.Image) -> Features:
    """preprocess → vision_encoder → projector, once per image (reused by every question and setting)."""
    pv, grid = rt.preprocess(image)
    return Features(pv, grid, rt.project(rt.vision(pv)))


def embedding_from_global(global_tokens: np.ndarray) -> np.ndarray:
    """[G, H] global rows → L2-normalised float32 mean [H] (float64 accumulation; a zero vector stays zero)."""
    mean = np.asarray(global_tokens, dtype=np.float64).mean(axis=0)
    n = float(np.linalg.norm(mean))
    return (mean / max(n, 1e-12)).astype(np.float32)


def image_embedding(rt: OrtSlime, image: Image.Image | Features) -> np.ndarray:
    """The image embedding (see module doc) of a PIL image or of already encoded features."""
    feats = image if isinstance(image, Features) else encode(rt, image)
    return embedding_from_global(feats.projector["global_tokens"])
