"""Record what a v1 folder's graphs answer on SliME-Nano's samples, and compare an upgraded v2 folder against it.

CLI: python -m models.upgrade_check record V1_DIR V2_DIR OUT.json   (v1 decoder; prompts assembled by the v2 folder,
                                                                     whose vision/projector are the v1 files)
     python -m models.upgrade_check compare V2_DIR REF.json           (prints tokens match + max logits difference)
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

import numpy as np
import onnxruntime as ort
from PIL import Image

from .ort_pipeline import OrtSlime
from .slime.template import build_prompt, tokenize_with_image, user_message

SAMPLES = Path(__file__).resolve().parent / "nano" / "samples"
MAX_NEW = 6


def sample_inputs(rt: OrtSlime, samples: Path = SAMPLES) -> list[dict[str, Any]]:
    out = []
    for s in json.loads((samples / "samples.json").read_text()):
        pv, grid = rt.preprocess(Image.open(samples / s["image"]))
        ids = tokenize_with_image(build_prompt(rt.cfg.template, [("user", user_message(s["question"]))]), rt.tokenizer)
        out.append({"sample": s, "ids": ids, "pv": pv, "grid": grid})
    return out


def v1_generate(dec: ort.InferenceSession, rt: OrtSlime, emb: np.ndarray, kv_heads: int) -> dict[str, Any]:
    """Greedy decoding with a manifest-v1 decoder (position_ids input, fp32 KV grown by concatenation)."""
    names = [i.name for i in dec.get_inputs()][3:]
    past = {n: np.zeros((1, kv_heads, 0, rt.head_dim), np.float32) for n in names}
    x, total, tokens, first = emb[None].astype(np.float32), 0, [], None
    for _ in range(MAX_NEW):
        s = x.shape[1]
        out = dec.run(None, {"inputs_embeds": x, "attention_mask": np.ones((1, total + s), np.int64),
                             "position_ids": np.arange(total, total + s, dtype=np.int64)[None], **past})
        total += s
        first = out[0][0, 0] if first is None else first
        past = dict(zip(names, out[1:]))
        tokens.append(int(np.argmax(out[0][0, 0])))
        if tokens[-1] in rt.cfg.eos_ids:
            break
        x = rt.embed([tokens[-1]])[None]
    return {"tokens": tokens, "first_logits": first}


def record(v1: Path, v2: Path, out: Path) -> list[dict[str, Any]]:
    rt = OrtSlime(v2)
    m1 = json.loads((v1 / "manifest.json").read_text())
    dec = ort.InferenceSession(str(v1 / m1["graphs"]["decoder"]["file"]), providers=["CPUExecutionProvider"])
    ref = []
    for c in sample_inputs(rt):
        emb, _ = rt.build(c["ids"], c["pv"], c["grid"])
        g = v1_generate(dec, rt, emb, m1["llm"]["kv_heads"])
        ref.append({"image": c["sample"]["image"], "question": c["sample"]["question"], "tokens": g["tokens"],
                    "first_logits": [float(v) for v in g["first_logits"]]})
    out.write_text(json.dumps({"v1_folder": str(v1), "decoder_sha256": m1["graphs"]["decoder"]["sha256"],
                               "max_new_tokens": MAX_NEW, "samples": ref}) + "\n")
    return ref


def compare(v2: Path, ref_path: Path) -> dict[str, Any]:
    """Tokens equal per sample, and max |logits - v1| relative to max |v1| over the samples."""
    rt = OrtSlime(v2)
    ref = json.loads(ref_path.read_text())["samples"]
    same, worst = [], 0.0
    for c, r in zip(sample_inputs(rt), ref):
        got = rt.generate(c["ids"], c["pv"], c["grid"], max_new_tokens=MAX_NEW)
        r_logits = np.asarray(r["first_logits"], np.float32)
        same.append(got["tokens"] == r["tokens"])
        worst = max(worst, float(np.abs(got["first_logits"] - r_logits).max() / np.abs(r_logits).max()))
    return {"samples": len(same), "tokens_identical": sum(same), "max_rel_logits_diff": worst}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m models.upgrade_check", description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("record")
    r.add_argument("v1", type=Path)
    r.add_argument("v2", type=Path)
    r.add_argument("out", type=Path)
    c = sub.add_parser("compare")
    c.add_argument("v2", type=Path)
    c.add_argument("ref", type=Path)
    a = ap.parse_args(argv)
    if a.cmd == "record":
        print(f"recorded {len(record(a.v1, a.v2, a.out))} samples → {a.out}")
    else:
        print(json.dumps(compare(a.v2, a.ref)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
