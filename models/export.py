"""ONNX exporter: SliME → vision_encoder / projector / embed_tokens / decoder graphs + manifest.json (version 2).

CLI: python -m models.export --checkpoint DIR --out DIR [--dtype fp32|fp16|int4] [--clip DIR | --use-checkpoint-clip]
     [--progress-json]
"""

from __future__ import annotations

import argparse
import copy
import json
import shutil
import signal
import sys
import time
from pathlib import Path
from typing import Any, Callable

import torch

from .convert.llm_graph import LlmSpec, build_decoder, build_embed, io_spec
from .convert.manifest import build_manifest, graph_entry
from .convert.torch_graphs import EXTERNAL_THRESHOLD, ProjectorGraph, VisionGraph, export_graph, io_specs
from .convert.weights import DictSource, TensorSource
from .slime.config import SlimeConfig

DTYPES = ("fp32", "fp16", "int4")
Log = Callable[[str], None]


def tower_dtype(dtype: str) -> torch.dtype:
    """Vision tower and projector run in fp16 inside fp16/int4 exports, fp32 otherwise (graph I/O stays fp32)."""
    return torch.float32 if dtype == "fp32" else torch.float16


def export_towers(vision: torch.nn.Module, projector: torch.nn.Module, sampler: torch.nn.Module, cfg: SlimeConfig,
                  out: Path, dtype: str, log: Log, threshold: int = EXTERNAL_THRESHOLD) -> dict[str, list[str]]:
    """vision_encoder.onnx and projector.onnx from the (already dtype-cast, eval-mode) PyTorch modules."""
    dt = tower_dtype(dtype)
    resamplers = (projector.attn, sampler.post_qformer)
    for rs in resamplers:
        rs.bake_key_pos()
    try:
        ext = {}
        for name, mod in (("vision_encoder", VisionGraph(vision, dt)),
                          ("projector", ProjectorGraph(projector, sampler, cfg.learnable_gated, dt))):
            t0 = time.time()
            ext[name] = export_graph(mod, name, cfg, out / f"{name}.onnx", threshold)
            log(f"  {name} ({dt}): {(out / f'{name}.onnx').stat().st_size / 1e6:.1f} MB in {time.time() - t0:.1f}s")
    finally:
        for rs in resamplers:
            rs.baked_key_pos = None
    return ext


def export_llm(src: TensorSource, cfg: SlimeConfig, out: Path, dtype: str, log: Log) -> dict[str, list[str]]:
    """embed_tokens.onnx and decoder.onnx through the graph builder (one weight in memory at a time)."""
    spec = LlmSpec.from_config(cfg)
    t0 = time.time()
    ext = {"embed_tokens": build_embed(src, spec, out / "embed_tokens.onnx", dtype)}
    log(f"  embed_tokens ({'fp32' if dtype == 'fp32' else 'fp16'} table) in {time.time() - t0:.1f}s")
    ext["decoder"] = build_decoder(src, spec, out / "decoder.onnx", dtype, progress=log)
    log(f"  decoder ({dtype}) in {time.time() - t0:.1f}s")
    return ext


def finish_folder(cfg: SlimeConfig, ext: dict[str, list[str]], tokenizer_files: dict[str, Path], out: Path,
                  dtype: str, name: str | None, source: dict[str, Any] | None, max_new_tokens: int,
                  log: Log) -> dict[str, Any]:
    """Copy tokenizer files, hash every graph and write manifest.json."""
    if "tokenizer.json" not in tokenizer_files:
        raise ValueError("export: tokenizer_files must include tokenizer.json")
    for fname, src in tokenizer_files.items():
        if Path(src).resolve() != (out / fname).resolve():
            shutil.copyfile(src, out / fname)
    specs = {**io_specs(cfg), **io_spec(LlmSpec.from_config(cfg), dtype)}
    graphs = {g: graph_entry(out, f"{g}.onnx", e, specs[g]) for g, e in ext.items()}
    manifest = build_manifest(cfg, graphs, out, dtype, name, source, max_new_tokens,
                              "tokenizer_config.json" if "tokenizer_config.json" in tokenizer_files else None)
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
    log(f"wrote {out / 'manifest.json'}")
    return manifest


def llm_source(model: Any) -> DictSource:
    """The in-memory LLM weights under the released key names (model.layers.N..., lm_head.weight)."""
    sd = model.llm.state_dict()
    return DictSource({k: v.detach().float().numpy() for k, v in sd.items() if k.endswith("weight")})


def export_model(model: Any, tokenizer_files: dict[str, Path] | list[Path], out_dir: str | Path,
                 dtype: str = "fp32", name: str | None = None, source: dict[str, Any] | None = None,
                 log: Log = print, max_new_tokens: int = 256, external_threshold: int = EXTERNAL_THRESHOLD,
                 **_: Any) -> dict[str, Any]:
    """Export an in-memory SlimeForCausalLM (fixtures, SliME-Nano). The model is left untouched."""
    if dtype not in DTYPES:
        raise ValueError(f"dtype {dtype!r} (expected one of {DTYPES})")
    cfg = model.cfg
    if cfg.local_mode != "compressed":
        raise ValueError("export: only local_mode='compressed' has a projector graph")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    files = tokenizer_files if isinstance(tokenizer_files, dict) else {Path(p).name: Path(p) for p in tokenizer_files}
    dt = tower_dtype(dtype)
    parts = [copy.deepcopy(m).to(dt).eval() for m in (model.vision, model.projector, model.sampler)]
    log(f"exporting {cfg.name} ({dtype}) → {out}")
    ext = export_towers(*parts, cfg, out, dtype, log, external_threshold)
    ext.update(export_llm(llm_source(model), cfg, out, dtype, log))
    return finish_folder(cfg, ext, files, out, dtype, name, source, max_new_tokens, log)


def main(argv: list[str] | None = None) -> int:
    from .convert.progress import JsonProgress
    from .convert.stream import ExportError, export_checkpoint
    from .slime.checkpoint import CheckpointError
    from .slime.config import ConfigError

    ap = argparse.ArgumentParser(prog="python -m models.export", description=__doc__.splitlines()[0])
    ap.add_argument("--checkpoint", required=True, help="released-layout HF folder")
    ap.add_argument("--out", required=True, help="model folder to write")
    ap.add_argument("--dtype", default="fp32", choices=DTYPES)
    ap.add_argument("--clip", default=None, help="HF CLIP folder (official inference uses the hub CLIP)")
    ap.add_argument("--use-checkpoint-clip", action="store_true", help="use the model.vision_tower.* copy")
    ap.add_argument("--name", default=None)
    ap.add_argument("--progress-json", action="store_true",
                    help="stdout: one JSON event per line (models/convert/progress.py), for the app's convert job")
    a = ap.parse_args(argv)
    progress = JsonProgress() if a.progress_json else None
    # SIGTERM (the app's Cancel) unwinds like Ctrl-C, so the converter removes its partial output on the way out.
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    try:
        manifest = export_checkpoint(a.checkpoint, a.out, a.dtype, a.clip, a.use_checkpoint_clip, a.name,
                                     log=progress or (lambda s: print(s, flush=True)))
        from .card import minimal_card, write_card

        write_card(Path(a.out), minimal_card(manifest, a.checkpoint))  # card.json: what the folder is
    except (CheckpointError, ConfigError, ExportError, FileNotFoundError) as e:
        if progress:
            progress.error(e)
        print(f"error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt as e:
        if progress:
            progress.error(e)
        print("error: cancelled; the partial output was removed", file=sys.stderr)
        return 130
    except Exception as e:
        if progress:
            progress.error(e)
        raise
    if progress:
        progress.done(str(Path(a.out).resolve()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
