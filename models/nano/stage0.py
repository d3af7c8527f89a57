"""Stage 0 of SliME-Nano: pretrain the small CLIP-style vision tower on dense per-patch attribute labels.

No pretrained CLIP can be downloaded, so the tower learns, for every patch of every view (global squash and
local tiles), the shape, colour and glyph of the object under it. Afterwards it is frozen, as CLIP is in SliME.
"""

from __future__ import annotations

import random

import torch
import torch.nn.functional as F
from torch import nn

from models.nano import data, labels
from models.slime.config import SlimeConfig
from models.slime.preprocess import process_image
from models.slime.vision import SlimeVision


class PatchHeads(nn.Module):
    """Linear shape / colour / glyph classifiers over the tower's selected-layer patch features."""

    def __init__(self, dim: int) -> None:
        super().__init__()
        self.shape = nn.Linear(dim, labels.N_SHAPE)
        self.colour = nn.Linear(dim, labels.N_COLOUR)
        self.glyph = nn.Linear(dim, labels.N_GLYPH)

    def loss(self, feats: torch.Tensor, y: torch.Tensor) -> tuple[torch.Tensor, tuple[float, float]]:
        """Shape and colour CE over all patches (object patches x4), plus glyph CE averaged over the patches
        that show a glyph; returns the loss and the glyph accuracy on those patches."""
        w = torch.where(y[..., 0] > 0, 4.0, 1.0).flatten()
        total = feats.new_zeros(())
        for k, head in enumerate((self.shape, self.colour)):
            ce = F.cross_entropy(head(feats).flatten(0, 1), y[..., k].flatten(), reduction="none")
            total = total + (ce * w).sum() / w.sum()
        g = y[..., 2].flatten()
        obj = g > 0
        with torch.no_grad():
            on = y[..., 0] > 0
            shape_acc = (self.shape(feats)[on].argmax(-1) == y[..., 0][on]).float().mean().item() if on.any() else 0.0
        if not obj.any():
            return total, (shape_acc, 0.0)
        logits = self.glyph(feats).flatten(0, 1)[obj]
        total = total + F.cross_entropy(logits, g[obj])
        acc = (logits.argmax(-1) == g[obj]).float().mean().item()
        return total, (shape_acc, acc)


def view_batch(cfg: SlimeConfig, rng: random.Random, max_views: int, tiles_only: bool = False,
               sizes: tuple[int, int] | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """Random views (global and tiles) of fresh train scenes with their per-patch labels (``sizes``: the objects'
    side range, default the train split's)."""
    pix, ys = [], []
    n = 0
    while n < max_views:
        scene = data.make_scene("train", rng.randrange(10**7, 2 * 10**7), cfg.image_size, dense=True, sizes=sizes)
        pv, _ = process_image(scene.image, cfg)
        y = torch.from_numpy(labels.patch_labels(scene, cfg))
        if tiles_only:
            pv, y = pv[1:], y[1:]
        pix.append(pv)
        ys.append(y)
        n += pv.shape[0]
    return torch.cat(pix)[:max_views], torch.cat(ys)[:max_views]


def make_heads(cfg: SlimeConfig) -> PatchHeads:
    return PatchHeads(cfg.vision_hidden)


def step(vision: SlimeVision, heads: PatchHeads, batch: tuple[torch.Tensor, torch.Tensor]
         ) -> tuple[torch.Tensor, tuple[float, float]]:
    """Loss and (shape, glyph) accuracy on object patches of one batch."""
    pix, y = batch
    return heads.loss(vision(pix), y)
