"""ONNX exporter: SlimeForCausalLM → vision_encoder / projector / embed_tokens / decoder graphs + manifest.json.

CLI: python -m models.export --checkpoint DIR --out DIR [--dtype fp32|fp16|int4] [--clip DIR | --use-checkpoint-clip]
"""

from __future__ import annotations

import argparse
import copy
import hashlib
import json
import shutil
import sys
import tempfile
import time
import warnings
from pathlib import Path
from typing import Any, Callable

import onnx
import torch
from torch import nn

from .slime.config import SlimeConfig
from .slime.decoder import KVDecoder
from .slime.model import SlimeForCausalLM

VERSION = "0.1.0"
OPSET = 17
EXTERNAL_THRESHOLD = 1_800_000_000  # bytes of initializers above which the graph uses external data
DTYPES = ("fp32", "fp16", "int4")


class VisionGraph(nn.Module):
    def __init__(self, model: SlimeForCausalLM, dt: torch.dtype) -> None:
        super().__init__()
        self.vision, self.dt = model.vision, dt

    def forward(self, pixel_values: torch.Tensor) -> torch.Tensor:
        return self.vision(pixel_values.to(self.dt)).float()


class ProjectorGraph(nn.Module):
    def __init__(self, model: SlimeForCausalLM, dt: torch.dtype) -> None:
        super().__init__()
        self.projector, self.sampler, self.dt = model.projector, model.sampler, dt
        self.gated = model.cfg.learnable_gated

    def forward(self, global_feats: torch.Tensor, local_feats: torch.Tensor) -> tuple[torch.Tensor, ...]:
        g, w = self.projector.forward_global(global_feats.to(self.dt), self.gated)
        comp, att = self.sampler.post_qformer(local_feats.to(self.dt))
        loc = self.projector.mlp(comp)
        return g[0].float(), w[0].float(), loc.float(), att.float()


class EmbedGraph(nn.Module):
    def __init__(self, model: SlimeForCausalLM) -> None:
        super().__init__()
        self.embed = model.llm.get_input_embeddings()

    def forward(self, input_ids: torch.Tensor) -> torch.Tensor:
        return self.embed(input_ids).float()


class DecoderGraph(nn.Module):
    def __init__(self, model: SlimeForCausalLM, dt: torch.dtype) -> None:
        super().__init__()
        self.dec, self.dt = KVDecoder(model.llm), dt

    def forward(self, inputs_embeds: torch.Tensor, attention_mask: torch.Tensor, position_ids: torch.Tensor,
                *past_flat: torch.Tensor) -> tuple[torch.Tensor, ...]:
        past = [(past_flat[2 * i].to(self.dt), past_flat[2 * i + 1].to(self.dt)) for i in range(len(past_flat) // 2)]
        logits, presents = self.dec(inputs_embeds.to(self.dt), attention_mask, position_ids, past)
        return (logits.float(), *[t.float() for kv in presents for t in kv])


def io_specs(cfg: SlimeConfig) -> dict[str, dict[str, list[dict[str, Any]]]]:
    """Graph input/output names, dtypes and shapes (strings = dynamic axes) as in MANIFEST.md."""
    p, dv, q, h = cfg.patch_tokens, cfg.vision_hidden, cfg.local_queries, cfg.hidden
    t, kvh, hd = cfg.image_size, cfg.kv_heads, cfg.head_dim

    def f(name: str, shape: list[Any], dtype: str = "float32") -> dict[str, Any]:
        return {"name": name, "dtype": dtype, "shape": shape}

    past = [f(f"past_key_values.{i}.{kv}", [1, kvh, "past", hd]) for i in range(cfg.layers) for kv in ("key", "value")]
    pres = [f(f"present.{i}.{kv}", [1, kvh, "total", hd]) for i in range(cfg.layers) for kv in ("key", "value")]
    return {
        "vision_encoder": {"inputs": [f("pixel_values", ["views", 3, t, t])],
                           "outputs": [f("patch_feats", ["views", p, dv])]},
        "projector": {"inputs": [f("global_feats", [1, p, dv]), f("local_feats", ["tiles", p, dv])],
                      "outputs": [f("global_tokens", [p, h]), f("router_weights", [p, 2]),
                                  f("local_tokens", ["tiles", q, h]), f("local_attention", ["tiles", q, p])]},
        "embed_tokens": {"inputs": [f("input_ids", [1, "tokens"], "int64")],
                         "outputs": [f("embeds", [1, "tokens", h])]},
        "decoder": {"inputs": [f("inputs_embeds", [1, "seq", h]), f("attention_mask", [1, "total"], "int64"),
                               f("position_ids", [1, "seq"], "int64"), *past],
                    "outputs": [f("logits", [1, 1, cfg.vocab_size]), *pres]},
    }


def dynamic_axes(spec: dict[str, list[dict[str, Any]]]) -> dict[str, dict[int, str]]:
    out: dict[str, dict[int, str]] = {}
    for t in spec["inputs"] + spec["outputs"]:
        axes = {i: s for i, s in enumerate(t["shape"]) if isinstance(s, str)}
        if axes:
            out[t["name"]] = axes
    return out


def dummy_inputs(name: str, cfg: SlimeConfig) -> tuple[torch.Tensor, ...]:
    g = torch.Generator().manual_seed(0)
    p, dv, t = cfg.patch_tokens, cfg.vision_hidden, cfg.image_size
    if name == "vision_encoder":
        return (torch.randn(3, 3, t, t, generator=g),)
    if name == "projector":
        return torch.randn(1, p, dv, generator=g), torch.randn(3, p, dv, generator=g)
    if name == "embed_tokens":
        return (torch.tensor([[1, 2, 3]]),)
    past_len, s = 2, 3
    past = [torch.randn(1, cfg.kv_heads, past_len, cfg.head_dim, generator=g) for _ in range(2 * cfg.layers)]
    return (torch.randn(1, s, cfg.hidden, generator=g), torch.ones(1, past_len + s, dtype=torch.long),
            torch.arange(past_len, past_len + s)[None], *past)


def sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _export_one(module: nn.Module, args: tuple[torch.Tensor, ...], spec: dict[str, list[dict[str, Any]]],
                path: Path) -> None:
    with warnings.catch_warnings(), torch.no_grad():
        warnings.simplefilter("ignore")
        torch.onnx.export(
            module, args, str(path), input_names=[t["name"] for t in spec["inputs"]],
            output_names=[t["name"] for t in spec["outputs"]], dynamic_axes=dynamic_axes(spec), opset_version=OPSET,
            dynamo=False, do_constant_folding=True,
        )


def _stamp_shapes(m: onnx.ModelProto, spec: dict[str, list[dict[str, Any]]]) -> None:
    """Write the declared shapes (fixed dims and named dynamic axes) onto the graph inputs/outputs."""
    for decl, real in ((spec["inputs"], m.graph.input), (spec["outputs"], m.graph.output)):
        for t, r in zip(decl, real):
            if t["name"] != r.name:
                raise RuntimeError(f"export: graph I/O {r.name!r} where {t['name']!r} was declared")
            shape = r.type.tensor_type.shape
            shape.ClearField("dim")
            for d in t["shape"]:
                dim = shape.dim.add()
                if isinstance(d, str):
                    dim.dim_param = d
                else:
                    dim.dim_value = d


def _finalize(raw: Path, path: Path, spec: dict[str, list[dict[str, Any]]],
              threshold: int = EXTERNAL_THRESHOLD) -> list[str]:
    """Load the raw export, stamp declared shapes, save to path (one external .onnx.data file when the
    initializers exceed threshold bytes). Returns the external data file names."""
    m = onnx.load(str(raw), load_external_data=True)
    _stamp_shapes(m, spec)
    data = path.with_name(path.name + ".data")
    if data.exists():
        data.unlink()
    size = sum(t.ByteSize() for t in m.graph.initializer)
    if size < threshold:
        onnx.save(m, str(path))
        return []
    onnx.save(m, str(path), save_as_external_data=True, all_tensors_to_one_file=True, location=data.name,
              size_threshold=1024)
    return [data.name]


def _quantize_int4(raw: Path, path: Path, spec: dict[str, list[dict[str, Any]]], log: Callable[[str], None],
                   threshold: int = EXTERNAL_THRESHOLD) -> list[str]:
    import logging

    from onnxruntime.quantization.matmul_nbits_quantizer import MatMulNBitsQuantizer

    logging.getLogger("onnxruntime.quantization.matmul_nbits_quantizer").setLevel(logging.WARNING)
    m = onnx.load(str(raw), load_external_data=True)
    q = MatMulNBitsQuantizer(m, block_size=32, is_symmetric=True)
    q.process()
    out = q.model.model
    log(f"  int4: {sum(n.op_type == 'MatMulNBits' for n in out.graph.node)} MatMul → MatMulNBits")
    quant = raw.with_name("quantized.onnx")
    onnx.save(out, str(quant), save_as_external_data=out.ByteSize() > EXTERNAL_THRESHOLD)
    return _finalize(quant, path, spec, threshold)


def export_model(model: SlimeForCausalLM, tokenizer_files: dict[str, Path] | list[Path], out_dir: str | Path,
                 dtype: str = "fp32", name: str | None = None, source: dict[str, Any] | None = None,
                 log: Callable[[str], None] = print, max_new_tokens: int = 256, inplace: bool = False,
                 external_threshold: int = EXTERNAL_THRESHOLD) -> dict[str, Any]:
    """Export the four graphs, copy tokenizer files and write manifest.json (MANIFEST.md v1). Returns the manifest.
    The model is left as it was (a copy is made only when a dtype change is needed, unless inplace=True)."""
    if dtype not in DTYPES:
        raise ValueError(f"dtype {dtype!r} (expected one of {DTYPES})")
    cfg = model.cfg
    if cfg.local_mode != "compressed":
        raise ValueError("export: only local_mode='compressed' has a projector graph")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    files = tokenizer_files if isinstance(tokenizer_files, dict) else {Path(p).name: Path(p) for p in tokenizer_files}
    if "tokenizer.json" not in files:
        raise ValueError("export: tokenizer_files must include tokenizer.json")
    dt = torch.float16 if dtype == "fp16" else torch.float32
    m = model
    if any(p.dtype != dt for p in model.parameters()):
        m = (model if inplace else copy.deepcopy(model)).to(dt)
    was_training = m.training
    m.eval()
    resamplers = (m.projector.attn, m.sampler.post_qformer)
    for rs in resamplers:
        rs.bake_key_pos()
    try:
        graphs = _export_graphs(m, cfg, out, dtype, dt, log, external_threshold)
    finally:
        for rs in resamplers:
            rs.baked_key_pos = None
        m.train(was_training)
    for fname, src in files.items():
        if Path(src).resolve() != (out / fname).resolve():
            shutil.copyfile(src, out / fname)
    manifest = build_manifest(cfg, graphs, out, dtype, name, source, max_new_tokens,
                              "tokenizer_config.json" if "tokenizer_config.json" in files else None)
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
    log(f"wrote {out / 'manifest.json'}")
    return manifest


def _export_graphs(m: SlimeForCausalLM, cfg: SlimeConfig, out: Path, dtype: str, dt: torch.dtype,
                   log: Callable[[str], None], threshold: int) -> dict[str, Any]:
    specs = io_specs(cfg)
    modules = {"vision_encoder": VisionGraph(m, dt), "projector": ProjectorGraph(m, dt), "embed_tokens": EmbedGraph(m),
               "decoder": DecoderGraph(m, dt)}
    graphs: dict[str, Any] = {}
    for gname, mod in modules.items():
        t0 = time.time()
        path = out / f"{gname}.onnx"
        spec = specs[gname]
        log(f"exporting {gname} ({dtype}) → {path}")
        with tempfile.TemporaryDirectory(prefix=f"slime-{gname}-") as tmp:
            raw = Path(tmp) / f"{gname}.onnx"
            _export_one(mod, dummy_inputs(gname, cfg), spec, raw)
            if dtype == "int4" and gname == "decoder":
                ext = _quantize_int4(raw, path, spec, log, threshold)
            else:
                ext = _finalize(raw, path, spec, threshold)
        graphs[gname] = {
            "file": path.name, "sha256": sha256(path), "bytes": path.stat().st_size,
            "external_data": [{"file": e, "sha256": sha256(out / e), "bytes": (out / e).stat().st_size} for e in ext],
            **spec,
        }
        log(f"  {gname}: {path.stat().st_size / 1e6:.1f} MB{' + external data' if ext else ''} in {time.time() - t0:.1f}s")
    return graphs


def build_manifest(cfg: SlimeConfig, graphs: dict[str, Any], out: Path, dtype: str, name: str | None,
                   source: dict[str, Any] | None, max_new_tokens: int, tok_config: str | None) -> dict[str, Any]:
    cfg_json = json.dumps(cfg.to_hf_config(), sort_keys=True).encode()
    return {
        "format": "slime-studio-model",
        "version": 1,
        "name": name or cfg.name,
        "architecture": "slime",
        "dtype": dtype,
        "created_by": f"models.export {VERSION}",
        "source": {**(source or {}), "config_sha256": hashlib.sha256(cfg_json).hexdigest()},
        "graphs": graphs,
        "vision": {
            "image_size": cfg.image_size, "patch_size": cfg.patch_size, "patch_grid": cfg.patch_grid,
            "patch_tokens": cfg.patch_tokens, "hidden": cfg.vision_hidden, "mean": list(cfg.image_mean),
            "std": list(cfg.image_std), "max_tiles": cfg.max_tiles, "min_tiles": 2, "tile_pad_rgb": [0, 0, 0],
            "resample": "pil-bicubic",
        },
        "projector": {"global_queries": cfg.global_queries, "local_queries": cfg.local_queries,
                      "local_grid": cfg.local_grid, "hidden": cfg.hidden},
        "llm": {"hidden": cfg.hidden, "layers": cfg.layers, "heads": cfg.heads, "kv_heads": cfg.kv_heads,
                "head_dim": cfg.head_dim, "vocab_size": cfg.vocab_size, "max_length": cfg.max_length},
        "tokenizer": {"file": "tokenizer.json", "sha256": sha256(out / "tokenizer.json"), "config_file": tok_config},
        "template": cfg.template,
        "special_tokens": {"bos": cfg.bos_id, "eos": list(cfg.eos_ids),
                           "pad": cfg.pad_id if cfg.pad_id >= 0 else None, "image_placeholder": -200},
        "separator_id": cfg.separator_id,
        "selector": {"mode": cfg.selector_mode, "top_p": cfg.topp, "temperature": cfg.temp,
                     "legacy_first_temperature": 0.5},
        "generation": {"max_new_tokens": max_new_tokens},
    }


def main(argv: list[str] | None = None) -> int:
    from .slime.checkpoint import CheckpointError, load_checkpoint
    from .slime.config import ConfigError

    ap = argparse.ArgumentParser(prog="python -m models.export", description=__doc__.splitlines()[0])
    ap.add_argument("--checkpoint", required=True, help="released-layout HF folder")
    ap.add_argument("--out", required=True, help="model folder to write")
    ap.add_argument("--dtype", default="fp32", choices=DTYPES)
    ap.add_argument("--clip", default=None, help="HF CLIP folder (official inference uses the hub CLIP)")
    ap.add_argument("--use-checkpoint-clip", action="store_true", help="use the model.vision_tower.* copy")
    ap.add_argument("--name", default=None)
    a = ap.parse_args(argv)
    try:
        load_dtype = torch.float16 if a.dtype == "fp16" else torch.float32
        loaded = load_checkpoint(a.checkpoint, a.clip, a.use_checkpoint_clip, load_dtype,
                                 log=lambda s: print(s, flush=True))
        export_model(loaded.model, loaded.tokenizer_files, a.out, a.dtype, a.name, loaded.source,
                     log=lambda s: print(s, flush=True), inplace=True)
    except (CheckpointError, ConfigError, FileNotFoundError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
