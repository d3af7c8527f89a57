"""Streams a random-weight SliME checkpoint in the released layout to disk, one tensor in memory at a time."""

from __future__ import annotations

import json
import shutil
import struct
import time
import zlib
from pathlib import Path
from typing import Callable, Iterator

import numpy as np
import torch

from models.slime.checkpoint import CLIP_PREFIX, released_key
from models.slime.model import SlimeForCausalLM
from models.slime.resampler import sincos_2d

from .shapes import Shape

DTYPES = {"BF16": (torch.bfloat16, 2), "F16": (torch.float16, 2), "F32": (torch.float32, 4)}
CHUNK = 32 << 20  # elements generated per step (128 MB of fp32)
NORM_MARKS = ("norm", "ln_", "layer_norm", "layrnorm")


def tensor_plan(shape: Shape) -> list[tuple[str, list[int]]]:
    """(released key, shape) of every tensor, in the order save_pretrained writes them: the LLM stack, the CLIP
    copy at full depth (+ post_layernorm), projector, sampler, lm_head. Shapes come from the model on `meta`."""
    cfg = shape.cfg
    with torch.device("meta"):
        model = SlimeForCausalLM(cfg)
    keyed = {released_key(k): list(v.shape) for k, v in model.state_dict().items()}
    layer0 = f"{CLIP_PREFIX}encoder.layers.0."
    for i in range(cfg.vision_layers):
        for k, s in list(keyed.items()):
            if k.startswith(layer0):
                keyed.setdefault(k.replace(".layers.0.", f".layers.{i}."), s)

    def rank(item: tuple[str, list[int]]) -> tuple[int, str]:
        key = item[0]
        order = ("model.embed_tokens", "model.layers.", "model.norm", "model.vision_tower.", "model.mm_projector.",
                 "model.sampler.", "lm_head.")
        group = next(i for i, p in enumerate(order) if key.startswith(p))
        m = key.split(".")
        num = int(m[2]) if group == 1 else (int(m[6]) if ".encoder.layers." in key else -1)
        return group, f"{num:06d}.{key}"

    return sorted(keyed.items(), key=rank)


def _seed(key: str, seed: int) -> int:
    return (zlib.crc32(key.encode()) + 7919 * seed) & 0x7FFFFFFF


def tensor_values(key: str, dims: list[int], seed: int, dtype: torch.dtype) -> Iterator[torch.Tensor]:
    """The tensor's values, row-chunked: N(0, 0.02) weights (activations stay O(1) through every layer), norms
    around 1, small biases, the 2-D sin-cos tables SliME's resamplers hold, a zero noise head, mean 0 / std 1."""
    n = int(np.prod(dims)) if dims else 1
    name = key.rsplit(".", 1)[-1]
    if name == "pos_embed":
        grid = int(round(dims[0] ** 0.5))
        yield torch.from_numpy(sincos_2d(dims[1], grid)).to(dtype).reshape(-1)
        return
    if name in ("w_noise", "mean") or (name == "std" and "mm_projector" in key):
        yield torch.full((n,), 1.0 if name == "std" else 0.0, dtype=dtype)
        return
    g = torch.Generator().manual_seed(_seed(key, seed))
    is_norm = len(dims) == 1 and any(m in key for m in NORM_MARKS) and name == "weight"
    std, mean = (0.05, 1.0) if is_norm else (0.5 if name == "w_gate" else 0.02, 0.0)
    done = 0
    while done < n:
        step = min(CHUNK, n - done)
        yield torch.empty(step).normal_(mean, std, generator=g).to(dtype)
        done += step


def _header(items: list[tuple[str, list[int]]], dtype_name: str) -> bytes:
    size = DTYPES[dtype_name][1]
    head: dict[str, object] = {"__metadata__": {"format": "pt"}}
    offset = 0
    for key, dims in items:
        nbytes = int(np.prod(dims)) * size if dims else size
        head[key] = {"dtype": dtype_name, "shape": dims, "data_offsets": [offset, offset + nbytes]}
        offset += nbytes
    raw = json.dumps(head, separators=(",", ":")).encode()
    raw += b" " * (-len(raw) % 8)
    return struct.pack("<Q", len(raw)) + raw


def write_safetensors(path: Path, items: list[tuple[str, list[int]]], dtype_name: str, seed: int,
                      rename: Callable[[str], str] = lambda k: k) -> int:
    """Writes one safetensors file tensor by tensor (header first, then each tensor's bytes as generated)."""
    dtype = DTYPES[dtype_name][0]
    written = 0
    with open(path, "wb") as f:
        f.write(_header([(rename(k), d) for k, d in items], dtype_name))
        for key, dims in items:
            for chunk in tensor_values(key, dims, seed, dtype):
                f.write(chunk.contiguous().view(torch.uint8).numpy().tobytes())
                written += chunk.numel() * chunk.element_size()
    return written


def split_shards(plan: list[tuple[str, list[int]]], max_bytes: int, size: int) -> list[list[tuple[str, list[int]]]]:
    """HF's greedy rule: start a new shard when the next tensor would push the current one past max_bytes."""
    shards: list[list[tuple[str, list[int]]]] = [[]]
    used = 0
    for key, dims in plan:
        nbytes = int(np.prod(dims)) * size
        if shards[-1] and used + nbytes > max_bytes:
            shards.append([])
            used = 0
        shards[-1].append((key, dims))
        used += nbytes
    return shards


def write_checkpoint(shape: Shape, folder: Path, seed: int = 0, log: Callable[[str], None] = print) -> dict:
    """The released layout: config.json, bf16 shards + model.safetensors.index.json, the real tokenizer files."""
    folder.mkdir(parents=True, exist_ok=True)
    plan = tensor_plan(shape)
    shards = split_shards(plan, shape.max_shard_bytes, 2)
    names = [f"model-{i + 1:05d}-of-{len(shards):05d}.safetensors" for i in range(len(shards))]
    total, t0 = 0, time.time()
    for name, items in zip(names, shards):
        total += write_safetensors(folder / name, items, "BF16", seed)
        log(f"  {name}: {len(items)} tensors, {total / 1e9:.2f} GB so far, {time.time() - t0:.0f} s")
    index = {"metadata": {"total_size": total},
             "weight_map": {k: n for n, items in zip(names, shards) for k, _ in items}}
    (folder / "model.safetensors.index.json").write_text(json.dumps(index, indent=2))
    hf = shape.cfg.to_hf_config()
    hf["torch_dtype"] = "bfloat16"
    if not shape.slime_block:
        del hf["slime"]
    (folder / "config.json").write_text(json.dumps(hf, indent=2))
    _copy_tokenizer(shape, folder)
    return {"bytes": total, "shards": len(shards), "tensors": len(plan), "seconds": time.time() - t0}


def _copy_tokenizer(shape: Shape, folder: Path) -> None:
    src = shape.tokenizer_dir
    for name in ("tokenizer.json", "tokenizer_config.json"):
        shutil.copyfile(src / name, folder / name)
    cfg = json.loads((src / "tokenizer_config.json").read_text())
    special = {k: cfg[k] for k in ("bos_token", "eos_token", "unk_token", "pad_token") if cfg.get(k)}
    (folder / "special_tokens_map.json").write_text(json.dumps(special, indent=2))


def write_clip(shape: Shape, folder: Path, seed: int = 0) -> dict:
    """An HF CLIP vision folder (config.json + model.safetensors, `vision_model.*` keys) of the tower's shape."""
    folder.mkdir(parents=True, exist_ok=True)
    cfg = shape.cfg
    items = [(k, d) for k, d in tensor_plan(shape) if k.startswith(CLIP_PREFIX)]
    t0 = time.time()
    nbytes = write_safetensors(folder / "model.safetensors", items, shape.clip_dtype, seed + 1,
                               rename=lambda k: "vision_model." + k[len(CLIP_PREFIX):])
    (folder / "config.json").write_text(json.dumps({
        "architectures": ["CLIPVisionModel"], "model_type": "clip_vision_model", "hidden_size": cfg.vision_hidden,
        "intermediate_size": cfg.vision_intermediate, "num_hidden_layers": cfg.vision_layers,
        "num_attention_heads": cfg.vision_heads, "image_size": cfg.image_size, "patch_size": cfg.patch_size,
        "hidden_act": cfg.vision_act, "layer_norm_eps": cfg.layer_norm_eps, "projection_dim": 768,
        "torch_dtype": "float32" if shape.clip_dtype == "F32" else "float16"}, indent=2))
    return {"bytes": nbytes, "seconds": time.time() - t0}
