"""Upgrade a manifest-v1 model folder to v2 without its checkpoint: LLM weights recovered from the v1 graphs, rebuilt.

CLI: python -m models.upgrade OLD_DIR NEW_DIR [--dtype fp32|fp16|int4]   (default: the old folder's dtype)
A version-2 fp32/fp16 folder is accepted too when --dtype is given (re-quantise, e.g. shipped Nano fp32 -> int4).
The v1 decoder was traced from models/slime/decoder.py KVDecoder: its MatMul weight initializers appear in graph order
q, k, v, o, gate, up, down per layer, then lm_head, each stored as W.T; RMSNorm weights are named initializers. The
mapping is checked by running the v1 and v2 decoders on the same inputs (prompt, then cached steps) before writing.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
from pathlib import Path
from typing import Any

import numpy as np
import onnx
import onnxruntime as ort
from onnx import numpy_helper

from .convert.llm_graph import LlmSpec, build_decoder, build_embed, io_spec
from .convert.manifest import EXPORTER, graph_entry
from .convert.weights import DictSource

PROJ = ("self_attn.q_proj", "self_attn.k_proj", "self_attn.v_proj", "self_attn.o_proj", "mlp.gate_proj",
        "mlp.up_proj", "mlp.down_proj")
# max |v2 - v1| / max |v1| of the logits over a prompt and 3 cached steps, by target dtype (v1 reference in fp32/fp16)
TOLERANCE = {"fp32": 1e-4, "fp16": 2e-2, "int4": 0.25}


class UpgradeError(ValueError):
    """The old folder is not an upgradable v1 folder, or the recovered weights do not reproduce it."""


def _constants(m: onnx.ModelProto) -> dict[str, np.ndarray]:
    vals = {t.name: numpy_helper.to_array(t) for t in m.graph.initializer}
    for n in m.graph.node:
        if n.op_type == "Constant":
            vals[n.output[0]] = numpy_helper.to_array(n.attribute[0].t)
    return vals


def recover_weights(dec: onnx.ModelProto, emb: onnx.ModelProto, layers: int) -> dict[str, np.ndarray]:
    """Released-name float32 tensors from the v1 decoder and embed_tokens graphs."""
    vals = _constants(dec)
    mats = [vals[n.input[1]] for n in dec.graph.node if n.op_type == "MatMul" and n.input[1] in vals
            and vals[n.input[1]].ndim == 2]
    if len(mats) != 7 * layers + 1:
        raise UpgradeError(f"v1 decoder has {len(mats)} weight MatMuls, expected {7 * layers + 1} for {layers} layers")
    out: dict[str, np.ndarray] = {}
    for i in range(layers):
        for j, proj in enumerate(PROJ):
            out[f"model.layers.{i}.{proj}.weight"] = mats[7 * i + j].T.astype(np.float32)
    out["lm_head.weight"] = mats[-1].T.astype(np.float32)
    norms = {k: v for k, v in vals.items() if k.endswith("layernorm.weight") or k.endswith("model.norm.weight")}
    for i in range(layers):
        for which in ("input_layernorm", "post_attention_layernorm"):
            out[f"model.layers.{i}.{which}.weight"] = _named(norms, f"model.layers.{i}.{which}.weight")
    out["model.norm.weight"] = _named(norms, "model.norm.weight")
    tables = [numpy_helper.to_array(t) for t in emb.graph.initializer if len(t.dims) == 2]
    if len(tables) != 1:
        raise UpgradeError(f"v1 embed_tokens has {len(tables)} 2-D initializers, expected the one table")
    out["model.embed_tokens.weight"] = tables[0].astype(np.float32)
    return out


def recover_weights_v2(dec: onnx.ModelProto, emb: onnx.ModelProto, llm: dict[str, Any]) -> dict[str, np.ndarray]:
    """Released-name float32 tensors from an fp32/fp16 v2 folder (our builder's initializer names)."""
    vals = {t.name: numpy_helper.to_array(t).astype(np.float32) for t in dec.graph.initializer}
    q, kv = llm["heads"] * llm["head_dim"], llm["kv_heads"] * llm["head_dim"]
    out: dict[str, np.ndarray] = {}
    for i in range(llm["layers"]):
        qkv = vals[f"/layers.{i}/attn/qkv_proj.weight"].T
        p = f"model.layers.{i}."
        out[p + "self_attn.q_proj.weight"], out[p + "self_attn.k_proj.weight"] = qkv[:q], qkv[q:q + kv]
        out[p + "self_attn.v_proj.weight"] = qkv[q + kv:]
        out[p + "self_attn.o_proj.weight"] = vals[f"/layers.{i}/attn/o_proj.weight"].T
        for proj in ("gate_proj", "up_proj", "down_proj"):
            out[p + f"mlp.{proj}.weight"] = vals[f"/layers.{i}/mlp/{proj}.weight"].T
        for which in ("input_layernorm", "post_attention_layernorm"):
            out[p + f"{which}.weight"] = vals[p + f"{which}.weight"]
    head = vals["/lm_head.weight"]  # [V,H] (Gemm transB, current builder) or [H,V] (MatMul, first v2 builds)
    out["model.norm.weight"], out["lm_head.weight"] = vals["model.norm.weight"], (
        head if head.shape[0] == llm["vocab_size"] else head.T)
    out["model.embed_tokens.weight"] = numpy_helper.to_array(emb.graph.initializer[0]).astype(np.float32)
    return out


def _named(norms: dict[str, np.ndarray], suffix: str) -> np.ndarray:
    hits = [v for k, v in norms.items() if k.endswith(suffix)]
    if len(hits) != 1:
        raise UpgradeError(f"v1 decoder: {len(hits)} initializers named *{suffix}")
    return hits[0].astype(np.float32)


def recover_rope_eps(dec: onnx.ModelProto, head_dim: int) -> tuple[float, float]:
    """rope theta from the traced inv_freq constant [hd/2] (inv[1] = theta^(-2/hd)); eps from the RMSNorm Add."""
    vals = _constants(dec)
    inv = [v for v in vals.values() if v.dtype == np.float32 and v.shape == (head_dim // 2,) and v[0] == 1.0
           and np.all(np.diff(v) < 0)]
    if len(inv) != 1:
        raise UpgradeError(f"v1 decoder: cannot find the rotary inv_freq constant ({len(inv)} candidates)")
    theta = float(np.round(float(inv[0][1]) ** (-head_dim / 2)))
    prod = {o: n for n in dec.graph.node for o in n.output}
    eps = [float(vals[n.input[1]]) for n in dec.graph.node if n.op_type == "Add" and n.input[0] in prod
           and prod[n.input[0]].op_type == "ReduceMean" and n.input[1] in vals]
    if not eps or len(set(eps)) != 1:
        raise UpgradeError(f"v1 decoder: RMSNorm epsilon not found or not unique ({sorted(set(eps))})")
    return theta, eps[0]


def _session(path: Path) -> ort.InferenceSession:
    so = ort.SessionOptions()
    so.log_severity_level = 3
    return ort.InferenceSession(str(path), so, providers=["CPUExecutionProvider"])


def compare_decoders(v1: Path, v2: Path, spec: LlmSpec, kv_v2: Any, seed: int = 0) -> float:
    """Relative max logits difference v2 vs v1 over a 7-row prompt then 3 single-row cached steps."""
    a, b = _session(v1), _session(v2)
    rng = np.random.default_rng(seed)
    hd, kvh = spec.head_dim, spec.kv_heads
    has_pos = a.get_inputs()[2].name == "position_ids"
    kv_v1 = np.float16 if a.get_inputs()[-1].type == "tensor(float16)" else np.float32
    pa = {i.name: np.zeros((1, kvh, 0, hd), kv_v1) for i in a.get_inputs()[2 + has_pos:]}
    pb = {i.name: np.zeros((1, kvh, 0, hd), kv_v2) for i in b.get_inputs()[2:]}
    worst, total = 0.0, 0
    for s in (7, 1, 1, 1):
        x = (rng.standard_normal((1, s, spec.hidden)) * 0.5).astype(np.float32)
        mask = np.ones((1, total + s), np.int64)
        pos = {"position_ids": np.arange(total, total + s, dtype=np.int64)[None]} if has_pos else {}
        oa = a.run(None, {"inputs_embeds": x, "attention_mask": mask, **pos, **pa})
        ob = b.run(None, {"inputs_embeds": x, "attention_mask": mask, **pb})
        total += s
        worst = max(worst, float(np.abs(ob[0] - oa[0]).max() / np.abs(oa[0]).max()))
        pa, pb = dict(zip(pa, oa[1:])), dict(zip(pb, ob[1:]))
    return worst


def upgrade(old: str | Path, new: str | Path, dtype: str | None = None, log: Any = print) -> dict[str, Any]:
    """Write NEW (manifest v2) from OLD (v1). vision_encoder/projector/tokenizer files are copied byte for byte."""
    old, new = Path(old), Path(new)
    m1 = json.loads((old / "manifest.json").read_text())
    version = m1.get("version")
    if version not in (1, 2) or (version == 2 and not dtype):
        raise UpgradeError(f"{old}/manifest.json: version {version} (this upgrades version 1 folders, or converts a "
                           "version 2 folder to another --dtype)")
    dtype = dtype or m1["dtype"]
    if m1["dtype"] == "int4":
        raise UpgradeError(f"{old}: int4 folders cannot be upgraded (weights already quantised); use fp32/fp16")
    dec = onnx.load(str(old / m1["graphs"]["decoder"]["file"]))
    emb = onnx.load(str(old / m1["graphs"]["embed_tokens"]["file"]))
    llm = m1["llm"]
    if version == 1:
        theta, eps = recover_rope_eps(dec, llm["head_dim"])
        weights = recover_weights(dec, emb, llm["layers"])
    else:
        theta = llm["rope_theta"]
        eps = next(a.f for n in dec.graph.node if n.op_type == "SimplifiedLayerNormalization" for a in n.attribute
                   if a.name == "epsilon")
        weights = recover_weights_v2(dec, emb, llm)
    del dec, emb
    spec = LlmSpec(llm["hidden"], llm["layers"], llm["heads"], llm["kv_heads"],
                   weights["model.layers.0.mlp.gate_proj.weight"].shape[0], llm["vocab_size"], theta, eps,
                   llm.get("max_positions", max(4096, 2 * llm["max_length"])))
    log(f"recovered {len(weights)} tensors; rope_theta {theta:g}, rms_eps {eps:g}, intermediate {spec.intermediate}")
    if new.exists():
        shutil.rmtree(new)
    new.mkdir(parents=True)
    try:
        return _write(old, new, m1, spec, weights, dtype, log)
    except BaseException:
        shutil.rmtree(new, ignore_errors=True)
        raise


def _write(old: Path, new: Path, m1: dict[str, Any], spec: LlmSpec, weights: dict[str, np.ndarray], dtype: str,
           log: Any) -> dict[str, Any]:
    src = DictSource(weights)
    ext = {"embed_tokens": build_embed(src, spec, new / "embed_tokens.onnx", dtype),
           "decoder": build_decoder(src, spec, new / "decoder.onnx", dtype)}
    err = compare_decoders(old / m1["graphs"]["decoder"]["file"], new / "decoder.onnx", spec,
                           np.float16 if dtype == "fp16" else np.float32)
    log(f"new vs old decoder logits: max relative difference {err:.2e} (tolerance {TOLERANCE[dtype]:g})")
    if err > TOLERANCE[dtype]:
        raise UpgradeError(f"recovered weights do not reproduce the v1 decoder ({err:.2e} > {TOLERANCE[dtype]:g})")
    copied = [g["file"] for k, g in m1["graphs"].items() if k in ("vision_encoder", "projector")]
    copied += [e["file"] for k, g in m1["graphs"].items() if k in ("vision_encoder", "projector")
               for e in g["external_data"]]
    copied += [m1["tokenizer"]["file"]] + ([m1["tokenizer"]["config_file"]] if m1["tokenizer"].get("config_file") else [])
    for f in copied:
        shutil.copyfile(old / f, new / f)
    specs = io_spec(spec, dtype)
    graphs = dict(m1["graphs"])
    for g, e in ext.items():
        graphs[g] = graph_entry(new, f"{g}.onnx", e, specs[g])
    m2 = {**m1, "version": 2, "dtype": dtype, "created_by": f"{EXPORTER} (models.upgrade from v{m1['version']})",
          "graphs": graphs,
          "llm": {**m1["llm"], "rope_theta": spec.rope_theta, "kv_dtype": "float16" if dtype == "fp16" else "float32",
                  "max_positions": spec.max_positions},
          "source": {**m1["source"], "upgraded_from": str(old), "from_version": m1["version"],
                     "from_dtype": m1["dtype"]}}
    (new / "manifest.json").write_text(json.dumps(m2, indent=2) + "\n")
    log(f"wrote {new / 'manifest.json'}")
    return m2


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m models.upgrade", description=__doc__.splitlines()[0])
    ap.add_argument("old", help="manifest-v1 model folder (fp32 or fp16)")
    ap.add_argument("new", help="folder to write (replaced if present)")
    ap.add_argument("--dtype", choices=("fp32", "fp16", "int4"), default=None)
    a = ap.parse_args(argv)
    if Path(a.old).resolve() == Path(a.new).resolve():
        print("error: OLD_DIR and NEW_DIR must differ", file=sys.stderr)
        return 2
    try:
        upgrade(a.old, a.new, a.dtype, log=lambda s: print(s, flush=True))
    except (UpgradeError, FileNotFoundError, KeyError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
