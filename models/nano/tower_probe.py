"""Does a vision tower see small objects? A linear probe of its per-patch features (issue #18 item 3, hard).

Usage: .venv/bin/python -m models.nano.tower_probe TOWER.pt [TOWER.pt ...] [--fit-sizes 13,14] [--json out.json]

For each stage-0a tower (``stage0_vision.pt``: keys ``vision.*``), linear shape / colour / glyph heads are fit on the
tile patches of 150 train scenes drawn with objects of ``--fit-sizes`` (the tower frozen, the loss of stage 0a), then
scored on the tile patches of 60 val scenes drawn with 13-14, 10-11 and 8-9 px objects: the share of object patches
whose label the probe reads. A tower whose features carry small glyphs scores high at 10-11 px with a probe fit at
13-14 px only.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F

from models.nano import data, labels, stage0
from models.nano.nano_config import nano_config
from models.nano.train import NANO_DIR, sizes_arg
from models.nano.tokenizer import load_or_train
from models.slime import SlimeForCausalLM
from models.slime.config import SlimeConfig
from models.slime.preprocess import process_image

EVAL_SIZES = ((13, 14), (10, 11), (8, 9))
FIT_SCENES, EVAL_SCENES, FIT_STEPS = 150, 60, 300


@torch.no_grad()
def tile_features(vision: torch.nn.Module, cfg: SlimeConfig, split: str, n: int, sizes: tuple[int, int]
                  ) -> tuple[torch.Tensor, torch.Tensor]:
    """Features [N, D] and labels [N, 3] of every tile patch of scenes 0..n-1 of ``split``."""
    feats, ys = [], []
    for i in range(n):
        scene = data.make_scene(split, i, cfg.image_size, sizes=sizes)
        pix, _ = process_image(scene.image, cfg)
        ys.append(torch.from_numpy(labels.patch_labels(scene, cfg))[1:].flatten(0, 1))
        feats.append(vision(pix[1:]).flatten(0, 1))
    return torch.cat(feats), torch.cat(ys)


def fit(heads: stage0.PatchHeads, x: torch.Tensor, y: torch.Tensor) -> float:
    opt = torch.optim.Adam(heads.parameters(), 1e-2)
    loss = torch.zeros(())
    for _ in range(FIT_STEPS):
        loss, _ = heads.loss(x[None], y[None])
        opt.zero_grad()
        loss.backward()
        opt.step()
    return loss.item()


@torch.no_grad()
def score(heads: stage0.PatchHeads, x: torch.Tensor, y: torch.Tensor) -> dict[str, float]:
    out = {}
    for k, (name, head) in enumerate((("shape", heads.shape), ("colour", heads.colour), ("glyph", heads.glyph))):
        on = y[:, k] > 0
        out[name] = round(100 * (head(x[on]).argmax(-1) == y[on, k]).float().mean().item(), 1)
    return out


def probe(tower: Path, cfg: SlimeConfig, fit_sizes: tuple[int, int]) -> dict[str, Any]:
    torch.manual_seed(0)
    model = SlimeForCausalLM(cfg)
    state = torch.load(tower, weights_only=True)
    model.vision.load_state_dict({k[len("vision."):]: v for k, v in state.items() if k.startswith("vision.")})
    model.eval()
    heads = stage0.make_heads(cfg)
    loss = fit(heads, *tile_features(model.vision, cfg, "train", FIT_SCENES, fit_sizes))
    return {"tower": str(tower), "fit_sizes": list(fit_sizes), "fit_loss": round(loss, 4),
            "by_size": {f"{lo}-{hi}": score(heads, *tile_features(model.vision, cfg, "val", EVAL_SCENES, (lo, hi)))
                        for lo, hi in EVAL_SIZES}}


def main(argv: list[str] | None = None) -> list[dict[str, Any]]:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("towers", type=Path, nargs="+")
    ap.add_argument("--fit-sizes", type=sizes_arg, default=data.SPLIT_SIZES["train"])
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--json", type=Path, default=None)
    a = ap.parse_args(argv)
    torch.set_num_threads(a.threads)
    cfg = nano_config(load_or_train(NANO_DIR / "tokenizer.json", 3000))
    out = []
    for tower in a.towers:
        out.append(probe(tower, cfg, a.fit_sizes))
        print(json.dumps(out[-1]), flush=True)
    if a.json:
        a.json.write_text(json.dumps(out, indent=1) + "\n")
    return out


if __name__ == "__main__":
    main()
