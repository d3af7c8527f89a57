"""Image preprocessing of spec §2.2: the anyres grid rule, black-padded tiles, squashed global view, CLIP normalization."""

from __future__ import annotations

import math

import numpy as np
import torch
from PIL import Image

from .config import SlimeConfig


def candidate_counts(width: int, height: int, tile: int, max_tiles: int = 7) -> list[int]:
    """Tile counts tried for an image: s = ceil(W·H / tile²) clamped to [2, max_tiles-1], then {s-1?, s, s+1}."""
    s = math.ceil(width * height / (tile * tile))
    s = min(s, max_tiles - 1)
    if s <= 1:
        s = 2
    return [s, s + 1] if s <= 2 else [s - 1, s, s + 1]


def choose_grid(width: int, height: int, tile: int = 336, max_tiles: int = 7) -> tuple[int, int]:
    """The UHD-style grid rule (spec §2.2) → (gw columns, gh rows). Ties keep the earlier candidate."""
    if width <= 0 or height <= 0:
        raise ValueError(f"choose_grid: image size must be positive, got {width}x{height}")
    best: tuple[int, int] | None = None
    best_eff, best_waste = -1, math.inf
    for count in candidate_counts(width, height, tile, max_tiles):
        for i in range(1, count + 1):
            if count % i:
                continue
            gw, gh = i, count // i
            cw, ch = tile * gw, tile * gh
            r = min(cw / width, ch / height)
            eff = min(int(width * r) * int(height * r), width * height)
            waste = cw * ch - eff
            if eff > best_eff or (eff == best_eff and waste < best_waste):
                best, best_eff, best_waste = (gw, gh), eff, waste
    assert best is not None
    return best


def resize_for_canvas(width: int, height: int, canvas_w: int, canvas_h: int) -> tuple[int, int]:
    """Aspect-preserving size that fits the canvas, with the ceil rule of LLaVA-NeXT's resize_and_pad_image."""
    sw, sh = canvas_w / width, canvas_h / height
    if sw < sh:
        return canvas_w, min(math.ceil(height * sw), canvas_h)
    return min(math.ceil(width * sh), canvas_w), canvas_h


def tile_canvas(image: Image.Image, gw: int, gh: int, tile: int) -> Image.Image:
    """Resize (PIL default bicubic) and paste centered on a black canvas of (tile·gw)×(tile·gh)."""
    cw, ch = tile * gw, tile * gh
    nw, nh = resize_for_canvas(image.width, image.height, cw, ch)
    resized = image.resize((nw, nh), Image.Resampling.BICUBIC)
    canvas = Image.new("RGB", (cw, ch), (0, 0, 0))
    canvas.paste(resized, ((cw - nw) // 2, (ch - nh) // 2))
    return canvas


def normalize_view(view: Image.Image, mean: tuple[float, ...], std: tuple[float, ...]) -> np.ndarray:
    """uint8 HWC RGB → float32 CHW: (x / 255 − mean) / std, computed in float32."""
    x = np.asarray(view, dtype=np.float32) / np.float32(255.0)
    x = (x - np.asarray(mean, dtype=np.float32)) / np.asarray(std, dtype=np.float32)
    return np.ascontiguousarray(x.transpose(2, 0, 1))


def make_views(image: Image.Image, cfg: SlimeConfig) -> tuple[list[Image.Image], tuple[int, int]]:
    """PIL views: [global squash, tile 0 … tile N-1] (tiles row-major) and the grid (gw, gh)."""
    image = image.convert("RGB")
    t = cfg.image_size
    gw, gh = choose_grid(image.width, image.height, t, cfg.max_tiles)
    canvas = tile_canvas(image, gw, gh, t)
    tiles = [canvas.crop((c * t, r * t, (c + 1) * t, (r + 1) * t)) for r in range(gh) for c in range(gw)]
    glob = image.resize((t, t), Image.Resampling.BICUBIC)
    return [glob, *tiles], (gw, gh)


def process_image(image: Image.Image, cfg: SlimeConfig) -> tuple[torch.Tensor, tuple[int, int]]:
    """PIL image → (pixel_values float32 [1+N, 3, T, T], (gw, gh)). View 0 is the global view."""
    views, grid = make_views(image, cfg)
    arr = np.stack([normalize_view(v, cfg.image_mean, cfg.image_std) for v in views])
    return torch.from_numpy(arr), grid
