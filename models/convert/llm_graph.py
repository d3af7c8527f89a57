"""Decoder and embed_tokens ONNX graphs (manifest v2) written node by node from a TensorSource, one weight at a time."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import numpy as np
from onnx import TensorProto

from .graph_writer import GraphWriter
from .weights import Linear, TensorSource

F32, F16, I64 = TensorProto.FLOAT, TensorProto.FLOAT16, TensorProto.INT64
LLM_DTYPES = ("fp32", "fp16", "int4")


@dataclass(frozen=True)
class LlmSpec:
    hidden: int
    layers: int
    heads: int
    kv_heads: int
    intermediate: int
    vocab: int
    rope_theta: float
    rms_eps: float
    max_positions: int

    @property
    def head_dim(self) -> int:
        return self.hidden // self.heads

    def check(self) -> None:
        """GroupQueryAttention (CPU) needs head_dim % 8 == 0 and heads divisible by kv_heads."""
        if self.hidden % self.heads or self.head_dim % 8 or self.heads % self.kv_heads:
            raise ValueError(f"unsupported attention shape: hidden {self.hidden}, heads {self.heads}, kv_heads "
                             f"{self.kv_heads} (GroupQueryAttention needs head_dim % 8 == 0, heads % kv_heads == 0)")

    @classmethod
    def from_config(cls, cfg: Any) -> "LlmSpec":
        """From a SlimeConfig; the rotary cache covers max(max_position, max_length) positions."""
        return cls(cfg.hidden, cfg.layers, cfg.heads, cfg.kv_heads, cfg.intermediate, cfg.vocab_size,
                   float(cfg.rope_theta), float(cfg.rms_eps), max(cfg.max_position, cfg.max_length))


def kv_dtype(dtype: str) -> str:
    return "float16" if dtype == "fp16" else "float32"


def io_spec(spec: LlmSpec, dtype: str) -> dict[str, dict[str, list[dict[str, Any]]]]:
    """Manifest v2 I/O of decoder and embed_tokens."""
    kvd, kvh, hd = kv_dtype(dtype), spec.kv_heads, spec.head_dim

    def f(name: str, shape: list[Any], dt: str = "float32") -> dict[str, Any]:
        return {"name": name, "dtype": dt, "shape": shape}

    past = [f(f"past_key_values.{i}.{kv}", [1, kvh, "capacity", hd], kvd)
            for i in range(spec.layers) for kv in ("key", "value")]
    pres = [f(f"present.{i}.{kv}", [1, kvh, "capacity", hd], kvd) for i in range(spec.layers) for kv in ("key", "value")]
    return {
        "embed_tokens": {"inputs": [f("input_ids", [1, "tokens"], "int64")],
                         "outputs": [f("embeds", [1, "tokens", spec.hidden])]},
        "decoder": {"inputs": [f("inputs_embeds", [1, "seq", spec.hidden]),
                               f("attention_mask", [1, "total"], "int64"), *past],
                    "outputs": [f("logits", [1, 1, spec.vocab]), *pres]},
    }


def _elem(dt: str) -> int:
    return {"float32": F32, "float16": F16, "int64": I64}[dt]


def _declare_io(g: GraphWriter, io: dict[str, list[dict[str, Any]]]) -> None:
    for t in io["inputs"]:
        g.input(t["name"], _elem(t["dtype"]), t["shape"])
    for t in io["outputs"]:
        g.output(t["name"], _elem(t["dtype"]), t["shape"])


def rotary_caches(spec: LlmSpec) -> tuple[np.ndarray, np.ndarray]:
    """cos/sin [max_positions, head_dim/2] (HF Llama default rope, no scaling), computed like HF in float32."""
    hd = spec.head_dim
    inv = 1.0 / (spec.rope_theta ** (np.arange(0, hd, 2, dtype=np.int64).astype(np.float32) / hd))
    t = np.arange(spec.max_positions, dtype=np.float32)
    freqs = np.outer(t, inv.astype(np.float32)).astype(np.float32)
    return np.cos(freqs), np.sin(freqs)


def _mask_inputs(g: GraphWriter) -> tuple[str, str]:
    """seqlens_k = ReduceSum(attention_mask, 1) - 1 (int32 [1]); total_sequence_length = Shape(mask)[1] (int32)."""
    s = g.one("ReduceSum", ["attention_mask", g.const("/one_axis", [1])], name="/mask/ReduceSum", keepdims=0)
    s = g.one("Sub", [s, g.const("/one_i64", 1)], name="/mask/Sub")
    seqlens = g.one("Cast", [s], name="/mask/seqlens_k", to=TensorProto.INT32)
    shp = g.one("Shape", ["attention_mask"], name="/mask/Shape")
    tot = g.one("Gather", [shp, g.const("/idx1", 1)], name="/mask/Gather", axis=0)
    return seqlens, g.one("Cast", [tot], name="/mask/total_seq_len", to=TensorProto.INT32)


def _norm(g: GraphWriter, src: TensorSource, key: str, fdt: Any) -> str:
    return g.add_init(key, src.get(key).astype(fdt))


def build_decoder(src: TensorSource, spec: LlmSpec, path: str | Path, dtype: str,
                  progress: Callable[[str], None] = lambda s: None) -> list[str]:
    """Write decoder.onnx (+ .data). Keys are the released names (model.layers.N..., model.norm.weight, lm_head.weight).
    Returns the external data file names."""
    if dtype not in LLM_DTYPES:
        raise ValueError(f"dtype {dtype!r} (expected one of {LLM_DTYPES})")
    spec.check()
    fdt = np.float16 if dtype == "fp16" else np.float32
    g = GraphWriter(path, "slime_decoder")
    try:
        _declare_io(g, io_spec(spec, dtype)["decoder"])
        lin = Linear(g, src, dtype)
        seqlens, total = _mask_inputs(g)
        cos, sin = rotary_caches(spec)
        cos_n, sin_n = g.add_init("cos_cache", cos.astype(fdt)), g.add_init("sin_cache", sin.astype(fdt))
        x = g.one("Cast", ["inputs_embeds"], name="/embeds/Cast", to=F16) if dtype == "fp16" else "inputs_embeds"
        res, mlp_out, t0 = x, None, time.time()
        for i in range(spec.layers):
            p = f"model.layers.{i}."
            h, res = _pre_norm(g, src, p + "input_layernorm.weight", mlp_out, res, spec, fdt, f"/layers.{i}/in_norm")
            qkv = lin(h, [p + f"self_attn.{n}_proj.weight" for n in "qkv"], f"/layers.{i}/attn/qkv_proj")
            att = g.node("GroupQueryAttention", [qkv, "", "", f"past_key_values.{i}.key", f"past_key_values.{i}.value",
                                                 seqlens, total, cos_n, sin_n],
                         [f"/layers.{i}/attn/GQA/output_0", f"present.{i}.key", f"present.{i}.value"],
                         name=f"/layers.{i}/attn/GQA", domain="com.microsoft", num_heads=spec.heads,
                         kv_num_heads=spec.kv_heads, do_rotary=1, rotary_interleaved=0,
                         scale=float(spec.head_dim ** -0.5), local_window_size=-1)[0]
            o = lin(att, [p + "self_attn.o_proj.weight"], f"/layers.{i}/attn/o_proj")
            h, res = _pre_norm(g, src, p + "post_attention_layernorm.weight", o, res, spec, fdt,
                               f"/layers.{i}/post_norm")
            mlp_out = _mlp(g, lin, h, p, i)
            el = time.time() - t0
            progress(f"decoder layer {i + 1}/{spec.layers} ({el:.1f}s, ETA {el / (i + 1) * (spec.layers - i - 1):.0f}s)")
        last = g.one("Add", [mlp_out or res, res], name="/final/Add") if mlp_out else res
        last = g.one("Slice", [last, g.const("/last/start", [-1]), g.const("/last/end", [np.iinfo(np.int64).max]),
                               g.const("/last/axes", [1])], name="/final/last_position")
        h = g.one("SimplifiedLayerNormalization", [last, _norm(g, src, "model.norm.weight", fdt)],
                  name="/final/norm", axis=-1, epsilon=spec.rms_eps, stash_type=1)
        h = g.one("Reshape", [h, g.const("/lm_head/shape_2d", [1, spec.hidden])], name="/lm_head/Reshape_2d")
        logits = lin(h, ["lm_head.weight"], "/lm_head", gemm=True)
        logits = g.one("Reshape", [logits, g.const("/lm_head/shape_3d", [1, 1, spec.vocab])], name="/lm_head/Reshape")
        if dtype == "fp16":
            g.node("Cast", [logits], ["logits"], name="/logits/Cast", to=F32)
        else:
            g.node("Identity", [logits], ["logits"], name="/logits/Identity")
        return g.save()
    finally:
        g.close()


def _pre_norm(g: GraphWriter, src: TensorSource, key: str, y: str | None, res: str, spec: LlmSpec, fdt: Any,
              name: str) -> tuple[str, str]:
    """RMSNorm of the residual stream; with y, fused with `res + y` (returns the normed value and the new residual)."""
    w = _norm(g, src, key, fdt)
    if y is None:
        return g.one("SimplifiedLayerNormalization", [res, w], name=name, axis=-1, epsilon=spec.rms_eps,
                     stash_type=1), res
    out = g.node("SkipSimplifiedLayerNormalization", [y, res, w], [f"{name}/output_0", "", "", f"{name}/output_3"],
                 name=name, domain="com.microsoft", epsilon=spec.rms_eps)
    return out[0], out[3]


def _mlp(g: GraphWriter, lin: Linear, h: str, p: str, i: int) -> str:
    gate = lin(h, [p + "mlp.gate_proj.weight"], f"/layers.{i}/mlp/gate_proj")
    up = lin(h, [p + "mlp.up_proj.weight"], f"/layers.{i}/mlp/up_proj")
    act = g.one("Mul", [gate, g.one("Sigmoid", [gate], name=f"/layers.{i}/mlp/act/Sigmoid")],
                name=f"/layers.{i}/mlp/act/Mul")
    return lin(g.one("Mul", [act, up], name=f"/layers.{i}/mlp/Mul"), [p + "mlp.down_proj.weight"],
               f"/layers.{i}/mlp/down_proj")


def build_embed(src: TensorSource, spec: LlmSpec, path: str | Path, dtype: str) -> list[str]:
    """embed_tokens.onnx: Gather over the table (fp32 in fp32 exports, fp16 + Cast otherwise), streamed in row slices."""
    g = GraphWriter(path, "slime_embed_tokens")
    try:
        _declare_io(g, io_spec(spec, dtype)["embed_tokens"])
        key = "model.embed_tokens.weight"
        v, h = src.shape(key)
        fdt = np.float32 if dtype == "fp32" else np.float16
        s = g.begin("embed_tokens.weight", fdt, [v, h])
        step = max(1, (1 << 24) // h)
        for r0 in range(0, v, step):
            s.write(src.get(key, rows=(r0, min(v, r0 + step))).astype(fdt))
        table = s.end()
        if dtype == "fp32":
            g.node("Gather", [table, "input_ids"], ["embeds"], name="/embed/Gather", axis=0)
        else:
            e = g.one("Gather", [table, "input_ids"], name="/embed/Gather", axis=0)
            g.node("Cast", [e], ["embeds"], name="/embed/Cast", to=F32)
        return g.save()
    finally:
        g.close()
