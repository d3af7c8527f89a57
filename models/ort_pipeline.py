"""Reference host pipeline over an exported model folder with onnxruntime (what electron/inference does in TS)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import onnxruntime as ort
import torch
from PIL import Image
from tokenizers import Tokenizer

from .slime.config import SlimeConfig
from .slime.preprocess import process_image
from .slime.selector import raster_order, select


def config_from_manifest(m: dict[str, Any]) -> SlimeConfig:
    """The SlimeConfig fields the host side needs (LLM and vision depths are not in the manifest)."""
    v, p, llm, st = m["vision"], m["projector"], m["llm"], m["special_tokens"]
    return SlimeConfig(
        name=m["name"], image_size=v["image_size"], patch_size=v["patch_size"], vision_hidden=v["hidden"],
        vision_heads=1, vision_layers=1, select_layer=-1, image_mean=tuple(v["mean"]), image_std=tuple(v["std"]),
        max_tiles=v["max_tiles"], local_queries=p["local_queries"], resampler_heads=1, hidden=llm["hidden"],
        layers=llm["layers"], heads=llm["heads"], kv_heads=llm["kv_heads"], vocab_size=llm["vocab_size"],
        max_length=llm["max_length"], template=m["template"], bos_id=st.get("bos") or 0, eos_ids=st["eos"],
        pad_id=st.get("pad") if st.get("pad") is not None else -1, separator_id=m["separator_id"],
        selector_mode=m["selector"]["mode"], topp=m["selector"]["top_p"], temp=m["selector"]["temperature"],
    )


def kept_override(keep: list[int], m: int) -> np.ndarray:
    """An explicit kept set as ascending int64 indices; ValueError unless unique integers in [0, m)."""
    bad = [j for j in keep if int(j) != j or not 0 <= j < m]
    if bad:
        raise ValueError(f"keep: index {bad[0]} is outside the local grid (0..{m - 1})")
    if len(set(keep)) != len(keep):
        raise ValueError("keep: indices must be unique")
    return np.sort(np.asarray(keep, dtype=np.int64))


class OrtSlime:
    """Loads manifest.json + the four graphs; mirrors SlimeForCausalLM.build_inputs_embeds / generate_greedy."""

    def __init__(self, folder: str | Path, threads: int = 0) -> None:
        self.folder = Path(folder)
        self.manifest = json.loads((self.folder / "manifest.json").read_text())
        if self.manifest.get("version") != 2:
            raise ValueError(f"{self.folder}: manifest version {self.manifest.get('version')} (expected 2); re-export "
                             "with python -m models.export or upgrade with python -m models.upgrade OLD_DIR NEW_DIR")
        self.cfg = config_from_manifest(self.manifest)
        so = ort.SessionOptions()
        so.log_severity_level = 3
        so.intra_op_num_threads = threads  # 0: onnxruntime's default (all cores); Ray workers pass 1
        self.s = {g: ort.InferenceSession(str(self.folder / spec["file"]), so, providers=["CPUExecutionProvider"])
                  for g, spec in self.manifest["graphs"].items()}
        self.tokenizer = Tokenizer.from_file(str(self.folder / self.manifest["tokenizer"]["file"]))
        self.head_dim = self.manifest["llm"]["head_dim"]

    def preprocess(self, image: Image.Image) -> tuple[np.ndarray, tuple[int, int]]:
        pv, grid = process_image(image, self.cfg)
        return pv.numpy(), grid

    def vision(self, pixel_values: np.ndarray) -> np.ndarray:
        return self.s["vision_encoder"].run(None, {"pixel_values": pixel_values})[0]

    def project(self, feats: np.ndarray) -> dict[str, np.ndarray]:
        out = self.s["projector"].run(None, {"global_feats": feats[:1], "local_feats": feats[1:]})
        return dict(zip(("global_tokens", "router_weights", "local_tokens", "local_attention"), out))

    def embed(self, ids: list[int]) -> np.ndarray:
        return self.s["embed_tokens"].run(None, {"input_ids": np.asarray([ids], dtype=np.int64)})[0][0]

    def build(self, ids: list[int], pixel_values: np.ndarray | None, grid: tuple[int, int] | None,
              mode: str | None = None, topp: float | None = None,
              keep: list[int] | None = None) -> tuple[np.ndarray, dict[str, Any]]:
        """Decoder input rows. `keep` overrides the kept decision (the engine's `selector.keep`): unique raster indices
        in [0, M); `[]` = global only, without the separator row (SliME's `use_global_only`)."""
        text = [i for i in ids if i != -200]
        if -200 not in ids or pixel_values is None or grid is None:
            return self.embed(text)[: self.cfg.max_length], {"n_visual": 0}
        proj = self.project(self.vision(pixel_values))
        raster = raster_order(torch.from_numpy(proj["local_tokens"]), *grid)
        sel = select(raster, torch.from_numpy(self.embed(text[: self.cfg.max_length])), mode or self.cfg.selector_mode,
                     self.cfg.topp if topp is None else topp, self.cfg.temp)
        kept = sel["kept_idx"].numpy() if keep is None else kept_override(keep, raster.shape[0])
        p = ids.index(-200)
        local = [self.embed([self.cfg.separator_id]), raster.numpy()[kept]] if keep is None or len(keep) else []
        parts = [self.embed(ids[:p]) if p else None, proj["global_tokens"], *local,
                 self.embed(ids[p + 1:]) if p + 1 < len(ids) else None]
        emb = np.concatenate([x for x in parts if x is not None], axis=0)[: self.cfg.max_length]
        return emb, {"kept_idx": kept, "scores": sel["scores"].numpy(), "projector": proj, "seq_len": emb.shape[0]}

    def generate(self, ids: list[int], pixel_values: np.ndarray | None = None, grid: tuple[int, int] | None = None,
                 max_new_tokens: int = 8, keep: list[int] | None = None, topp: float | None = None) -> dict[str, Any]:
        emb, info = self.build(ids, pixel_values, grid, topp=topp, keep=keep)
        dec = self.s["decoder"]
        names = [i.name for i in dec.get_inputs()][2:]
        llm = self.manifest["llm"]
        kv_dt = np.float16 if llm["kv_dtype"] == "float16" else np.float32
        past = {n: np.zeros((1, llm["kv_heads"], 0, self.head_dim), kv_dt) for n in names}
        x, total, tokens, first = emb[None].astype(np.float32), 0, [], None
        for _ in range(max_new_tokens):
            s = x.shape[1]
            out = dec.run(None, {"inputs_embeds": x, "attention_mask": np.ones((1, total + s), np.int64), **past})
            total += s
            logits = out[0][0, 0]
            first = logits if first is None else first
            past = dict(zip(names, out[1:]))
            tok = int(np.argmax(logits))
            tokens.append(tok)
            if tok in self.cfg.eos_ids:
                break
            x = self.embed([tok])[None]
        return {"tokens": tokens, "first_logits": first, "info": info}
