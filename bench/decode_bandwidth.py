"""bench:decode helper: this machine's read bandwidth (1 and 2 threads) and the bytes one int4 decode step reads."""

from __future__ import annotations

import argparse
import json
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

BLOCK = 64  # MatMulNBits block size of our int4 exports (models/convert/weights.py): one fp32 scale per 64 weights


def read_bandwidth(threads: int, mb: int = 1024, repeats: int = 7) -> float:
    """Best GB/s of summing a buffer far larger than the caches, split across `threads` (numpy drops the GIL)."""
    a = np.ones(mb * 2**20 // 8, dtype=np.float64)
    parts = np.array_split(a, threads)
    best = float("inf")
    with ThreadPoolExecutor(threads) as pool:
        for _ in range(repeats):
            t0 = time.perf_counter()
            list(pool.map(np.sum, parts))
            best = min(best, time.perf_counter() - t0)
    return a.nbytes / best / 1e9


def step_bytes(cfg: dict, rows: int, kv_bytes: int = 4) -> dict:
    """Bytes an int4 decode step must read: every LLM matrix (4 bits + an fp32 scale per BLOCK, the pruned head
    included), the fp16 embedding row, norms, and the fp32 K/V of `rows` cached positions in every layer."""
    h, inter, layers = cfg["hidden_size"], cfg["intermediate_size"], cfg["num_hidden_layers"]
    heads = cfg["num_attention_heads"]
    kv_heads = cfg.get("num_key_value_heads") or heads
    hd = h // heads
    per_layer = h * (heads * hd) + 2 * h * (kv_heads * hd) + (heads * hd) * h + 3 * h * inter
    vocab = cfg["vocab_size"]
    matmul_params = layers * per_layer + vocab * h
    weights = matmul_params // 2 + matmul_params // BLOCK * 4
    kv = layers * 2 * kv_heads * hd * rows * kv_bytes
    small = 2 * h + (2 * layers + 1) * h * 4
    return {"weights": weights, "kv": kv, "other": small, "total": weights + kv + small, "rows": rows}


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--checkpoint", required=True)
    ap.add_argument("--rows", type=int, required=True, help="cached rows at the middle of the decode")
    a = ap.parse_args()
    cfg = json.loads((Path(a.checkpoint) / "config.json").read_text())
    out = {"bandwidth_gb_s": {"1": read_bandwidth(1), "2": read_bandwidth(2)}, "step_bytes": step_bytes(cfg, a.rows)}
    print(json.dumps(out))
