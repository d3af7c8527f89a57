"""PyTorch eager reference for `npm run bench:engine` (bench/engine.ts), on the same model and inputs.

  export --out DIR   build a deterministic random SliME at SliME-Nano dimensions (models/nano/nano_config.py),
                     export it with the project exporter (manifest v2) and save its weights (bench_model.pt) and a
                     square fp32 MatMul graph (matmul.onnx) for the onnxruntime peak measurement.
  serve --model DIR [--checkpoint PT] --image PNG --question TEXT
                     load once, warm up, then answer every stdin line with one timed run as a JSON line (the
                     benchmark interleaves these with the engine's runs so machine load hits both alike).
                     The weights are DIR/bench_model.pt (the export above) or --checkpoint, a models.nano.train
                     final.pt (the source of the shipped models/nano folder); the tokenizer is DIR/tokenizer.json.
  matmul --out FILE  write only the MatMul graph.
  run --model DIR --image PNG --question TEXT --repeats R
                     time the eager pipeline (PIL preprocess → encode → project → select → assemble → prefill →
                     greedy decode with KV cache, stopping on the manifest's eos ids) and print one JSON object.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import sys
import time
from pathlib import Path

import torch
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from models.export import export_model  # noqa: E402
from models.nano.nano_config import NANO_DIMS  # noqa: E402
from models.slime.model import SlimeForCausalLM  # noqa: E402
from models.slime.preprocess import process_image  # noqa: E402
from models.slime.template import build_prompt, tokenize_with_image, user_message  # noqa: E402
from models.slime.tiny import randomize, tiny_config  # noqa: E402

SEED = 1234
MATMUL_N = 1024


def build() -> tuple[SlimeForCausalLM, object]:
    dims = {k: v for k, v in NANO_DIMS.items() if k not in ("name", "template")}
    cfg, tok = tiny_config("llama3", vocab_size=512, **dims)
    torch.manual_seed(SEED)
    return randomize(SlimeForCausalLM(cfg), SEED).eval(), tok


def write_matmul(path: Path, n: int) -> None:
    import onnx
    from onnx import TensorProto, helper

    a = helper.make_tensor_value_info("a", TensorProto.FLOAT, [n, n])
    b = helper.make_tensor_value_info("b", TensorProto.FLOAT, [n, n])
    c = helper.make_tensor_value_info("c", TensorProto.FLOAT, [n, n])
    graph = helper.make_graph([helper.make_node("MatMul", ["a", "b"], ["c"])], "matmul", [a, b], [c])
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], ir_version=8), str(path))


def cmd_export(out: Path) -> None:
    model, tok = build()
    out.mkdir(parents=True, exist_ok=True)
    tok_path = out / "tokenizer.src.json"
    tok.save(str(tok_path))  # type: ignore[attr-defined]
    export_model(model, {"tokenizer.json": tok_path}, out, dtype="fp32", name="bench-nano-random",
                 source={"checkpoint": "random at SliME-Nano dims (bench/engine_reference.py)", "seed": SEED},
                 log=lambda s: None, max_new_tokens=64)
    torch.save(model.state_dict(), out / "bench_model.pt")
    write_matmul(out / "matmul.onnx", MATMUL_N)
    print(json.dumps({"ok": True, "out": str(out), "matmul_n": MATMUL_N}))


def prefill_flops(model: SlimeForCausalLM, s: int) -> float:
    """Multiply-adds × 2 of a prefill over s rows: projections, MLP, causal attention, last-row lm_head."""
    c = model.cfg
    hd = c.hidden // c.heads
    per_row = 2 * (2 * c.hidden * c.hidden + 2 * c.hidden * c.kv_heads * hd + 3 * c.hidden * c.intermediate)
    attention = 2 * 2 * c.heads * hd * (s * (s + 1) / 2)
    return c.layers * (per_row * s + attention) + 2 * c.hidden * c.vocab_size


@torch.no_grad()
def once(model: SlimeForCausalLM, tok: object, image: Path, question: str, max_new: int) -> dict[str, float]:
    t0 = time.perf_counter()
    img = Image.open(image)
    img.load()
    pv, grid = process_image(img, model.cfg)
    t1 = time.perf_counter()
    ids = tokenize_with_image(build_prompt("llama3", [("user", user_message(question))]), tok)
    emb, info = model.build_inputs_embeds(ids, pv, grid)
    t2 = time.perf_counter()
    dec = model.kv_decoder()
    past = dec.empty_past(1, emb.dtype)
    x = emb[None]
    total = 0
    stops = set(model.cfg.eos_ids)
    tokens: list[int] = []
    t_first = 0.0
    t3 = t2
    for _ in range(max_new):
        s = x.shape[1]
        logits, past = dec(x, torch.ones(1, total + s, dtype=torch.long), torch.arange(total, total + s)[None], past)
        total += s
        tok_id = int(torch.argmax(logits[0, 0]).item())
        if not tokens:
            t3 = time.perf_counter()
            t_first = t3 - t0
        tokens.append(tok_id)
        if tok_id in stops:
            break
        x = model.embed(torch.tensor([[tok_id]]))
    t4 = time.perf_counter()
    return {"preprocess_ms": (t1 - t0) * 1e3, "encode_select_assemble_ms": (t2 - t1) * 1e3, "prefill_ms": (t3 - t2) * 1e3,
            "ttft_ms": t_first * 1e3, "decode_ms": (t4 - t3) * 1e3, "decode_steps": len(tokens) - 1,
            "seq_len": int(info["seq_len"]), "tokens": tokens}


def cmd_run(model_dir: Path, image: Path, question: str, repeats: int) -> None:
    model, tok = build()
    model.load_state_dict(torch.load(model_dir / "bench_model.pt"))
    max_new = json.loads((model_dir / "manifest.json").read_text())["generation"]["max_new_tokens"]
    once(model, tok, image, question, max_new)  # warm-up
    runs = [once(model, tok, image, question, max_new) for _ in range(repeats)]
    med = {k: statistics.median(r[k] for r in runs) for k in runs[0] if k != "tokens"}
    steps = runs[0]["decode_steps"]
    out = {
        "torch": torch.__version__, "threads": torch.get_num_threads(), "repeats": repeats, **med,
        "decode_tok_s": steps / (med["decode_ms"] / 1e3) if steps else None,
        "prefill_flops": prefill_flops(model, int(runs[0]["seq_len"])), "tokens": runs[0]["tokens"],
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }
    print(json.dumps(out))


def load_for(model_dir: Path, checkpoint: Path | None) -> tuple[SlimeForCausalLM, object]:
    """The PyTorch model behind a model folder and the folder's own tokenizer."""
    from tokenizers import Tokenizer

    if checkpoint is not None:
        from models.nano.train import load_final

        model, _cfg = load_final(checkpoint)
    else:
        model, _tok = build()
        model.load_state_dict(torch.load(model_dir / "bench_model.pt"))
    return model.eval(), Tokenizer.from_file(str(model_dir / "tokenizer.json"))


def cmd_serve(model_dir: Path, checkpoint: Path | None, image: Path, question: str) -> None:
    model, tok = load_for(model_dir, checkpoint)
    max_new = json.loads((model_dir / "manifest.json").read_text())["generation"]["max_new_tokens"]
    once(model, tok, image, question, max_new)
    print(json.dumps({"ready": True, "torch": torch.__version__, "threads": torch.get_num_threads()}), flush=True)
    for _line in sys.stdin:
        r = once(model, tok, image, question, max_new)
        steps = r["decode_steps"]
        r["decode_tok_s"] = steps / (r["decode_ms"] / 1e3) if steps else None
        r["prefill_flops"] = prefill_flops(model, int(r["seq_len"]))
        r["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(json.dumps(r), flush=True)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)
    e = sub.add_parser("export")
    e.add_argument("--out", required=True, type=Path)
    for name in ("serve",):
        sv = sub.add_parser(name)
        sv.add_argument("--model", required=True, type=Path)
        sv.add_argument("--image", required=True, type=Path)
        sv.add_argument("--question", required=True)
        sv.add_argument("--checkpoint", type=Path, default=None)
    mm = sub.add_parser("matmul")
    mm.add_argument("--out", required=True, type=Path)
    r = sub.add_parser("run")
    r.add_argument("--model", required=True, type=Path)
    r.add_argument("--image", required=True, type=Path)
    r.add_argument("--question", required=True)
    r.add_argument("--repeats", type=int, default=3)
    a = p.parse_args()
    if a.cmd == "export":
        cmd_export(a.out)
    elif a.cmd == "serve":
        cmd_serve(a.model, a.checkpoint, a.image, a.question)
    elif a.cmd == "matmul":
        write_matmul(a.out, MATMUL_N)
        print(json.dumps({"ok": True, "out": str(a.out), "matmul_n": MATMUL_N}))
    else:
        cmd_run(a.model, a.image, a.question, a.repeats)


if __name__ == "__main__":
    main()
