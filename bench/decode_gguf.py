"""Writes a Q4_0 GGUF (llama.cpp's anchor) from a released-layout SliME checkpoint's LLM weights, offline."""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import gguf
import numpy as np
from gguf import GGMLQuantizationType as Q

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from models.slime.checkpoint import TensorSource, weight_files  # noqa: E402

LAYER = {"self_attn.q_proj": "attn_q", "self_attn.k_proj": "attn_k", "self_attn.v_proj": "attn_v",
         "self_attn.o_proj": "attn_output", "mlp.gate_proj": "ffn_gate", "mlp.up_proj": "ffn_up",
         "mlp.down_proj": "ffn_down", "input_layernorm": "attn_norm", "post_attention_layernorm": "ffn_norm"}


def rotary_rows(w: np.ndarray, heads: int) -> np.ndarray:
    """HF's rotate-half row order → llama.cpp's interleaved pairs (what its own converter does to q and k)."""
    rows = w.shape[0]
    return w.reshape(heads, 2, rows // heads // 2, *w.shape[1:]).swapaxes(1, 2).reshape(w.shape)


def vocabulary(folder: Path, rows: int) -> tuple[list[str], list[int], list[str]]:
    """Tokens, token types and merges of tokenizer.json, padded with [PAD…] up to the embedding's rows."""
    tok = json.loads((folder / "tokenizer.json").read_text())
    by_id: dict[int, tuple[str, int]] = {i: (t, gguf.TokenType.NORMAL) for t, i in tok["model"]["vocab"].items()}
    for a in tok.get("added_tokens", []):
        by_id[a["id"]] = (a["content"], gguf.TokenType.CONTROL if a.get("special") else gguf.TokenType.USER_DEFINED)
    tokens, types = [], []
    for i in range(rows):
        t, ty = by_id.get(i, (f"[PAD{i}]", gguf.TokenType.UNUSED))
        tokens.append(t)
        types.append(int(ty))
    merges = [m if isinstance(m, str) else " ".join(m) for m in tok["model"]["merges"]]
    return tokens, types, merges


def metadata(w: gguf.GGUFWriter, cfg: dict, folder: Path, rows: int) -> None:
    heads, hidden = cfg["num_attention_heads"], cfg["hidden_size"]
    w.add_name(folder.name)
    w.add_context_length(cfg.get("max_position_embeddings", 8192))
    w.add_embedding_length(hidden)
    w.add_block_count(cfg["num_hidden_layers"])
    w.add_feed_forward_length(cfg["intermediate_size"])
    w.add_head_count(heads)
    w.add_head_count_kv(cfg.get("num_key_value_heads") or heads)
    w.add_rope_freq_base(float(cfg.get("rope_theta", 10000.0)))
    w.add_layer_norm_rms_eps(float(cfg.get("rms_norm_eps", 1e-5)))
    w.add_rope_dimension_count(hidden // heads)
    w.add_vocab_size(rows)
    w.add_file_type(gguf.LlamaFileType.MOSTLY_Q4_0)
    tokens, types, merges = vocabulary(folder, rows)
    w.add_tokenizer_model("gpt2")
    w.add_tokenizer_pre("llama-bpe")
    w.add_token_list(tokens)
    w.add_token_types(types)
    w.add_token_merges(merges)
    w.add_bos_token_id(int(cfg.get("bos_token_id", 128000)))
    eos = cfg.get("eos_token_id", 128009)
    w.add_eos_token_id(int(eos[0] if isinstance(eos, list) else eos))
    w.add_add_bos_token(False)


def tensors(src: TensorSource, cfg: dict):
    """(gguf name, float32 array) pairs: LLM tensors only, q/k rows permuted."""
    heads, kv = cfg["num_attention_heads"], cfg.get("num_key_value_heads") or cfg["num_attention_heads"]
    yield "token_embd.weight", src.get("model.embed_tokens.weight")
    for i in range(cfg["num_hidden_layers"]):
        for hf, name in LAYER.items():
            suffix = ".weight"
            t = src.get(f"model.layers.{i}.{hf}{suffix}")
            if name == "attn_q":
                t = rotary_rows(t.float().numpy(), heads)
            elif name == "attn_k":
                t = rotary_rows(t.float().numpy(), kv)
            yield f"blk.{i}.{name}.weight", t
    yield "output_norm.weight", src.get("model.norm.weight")
    yield "output.weight", src.get("lm_head.weight")


def write_gguf(checkpoint: Path, out: Path) -> dict:
    cfg = json.loads((checkpoint / "config.json").read_text())
    src = TensorSource(weight_files(checkpoint))
    rows = src.shape("model.embed_tokens.weight")[0]
    t0 = time.time()
    tmp = out.with_suffix(".partial")
    w = gguf.GGUFWriter(str(tmp), "llama")
    metadata(w, cfg, checkpoint, rows)
    for name, t in tensors(src, cfg):
        a = t if isinstance(t, np.ndarray) else t.float().numpy()
        if a.ndim == 2:
            w.add_tensor(name, gguf.quants.quantize(a, Q.Q4_0), raw_dtype=Q.Q4_0)
        else:
            w.add_tensor(name, a.astype(np.float32))
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()
    tmp.rename(out)
    return {"gguf": str(out), "bytes": out.stat().st_size, "seconds": round(time.time() - t0, 1)}


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--checkpoint", required=True)
    ap.add_argument("--out", required=True)
    a = ap.parse_args()
    print(json.dumps(write_gguf(Path(a.checkpoint), Path(a.out))))
