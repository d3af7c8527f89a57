"""Golden fixtures for the TypeScript engine: a tiny random Llama-3-style SliME exported to ONNX, images, goldens.json.

CLI: python -m models.fixtures --out test/fixtures/slime-tiny
"""

from __future__ import annotations

import argparse
import json
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import torch
from PIL import Image, ImageDraw

from .export import export_model
from .ort_pipeline import OrtSlime
from .slime.model import SlimeForCausalLM
from .slime.preprocess import process_image
from .slime.template import build_prompt, tokenize_with_image, user_message
from .slime.tiny import randomize, tiny_config

SEED = 20240602
GREEDY_STEPS = 8
TOP_K = 20
QUESTIONS = [
    "What color is the small square?",
    "How many circles are there?",
    "Read the letter on the green star, then describe the image in detail.",
]
LONG_QUESTION = " ".join(["Describe every shape, colour and glyph in the top left corner."] * 40)
FIXTURE_DIMS: dict[str, Any] = dict(
    image_size=64, patch_size=8, vision_hidden=64, vision_layers=3, vision_heads=2, vision_intermediate=128,
    local_queries=16, hidden=64, layers=2, heads=4, kv_heads=2, intermediate=128, max_length=512,
    max_position=1024, name="SliME-tiny-fixture",
)
# name → (width, height, mode)
IMAGES = {
    "wide": (200, 120, "RGB"), "tall": (90, 160, "RGB"), "tiny": (20, 14, "RGBA"), "elongated": (48, 640, "RGB"),
    "square": (128, 128, "RGB"), "panorama": (640, 60, "RGB"),
}


def draw_image(name: str, w: int, h: int, mode: str, seed: int) -> Image.Image:
    """Deterministic test picture: smooth gradient + noise + a few filled shapes (and partial alpha for RGBA)."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:h, 0:w]
    base = np.stack([xx * 255 / max(w - 1, 1), yy * 255 / max(h - 1, 1), (xx + yy) % 97 * 2.5], axis=-1)
    arr = np.clip(base + rng.normal(0, 18, base.shape), 0, 255).astype(np.uint8)
    img = Image.fromarray(arr, "RGB")
    d = ImageDraw.Draw(img)
    for i in range(6):
        x0, y0 = int(rng.integers(0, max(1, w - 4))), int(rng.integers(0, max(1, h - 4)))
        x1, y1 = x0 + int(rng.integers(2, max(3, w // 3))), y0 + int(rng.integers(2, max(3, h // 3)))
        color = tuple(int(c) for c in rng.integers(0, 256, 3))
        (d.ellipse if i % 2 else d.rectangle)((x0, y0, x1, y1), fill=color)
    if mode == "RGBA":
        alpha = np.full((h, w), 255, np.uint8)
        alpha[: h // 2, : w // 2] = 96
        img = Image.fromarray(np.dstack([np.asarray(img), alpha]), "RGBA")
    return img


class BinWriter:
    """Writes float32 little-endian raw files and returns their JSON reference."""

    def __init__(self, root: Path) -> None:
        self.root = root
        (root / "bin").mkdir(parents=True, exist_ok=True)

    def __call__(self, name: str, t: torch.Tensor | np.ndarray) -> dict[str, Any]:
        a = np.ascontiguousarray((t.detach().numpy() if isinstance(t, torch.Tensor) else t).astype("<f4"))
        rel = f"bin/{name}.f32"
        a.tofile(self.root / rel)
        return {"file": rel, "dtype": "float32", "shape": list(a.shape), "sum": float(a.astype(np.float64).sum()),
                "abs_max": float(np.abs(a).max()), "first": [float(x) for x in a.reshape(-1)[:8]]}


def top_k(logits: torch.Tensor | np.ndarray, k: int = TOP_K) -> dict[str, list[Any]]:
    x = torch.as_tensor(np.asarray(logits)).float()
    v, i = torch.topk(x, k)
    return {"ids": [int(a) for a in i], "values": [float(a) for a in v]}


def build_model() -> tuple[SlimeForCausalLM, Any]:
    cfg, tok = tiny_config("llama3", vocab_size=512, **FIXTURE_DIMS)
    torch.manual_seed(SEED)
    return randomize(SlimeForCausalLM(cfg), SEED).eval(), tok


def image_goldens(model: SlimeForCausalLM, name: str, img: Image.Image, out: Path, bw: BinWriter) -> dict[str, Any]:
    pv, grid = process_image(img, model.cfg)
    with torch.no_grad():
        feats = model.vision(pv)
        proj = model.project(feats[:1], feats[1:])
    return {
        "id": name, "file": f"images/{name}.png", "width": img.width, "height": img.height, "mode": img.mode,
        "grid": list(grid), "views": int(pv.shape[0]),
        "pixel_values": bw(f"{name}.pixel_values", pv),
        "view_sums": [float(v) for v in pv.double().sum(dim=(1, 2, 3))],
        "patch_feats": bw(f"{name}.patch_feats", feats),
        "projector": {k: bw(f"{name}.{k}", v) for k, v in proj.items() if v is not None},
    }, pv, grid


def case_goldens(model: SlimeForCausalLM, rt: OrtSlime, ids: list[int], pv: torch.Tensor | None,
                 grid: tuple[int, int] | None, parity: dict[str, float]) -> dict[str, Any]:
    cfg = model.cfg
    case: dict[str, Any] = {"input_ids": ids}
    if pv is not None:
        sel = {}
        for key, mode, topp in (("legacy", "legacy", cfg.topp), ("single", "single", cfg.topp),
                                ("keep_all", "legacy", 1.0)):
            _, info = model.build_inputs_embeds(ids, pv, grid, mode=mode, topp=topp)
            sel[key] = {"mode": mode, "top_p": topp, "k": int(info["kept_idx"].numel()),
                        "kept": [int(i) for i in info["kept_idx"]]}
        sel["scores"] = [float(s) for s in info["scores"]]
        case["selector"] = sel
    emb, info = model.build_inputs_embeds(ids, pv, grid)
    case.update(seq_len=int(info["seq_len"]), untruncated_len=int(info["untruncated_len"]),
                truncated=bool(info["truncated"]), visual_start=int(info["visual_start"]),
                n_visual=int(info["n_visual"]))
    g = model.generate_greedy(ids, pv, grid, max_new_tokens=GREEDY_STEPS)
    o = rt.generate(ids, None if pv is None else pv.numpy(), grid, max_new_tokens=GREEDY_STEPS)
    if o["tokens"] != g["tokens"]:
        raise RuntimeError(f"onnxruntime greedy {o['tokens']} != torch {g['tokens']} for ids {ids[:12]}…")
    parity["first_logits_max_abs"] = max(parity.get("first_logits_max_abs", 0.0),
                                         float(np.abs(o["first_logits"] - g["first_logits"].numpy()).max()))
    logits = g["first_logits"]
    srt = torch.sort(logits, descending=True).values
    case.update(first_logits_top20=top_k(logits), first_margin=float(srt[0] - srt[1]),
                greedy={"max_new_tokens": GREEDY_STEPS, "tokens": g["tokens"],
                        "text": rt.tokenizer.decode(g["tokens"], skip_special_tokens=True)})
    return case


def generate(out: str | Path) -> dict[str, Any]:
    out = Path(out)
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    model, tok = build_model()
    tok.save(str(out / "tokenizer.json"))
    (out / "tokenizer_config.json").write_text(json.dumps({"bos_token": "<|begin_of_text|>",
                                                           "model_max_length": model.cfg.max_length}) + "\n")
    files = {n: out / n for n in ("tokenizer.json", "tokenizer_config.json")}
    export_model(model, files, out, "fp32", log=lambda s: print(s, flush=True),
                 source={"checkpoint": "random tiny (models.fixtures)", "seed": SEED})
    rt = OrtSlime(out)
    bw = BinWriter(out)
    (out / "images").mkdir()
    images, cases, parity = [], [], {}
    for n, (name, (w, h, mode)) in enumerate(IMAGES.items()):
        img = draw_image(name, w, h, mode, SEED + n)
        img.save(out / f"images/{name}.png")
        img = Image.open(out / f"images/{name}.png")
        gold, pv, grid = image_goldens(model, name, img, out, bw)
        images.append(gold)
        feats = rt.vision(pv.numpy())
        parity["patch_feats_max_abs"] = max(parity.get("patch_feats_max_abs", 0.0),
                                            float(np.abs(feats - np.fromfile(out / gold["patch_feats"]["file"], "<f4")
                                                         .reshape(feats.shape)).max()))
        for qi, q in enumerate(QUESTIONS):
            prompt = build_prompt("llama3", [("user", user_message(q))])
            ids = tokenize_with_image(prompt, rt.tokenizer)
            cases.append({"image": name, "question": qi, "prompt": prompt,
                          **case_goldens(model, rt, ids, pv, grid, parity)})
        print(f"  {name} {w}x{h}: grid {grid}, {len(QUESTIONS)} cases", flush=True)
    long_prompt = build_prompt("llama3", [("user", user_message(LONG_QUESTION))])
    long_ids = tokenize_with_image(long_prompt, rt.tokenizer)
    pv, grid = process_image(Image.open(out / "images/elongated.png"), model.cfg)
    cases.append({"image": "elongated", "question": "long", "prompt": long_prompt,
                  **case_goldens(model, rt, long_ids, pv, grid, parity)})
    text_prompt = build_prompt("llama3", [("user", QUESTIONS[1])])
    text_ids = tokenize_with_image(text_prompt, rt.tokenizer)
    cases.append({"image": None, "question": 1, "prompt": text_prompt,
                  **case_goldens(model, rt, text_ids, None, None, parity)})
    goldens = {
        "format": "slime-goldens", "version": 1, "generated_by": "python -m models.fixtures",
        "model": "manifest.json", "seed": SEED,
        "questions": QUESTIONS, "long_question": LONG_QUESTION, "template": "llama3",
        "grid_cases": grid_cases(), "images": images, "cases": cases,
        "python_ort_vs_torch": parity,
    }
    (out / "goldens.json").write_text(json.dumps(goldens, indent=1) + "\n")
    shutil.copyfile(Path(__file__).with_name("fixtures_README.md"), out / "README.md")
    size = sum(p.stat().st_size for p in out.rglob("*") if p.is_file())
    print(f"wrote {out} ({size / 1e6:.2f} MB, {len(cases)} cases)", flush=True)
    return goldens


def grid_cases() -> list[list[int]]:
    from .slime.preprocess import choose_grid

    sizes = [(1, 1), (20, 14), (64, 64), (65, 64), (100, 100), (128, 128), (200, 120), (90, 160), (48, 640),
             (640, 60), (336, 336), (500, 375), (640, 480), (480, 640), (800, 600), (1024, 768), (1280, 720),
             (1920, 1080), (4000, 3000), (1024, 1024), (3000, 1000), (336, 2000), (300, 3000), (3000, 300),
             (7, 5000), (5000, 7), (337, 336), (672, 336), (1008, 1008), (2000, 2000)]
    return [[w, h, t, *choose_grid(w, h, t)] for t in (64, 336) for w, h in sizes]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m models.fixtures", description=__doc__.splitlines()[0])
    ap.add_argument("--out", default="test/fixtures/slime-tiny")
    generate(ap.parse_args(argv).out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
