"""manifest.json version 2 (models/MANIFEST.md, CONTRACT-v2): graph entries with hashes, model and LLM metadata."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

MANIFEST_VERSION = 2
EXPORTER = "models.export 0.2.0"


def sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def graph_entry(out: Path, file: str, external: list[str], spec: dict[str, Any]) -> dict[str, Any]:
    path = out / file
    return {"file": file, "sha256": sha256(path), "bytes": path.stat().st_size,
            "external_data": [{"file": e, "sha256": sha256(out / e), "bytes": (out / e).stat().st_size}
                              for e in external], **spec}


def build_manifest(cfg: Any, graphs: dict[str, Any], out: Path, dtype: str, name: str | None,
                   source: dict[str, Any] | None, max_new_tokens: int, tok_config: str | None) -> dict[str, Any]:
    cfg_json = json.dumps(cfg.to_hf_config(), sort_keys=True).encode()
    order = ("vision_encoder", "projector", "embed_tokens", "decoder")
    return {
        "format": "slime-studio-model",
        "version": MANIFEST_VERSION,
        "name": name or cfg.name,
        "architecture": "slime",
        "dtype": dtype,
        "created_by": EXPORTER,
        "source": {**(source or {}), "config_sha256": hashlib.sha256(cfg_json).hexdigest()},
        "graphs": {g: graphs[g] for g in order},
        "vision": {
            "image_size": cfg.image_size, "patch_size": cfg.patch_size, "patch_grid": cfg.patch_grid,
            "patch_tokens": cfg.patch_tokens, "hidden": cfg.vision_hidden, "mean": list(cfg.image_mean),
            "std": list(cfg.image_std), "max_tiles": cfg.max_tiles, "min_tiles": 2, "tile_pad_rgb": [0, 0, 0],
            "resample": "pil-bicubic",
        },
        "projector": {"global_queries": cfg.global_queries, "local_queries": cfg.local_queries,
                      "local_grid": cfg.local_grid, "hidden": cfg.hidden},
        "llm": {"hidden": cfg.hidden, "layers": cfg.layers, "heads": cfg.heads, "kv_heads": cfg.kv_heads,
                "head_dim": cfg.head_dim, "vocab_size": cfg.vocab_size, "max_length": cfg.max_length,
                "rope_theta": float(cfg.rope_theta), "kv_dtype": "float16" if dtype == "fp16" else "float32",
                "max_positions": max(cfg.max_position, cfg.max_length)},
        "tokenizer": {"file": "tokenizer.json", "sha256": sha256(out / "tokenizer.json"), "config_file": tok_config},
        "template": cfg.template,
        "special_tokens": {"bos": cfg.bos_id, "eos": list(cfg.eos_ids),
                           "pad": cfg.pad_id if cfg.pad_id >= 0 else None, "image_placeholder": -200},
        "separator_id": cfg.separator_id,
        "selector": {"mode": cfg.selector_mode, "top_p": cfg.topp, "temperature": cfg.temp,
                     "legacy_first_temperature": 0.5},
        "generation": {"max_new_tokens": max_new_tokens},
    }
