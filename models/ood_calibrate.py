"""Measures SliME-Nano's out-of-distribution guard at its shipped threshold (called by `python -m models.ood build`).

Sets, each scored against the reference of ood.json:
- heldout / hard: the evaluation splits of models/nano/data.py (in distribution; should pass),
- real_photos: the photographs scikit-image ships inside its wheel (skimage/data: people, animals, objects,
  astronomy, microscopy, textures, scanned text; no download),
- photo_variants: images made from those photos that are not synthetic scenes: crops, rescales to Nano's scene
  sizes, grey/colour changes, rotations, heavy JPEG recompression, and the 25×25 LFW face crops upscaled,
- non_scene: drawings and generated pictures that are not scenes (chessboard, logo, phantom, gradients, noise,
  a text page, a flat colour).
The flagged rate of each set (score > threshold) and every real photo's score go into ood.json's `calibration`.
"""

from __future__ import annotations

import io
import os
from collections.abc import Callable
from typing import Any

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageOps

from .ort_pipeline import OrtSlime
from .ort_signals import image_embedding, load_image

REAL_PHOTOS = ("astronaut.png", "camera.png", "chelsea.png", "coffee.png", "rocket.jpg", "moon.png", "coins.png",
               "hubble_deep_field.jpg", "retina.jpg", "motorcycle_left.png", "motorcycle_right.png", "ihc.png",
               "cell.png", "page.png", "text.png", "grass.png", "gravel.png", "brick.png", "clock_motion.png",
               "microaneurysms.png")
VARIANT_BASES = ("astronaut.png", "chelsea.png", "coffee.png", "rocket.jpg", "motorcycle_left.png",
                 "hubble_deep_field.jpg", "retina.jpg", "ihc.png", "camera.png", "coins.png", "moon.png")
DRAWINGS = ("chessboard_RGB.png", "logo.png", "color.png", "phantom.png", "horse.png")
N_SCENES = 256


def skimage_dir() -> str:
    import skimage
    return os.path.join(os.path.dirname(skimage.__file__), "data")


def real_photos() -> dict[str, Image.Image]:
    d = skimage_dir()
    return {name: load_image(os.path.join(d, name)) for name in REAL_PHOTOS}


def _jpeg(im: Image.Image, quality: int) -> Image.Image:
    buf = io.BytesIO()
    im.save(buf, "JPEG", quality=quality)
    buf.seek(0)
    return Image.open(buf).convert("RGB")


def _recolour(im: Image.Image) -> Image.Image:
    """Colour photo → grey; grey photo → sepia."""
    a = np.asarray(im)
    if np.array_equal(a[..., 0], a[..., 1]) and np.array_equal(a[..., 1], a[..., 2]):
        return ImageOps.colorize(im.convert("L"), "#402000", "#ffe8c0")
    return im.convert("L").convert("RGB")


VARIANTS: dict[str, Callable[[Image.Image], Image.Image]] = {
    "crop-centre-336x224": lambda im: ImageOps.fit(im, (336, 224), Image.Resampling.BICUBIC),
    "crop-corner-tl": lambda im: im.crop((0, 0, im.width // 2, im.height // 2)),
    "rescale-112x336": lambda im: im.resize((112, 336), Image.Resampling.BICUBIC),
    "grey-or-sepia": lambda im: _recolour(im),
    "rotate90-blur": lambda im: im.rotate(90, expand=True).filter(ImageFilter.GaussianBlur(2)),
    "jpeg-q15-small": lambda im: _jpeg(im.resize((im.width // 3, im.height // 3), Image.Resampling.BILINEAR), 15),
}


def photo_variants(photos: dict[str, Image.Image]) -> dict[str, Image.Image]:
    out = {f"{base}:{v}": fn(photos[base]) for base in VARIANT_BASES for v, fn in VARIANTS.items()}
    import skimage.data
    faces = skimage.data.lfw_subset()[:10]
    for i, f in enumerate(faces):
        g = Image.fromarray((f * 255).clip(0, 255).astype(np.uint8)).resize((112, 112), Image.Resampling.BICUBIC)
        out[f"lfw_subset[{i}]"] = g.convert("RGB")
    return out


def _text_page() -> Image.Image:
    im = Image.new("RGB", (336, 448), "white")
    d = ImageDraw.Draw(im)
    for row in range(20):
        d.text((12, 10 + row * 21), "The quick brown fox jumps over the lazy dog 0123", fill="black")
    return im


def non_scene() -> dict[str, Image.Image]:
    d = skimage_dir()
    out = {name: load_image(os.path.join(d, name)) for name in DRAWINGS}
    x = np.linspace(0, 255, 336, dtype=np.float32)
    out["gradient-h"] = Image.fromarray(np.stack([np.tile(x, (224, 1))] * 3, -1).astype(np.uint8))
    out["noise-uniform"] = Image.fromarray(np.random.default_rng(0).integers(0, 256, (224, 224, 3), np.uint8))
    out["flat-grey"] = Image.new("RGB", (224, 224), (128, 128, 128))
    out["text-page"] = _text_page()
    rings = Image.new("RGB", (336, 336), "white")
    draw = ImageDraw.Draw(rings)
    for r in range(160, 0, -16):
        draw.ellipse((168 - r, 168 - r, 168 + r, 168 + r), outline=(0, 0, 0), width=3)
    out["rings"] = rings
    return out


def _rate(scores: np.ndarray, t: float) -> dict[str, Any]:
    return {"n": int(len(scores)), "flagged": float((scores > t).mean()) if len(scores) else None}


def measure_nano(rt: OrtSlime, guards: dict[str, Any], n_scenes: int = N_SCENES) -> dict[str, dict[str, Any]]:
    """Per guard (method → OodGuard): the flagged rate of every set of the module doc at its threshold, each real
    photo's score, and what it missed. Embeddings are computed once for all guards."""
    from .ood import nano_scenes

    photos = real_photos()
    variants = photo_variants(photos)
    drawings = non_scene()
    named = {"heldout": dict(enumerate(nano_scenes("heldout", 0, n_scenes))),
             "hard": dict(enumerate(nano_scenes("hard", 0, n_scenes))),
             "real_photos": photos, "photo_variants": variants, "non_scene": drawings}
    emb = {k: np.stack([image_embedding(rt, im) for im in v.values()]) for k, v in named.items()}
    out: dict[str, dict[str, Any]] = {}
    for method, guard in guards.items():
        t = guard.threshold
        scores = {k: guard.scores(e) for k, e in emb.items()}
        out[method] = {
            "rates": {k: _rate(s, t) for k, s in scores.items()},
            "real_photo_scores": {n: round(float(x), 5) for n, x in zip(photos, scores["real_photos"])},
            "missed": sorted(str(n) for k in ("real_photos", "photo_variants", "non_scene")
                             for n, x in zip(named[k], scores[k]) if x <= t),
            "sets": f"models/ood_calibrate.py (heldout/hard scenes 0..{n_scenes - 1}, scikit-image photos, "
                    "variants, drawings)",
        }
    return out
