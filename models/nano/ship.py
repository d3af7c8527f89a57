"""Ship SliME-Nano: export the trained model with models.export into models/nano/ and pick the sample images.

Usage: .venv/bin/python -m models.nano.ship [--final models/nano/work/staged/final.pt] [--out models/nano]
Samples are held-out scenes answered correctly by the exported ONNX model (onnxruntime, the same graphs the
app runs); samples.json lists image, question, answer, family and the box of the object the question names.
"""

from __future__ import annotations

import argparse
import json
import shutil
from pathlib import Path
from typing import Any

from tokenizers import Tokenizer

from models.nano import data
from models.nano.train import NANO_DIR, WORK, load_final
from models.slime.preprocess import resize_for_canvas
from models.slime.template import build_prompt, tokenize_with_image, user_message

ARTIFACTS = ("manifest.json", "vision_encoder.onnx", "projector.onnx", "embed_tokens.onnx", "embed_tokens.onnx.data",
             "decoder.onnx", "decoder.onnx.data",
             "tokenizer.json")
PER_FAMILY = 2


MAX_NEW_TOKENS = 64  # the out-of-scope sentence (oos.SENTENCE) is 60 tokens with this tokenizer
SOURCE = {"checkpoint": "models/nano (python -m models.nano.train)"}


def export_folder(final: Path, tokenizer_json: Path, out: Path, source: dict[str, Any] | None = None) -> Path:
    """Export ``final`` (a train.save_final checkpoint) into ``out`` with the project exporter."""
    from models.export import export_model

    model, cfg = load_final(final)
    export_model(model, {"tokenizer.json": tokenizer_json}, out, dtype="fp32", name="SliME-Nano",
                 source=source or SOURCE, log=lambda s: None, max_new_tokens=MAX_NEW_TOKENS)
    return out


TOWERS = ("vision_encoder", "projector")


def tower_diff(a: Path, b: Path, seed: int = 0) -> dict[str, float]:
    """max |output difference| of the vision_encoder and projector graphs of folders ``a`` and ``b`` on the same
    random inputs (2 tiles)."""
    import numpy as np
    import onnxruntime as ort

    rng = np.random.default_rng(seed)
    m = json.loads((a / "manifest.json").read_text())
    v, hid = m["vision"], m["vision"]["hidden"]
    feeds = {"vision_encoder": {"pixel_values": rng.standard_normal((3, 3, v["image_size"], v["image_size"]),
                                                                    dtype=np.float32)},
             "projector": {"global_feats": rng.standard_normal((1, v["patch_tokens"], hid), dtype=np.float32),
                           "local_feats": rng.standard_normal((2, v["patch_tokens"], hid), dtype=np.float32)}}
    out = {}
    for g in TOWERS:
        runs = [ort.InferenceSession(str(f / f"{g}.onnx"), providers=["CPUExecutionProvider"]).run(None, feeds[g])
                for f in (a, b)]
        out[g] = max(float(np.abs(x - y).max()) for x, y in zip(*runs))
    return out


def keep_towers(new: Path, old: Path) -> dict[str, float]:
    """Put the freshly exported LLM graphs of ``new`` into ``old`` and keep ``old``'s tower graphs byte for byte
    (the OOD guard's ood.json and the embedding references name their sha256). Refused unless the new towers
    compute exactly what the old ones do (the checkpoint did not change them)."""
    diff = tower_diff(new, old)
    if any(d != 0.0 for d in diff.values()):
        raise SystemExit(f"--keep-towers: the checkpoint's towers differ from {old}'s ({diff}); ship them instead")
    m_new = json.loads((new / "manifest.json").read_text())
    m_old = json.loads((old / "manifest.json").read_text())
    for g in TOWERS:
        m_new["graphs"][g] = m_old["graphs"][g]
    for f in ARTIFACTS:
        if f != "manifest.json" and not f.startswith(TOWERS):
            shutil.copyfile(new / f, old / f)
    (old / "manifest.json").write_text(json.dumps(m_new, indent=2) + "\n")
    return diff


def samples_still_right(folder: Path) -> list[str]:
    """The existing samples whose question the graphs in ``folder`` no longer answer with the recorded answer."""
    from PIL import Image

    from models.ort_pipeline import OrtSlime

    ort = OrtSlime(folder)
    samples = json.loads((folder / "samples" / "samples.json").read_text())
    return [s["image"] for s in samples
            if ort_answer(ort, Image.open(folder / "samples" / s["image"]).convert("RGB"), s["question"])[0]
            != s["answer"]]


def record_reference(final: Path, folder: Path) -> Path:
    """reference.json: what the PyTorch model answers on the samples (tokens, first-step logits), the parity
    reference of the shipped graphs (models/tests/test_upgrade.py)."""
    from PIL import Image

    from models.nano import samples_data as sd
    from models.slime.preprocess import process_image

    model, cfg = load_final(final)
    tok = Tokenizer.from_file(str(folder / "tokenizer.json"))
    ref = []
    for s in json.loads((folder / "samples" / "samples.json").read_text()):
        pv, grid = process_image(Image.open(folder / "samples" / s["image"]).convert("RGB"), cfg)
        out = model.generate_greedy(sd.prompt_ids(tok, s["question"]), pv, grid, max_new_tokens=6)
        ref.append({"image": s["image"], "question": s["question"], "tokens": out["tokens"],
                    "first_logits": [float(v) for v in out["first_logits"]]})
    path = folder / "reference.json"
    path.write_text(json.dumps({"model": "PyTorch (models.nano.ship.record_reference)", "max_new_tokens": 6,
                                "samples": ref}) + "\n")
    return path


def ort_answer(ort: Any, image: Any, question: str) -> tuple[str, dict[str, Any]]:
    """Answer with the exported graphs through models.ort_pipeline.OrtSlime (greedy, manifest selector)."""
    pv, grid = ort.preprocess(image)
    ids = tokenize_with_image(build_prompt("llama3", [("user", user_message(question))]), ort.tokenizer)
    out = ort.generate(ids, pv, grid, max_new_tokens=6)
    stops = set(ort.cfg.eos_ids)
    return ort.tokenizer.decode([t for t in out["tokens"] if t not in stops]).strip(), out["info"]


def hottest_box(scores: Any, grid: tuple[int, int], size: tuple[int, int], tile: int, q_grid: int
                ) -> tuple[float, float, float, float]:
    """Original-image box of the local token with the highest selector score (raster over the tile canvas)."""
    gw, gh = grid
    cols = gw * q_grid
    j = int(scores.argmax())
    r, c = divmod(j, cols)
    cell = tile / q_grid
    w, h = size
    cw, ch = tile * gw, tile * gh
    nw, nh = resize_for_canvas(w, h, cw, ch)
    ox, oy, sx, sy = (cw - nw) // 2, (ch - nh) // 2, nw / w, nh / h
    return ((c * cell - ox) / sx, (r * cell - oy) / sy, ((c + 1) * cell - ox) / sx, ((r + 1) * cell - oy) / sy)


def _overlaps(a: tuple[float, ...], b: tuple[float, ...]) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def pick_samples(folder: Path, start: int = 5000, max_scenes: int = 400) -> list[dict[str, Any]]:
    """Two correctly answered questions per family from held-out scenes beyond the evaluation range, on
    distinct images; exist questions are "yes" ones (they name an object); every sample has a box, and the
    hottest selector token lies on it."""
    from models.ort_pipeline import OrtSlime

    ort = OrtSlime(folder)
    samples_dir = folder / "samples"
    if samples_dir.exists():
        shutil.rmtree(samples_dir)
    samples_dir.mkdir()
    need = {f: PER_FAMILY for f in data.FAMILIES}
    chosen: list[dict[str, Any]] = []
    used: set[int] = set()
    for require_hot in (True, False):  # second pass only fills families the first could not
        for i in range(start, start + max_scenes):
            if not any(need.values()):
                break
            if i in used:
                continue
            scene = data.make_scene("heldout", i)
            for q in scene.questions:
                if not need[q.family] or q.box is None or (q.family == "count" and q.answer == "0"):
                    continue
                got, info = ort_answer(ort, scene.image, q.question)
                if got != q.answer:
                    continue
                _, grid = ort.preprocess(scene.image)
                hot = _overlaps(hottest_box(info["scores"], grid, scene.image.size, ort.cfg.image_size,
                                            ort.cfg.local_grid), q.box)
                if require_hot and not hot:
                    continue
                name = f"{len(chosen) + 1:02d}-{q.family}.png"
                scene.image.save(samples_dir / name)
                chosen.append({"image": name, "question": q.question, "answer": q.answer, "family": q.family,
                               "box": list(q.box), "size": list(scene.image.size), "scene": f"heldout/{i}",
                               "selector_hot_on_object": hot})
                need[q.family] -= 1
                used.add(i)
                break  # one question per image
    chosen.sort(key=lambda c: data.FAMILIES.index(c["family"]))
    (samples_dir / "samples.json").write_text(json.dumps(chosen, indent=1) + "\n")
    missing = {f: n for f, n in need.items() if n}
    if missing:
        print(f"warning: no correct sample found for {missing}")
    return chosen


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--final", type=Path, default=WORK / "staged" / "final.pt")
    ap.add_argument("--tokenizer", type=Path, default=WORK / "tokenizer.json")
    ap.add_argument("--out", type=Path, default=NANO_DIR)
    ap.add_argument("--keep-samples", action="store_true",
                    help="keep samples/ when the new graphs still answer every sample right (else pick again)")
    ap.add_argument("--note", default=None, help="added to the manifest's source (e.g. how the weights were made)")
    ap.add_argument("--keep-towers", action="store_true",
                    help="replace only the LLM graphs; keep the folder's vision_encoder/projector files (checked "
                         "to compute the same), so its ood.json stays valid")
    args = ap.parse_args(argv)
    source = {**SOURCE, **({"note": args.note} if args.note else {})}
    if args.keep_towers:
        import tempfile

        with tempfile.TemporaryDirectory() as tmp:
            export_folder(args.final, args.tokenizer, Path(tmp), source)
            print(f"towers kept (max |difference| {keep_towers(Path(tmp), args.out)})")
    else:
        export_folder(args.final, args.tokenizer, args.out, source)
    size = sum((args.out / f).stat().st_size for f in ARTIFACTS)
    print(f"exported {args.out} ({size / 1e6:.2f} MB)")
    wrong = samples_still_right(args.out) if args.keep_samples else ["(not kept)"]
    if wrong:
        print(f"picking samples again ({wrong})")
        samples = pick_samples(args.out)
        print(f"{len(samples)} samples: {[s['family'] for s in samples]}")
    else:
        print("every sample is still answered right: samples/ kept")
    print(f"wrote {record_reference(args.final, args.out)}")


if __name__ == "__main__":
    main()
