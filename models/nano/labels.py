"""Dense per-patch labels for stage 0 (vision-encoder pretraining): shape, colour and glyph under every patch.

The object-id map of a scene goes through exactly the geometry of spec section 2.2 (squashed global view,
aspect-preserving resize + black pad + row-major tiles) with nearest-neighbour resampling, so label patch k
of view v sits under patch k of ``process_image(scene.image)[v]``.
"""

from __future__ import annotations

import numpy as np
from PIL import Image, ImageDraw

from models.nano import data
from models.slime.config import SlimeConfig
from models.slime.preprocess import choose_grid, resize_for_canvas

N_SHAPE, N_COLOUR, N_GLYPH = len(data.SHAPES) + 1, len(data.COLOUR_NAMES) + 1, len(data.GLYPHS) + 1


def _id_map(scene: data.Scene) -> Image.Image:
    m = Image.new("L", scene.image.size, 0)
    draw = ImageDraw.Draw(m)
    for i, o in enumerate(scene.objects):
        draw.rectangle((o.box[0], o.box[1], o.box[2] - 1, o.box[3] - 1), fill=i + 1)
    return m


def _views(idmap: Image.Image, cfg: SlimeConfig) -> list[np.ndarray]:
    t = cfg.image_size
    gw, gh = choose_grid(idmap.width, idmap.height, t, cfg.max_tiles)
    cw, ch = t * gw, t * gh
    nw, nh = resize_for_canvas(idmap.width, idmap.height, cw, ch)
    canvas = Image.new("L", (cw, ch), 0)
    canvas.paste(idmap.resize((nw, nh), Image.Resampling.NEAREST), ((cw - nw) // 2, (ch - nh) // 2))
    arr = np.asarray(canvas)
    tiles = [arr[r * t:(r + 1) * t, c * t:(c + 1) * t] for r in range(gh) for c in range(gw)]
    return [np.asarray(idmap.resize((t, t), Image.Resampling.NEAREST)), *tiles]


def patch_labels(scene: data.Scene, cfg: SlimeConfig, min_pixels: int = 10, glyph_min_pixels: int = 60,
                 global_glyph: bool = False) -> np.ndarray:
    """int64 [V, P, 3] (shape, colour, glyph; 0 = background) for the 1+N views of ``scene``. The glyph label is
    -100 (ignored) where the patch holds too little of the object to show the glyph, and on the global view
    unless ``global_glyph`` (there it is unreadable by design)."""
    table = np.zeros((len(scene.objects) + 1, 3), dtype=np.int64)
    for i, o in enumerate(scene.objects):
        table[i + 1] = (data.SHAPES.index(o.shape) + 1, data.COLOUR_NAMES.index(o.colour) + 1,
                        data.GLYPHS.index(o.glyph) + 1)
    p, g = cfg.patch_size, cfg.patch_grid
    out = []
    for view in _views(_id_map(scene), cfg):
        patches = view.reshape(g, p, g, p).transpose(0, 2, 1, 3).reshape(g * g, p * p)
        counts = np.stack([(patches == k).sum(axis=1) for k in range(len(scene.objects) + 1)], axis=1)
        counts[:, 0] = 0
        best = counts.argmax(axis=1)
        most = counts.max(axis=1)
        best[most < min_pixels] = 0
        lab = table[best]
        weak = (most < glyph_min_pixels) & (best > 0)
        if not out and not global_glyph:
            weak = best > 0
        lab[weak, 2] = -100
        out.append(lab)
    return np.stack(out)
