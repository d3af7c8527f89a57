"""bench:decode helper: onnxruntime-genai 0.18 on its own builder's int4 graph of a SliME checkpoint's LLM.

`build`: a plain LlamaForCausalLM folder (config + links to the released shards and tokenizer) → the builder's
int4 CPU model (exclude_embeds=false, prune_lm_head=true) with intra_op_num_threads set in genai_config.json.
`serve`: prints a ready line, then answers each `run` line on stdin with one JSON line (prompt → 64 greedy tokens).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

LLM_ONLY = ("model.embed_tokens.", "model.layers.", "model.norm.", "lm_head.")


def plain_llama(checkpoint: Path, folder: Path) -> None:
    """config.json says LlamaForCausalLM; the shards are linked and the index lists only the LLM tensors."""
    folder.mkdir(parents=True, exist_ok=True)
    cfg = json.loads((checkpoint / "config.json").read_text())
    cfg = {k: v for k, v in cfg.items() if not k.startswith(("mm_", "image_", "tokenizer_", "use_", "slime"))}
    cfg.update(architectures=["LlamaForCausalLM"], model_type="llama")
    (folder / "config.json").write_text(json.dumps(cfg, indent=2))
    index = json.loads((checkpoint / "model.safetensors.index.json").read_text())
    index["weight_map"] = {k: v for k, v in index["weight_map"].items() if k.startswith(LLM_ONLY)}
    (folder / "model.safetensors.index.json").write_text(json.dumps(index, indent=2))
    names = set(index["weight_map"].values()) | {"tokenizer.json", "tokenizer_config.json", "special_tokens_map.json"}
    for name in names:
        link = folder / name
        if not link.exists() and (checkpoint / name).exists():
            link.symlink_to((checkpoint / name).resolve())


def build(checkpoint: Path, out: Path, threads: int) -> dict:
    plain = out.parent / (out.name + "-hf")
    plain_llama(checkpoint, plain)
    t0 = time.time()
    cmd = [sys.executable, "-m", "onnxruntime_genai.models.builder", "-i", str(plain), "-o", str(out), "-p", "int4",
           "-e", "cpu", "-c", str(out.parent / (out.name + "-cache")),
           "--extra_options", "exclude_embeds=false", "prune_lm_head=true"]
    subprocess.run(cmd, check=True, stdout=sys.stderr)
    path = out / "genai_config.json"
    gc = json.loads(path.read_text())
    gc["model"]["decoder"].setdefault("session_options", {})["intra_op_num_threads"] = threads
    path.write_text(json.dumps(gc, indent=2))
    return {"genai_model": str(out), "seconds": round(time.time() - t0, 1), "threads": threads}


def peak_rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def serve(model_dir: Path, prompt: list[int], steps: int) -> None:
    import onnxruntime_genai as og

    model = og.Model(str(model_dir))

    def once() -> dict:
        params = og.GeneratorParams(model)
        params.set_search_options(max_length=len(prompt) + steps, do_sample=False)
        gen = og.Generator(model, params)
        t0 = time.perf_counter()
        gen.append_tokens(prompt)
        out: list[int] = []
        first = t0
        while len(out) < steps and not gen.is_done():
            gen.generate_next_token()
            out.append(int(gen.get_next_tokens()[0]))
            if len(out) == 1:
                first = time.perf_counter()
        end = time.perf_counter()
        del gen
        return {"ttft_ms": (first - t0) * 1e3, "prefill_tok_s": len(prompt) / (first - t0),
                "decode_tok_s": (len(out) - 1) / (end - first) if len(out) > 1 else 0.0, "generated": len(out),
                "tokens": out[:8], "peak_rss_mb": peak_rss_mb()}

    print(json.dumps({"ready": True, "prompt": len(prompt)}), flush=True)
    for line in sys.stdin:
        if line.strip() != "run":
            break
        print(json.dumps(once()), flush=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    sub = ap.add_subparsers(dest="cmd", required=True)
    b = sub.add_parser("build")
    b.add_argument("--checkpoint", required=True)
    b.add_argument("--out", required=True)
    b.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    s = sub.add_parser("serve")
    s.add_argument("--model", required=True)
    s.add_argument("--prompt", required=True)
    s.add_argument("--tokens", type=int, default=64)
    a = ap.parse_args()
    if a.cmd == "build":
        print(json.dumps(build(Path(a.checkpoint), Path(a.out), a.threads)))
    else:
        serve(Path(a.model), json.loads(Path(a.prompt).read_text()), a.tokens)


if __name__ == "__main__":
    main()
