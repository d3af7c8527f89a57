"""Single cross-attention resampler (the Q-former expert and the local compressor), written with explicit math."""

from __future__ import annotations

import math

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn


def sincos_2d(dim: int, grid: int) -> np.ndarray:
    """MAE 2-D sin-cos table [grid², dim]: first half encodes the column, second half the row."""

    def one_d(d: int, pos: np.ndarray) -> np.ndarray:
        omega = 1.0 / 10000 ** (np.arange(d // 2, dtype=np.float64) / (d / 2.0))
        out = np.einsum("m,d->md", pos.reshape(-1), omega)
        return np.concatenate([np.sin(out), np.cos(out)], axis=1)

    g = np.arange(grid, dtype=np.float32)
    ww, hh = np.meshgrid(g, g)  # ww varies along columns
    return np.concatenate([one_d(dim // 2, ww), one_d(dim // 2, hh)], axis=1).astype(np.float32)


def upsample_pos(pos: torch.Tensor, tgt_tokens: int) -> torch.Tensor:
    """Bicubic (align_corners=False, fp32) resize of a square [g², D] table to [tgt_tokens, D]; identity if equal."""
    src, tgt = math.isqrt(pos.shape[0]), math.isqrt(tgt_tokens)
    if src == tgt:
        return pos
    x = pos.float().reshape(1, src, src, -1).permute(0, 3, 1, 2)
    x = F.interpolate(x, size=(tgt, tgt), mode="bicubic", align_corners=False)
    return x.permute(0, 2, 3, 1).flatten(0, 2).to(pos.dtype)


class Resampler(nn.Module):
    """q = LN_q(query) + pos; k = LN_kv(x) + key_pos; v = LN_kv(x); out = LN_post(MHA(q, k, v)).

    Parameter names match the released `Resampler` (query, pos_embed, attn.in_proj_*, attn.out_proj, ln_*).
    `key_pos` is the bicubic upsample of pos_embed to the key grid, recomputed each call unless baked.
    """

    def __init__(self, num_queries: int, dim: int, heads: int, kv_tokens: int, eps: float = 1e-6) -> None:
        super().__init__()
        self.num_queries, self.dim, self.heads, self.kv_tokens = num_queries, dim, heads, kv_tokens
        self.query = nn.Parameter(torch.empty(num_queries, dim))
        nn.init.trunc_normal_(self.query, std=0.02)
        pos = torch.from_numpy(sincos_2d(dim, math.isqrt(num_queries)))
        self.pos_embed = nn.Parameter(pos, requires_grad=False)
        self.attn = nn.MultiheadAttention(dim, heads)
        self.ln_q = nn.LayerNorm(dim, eps=eps)
        self.ln_kv = nn.LayerNorm(dim, eps=eps)
        self.ln_post = nn.LayerNorm(dim, eps=eps)
        self.baked_key_pos: torch.Tensor | None = None

    def key_pos(self) -> torch.Tensor:
        if self.baked_key_pos is not None:
            return self.baked_key_pos
        return upsample_pos(self.pos_embed, self.kv_tokens)

    def bake_key_pos(self) -> None:
        """Freeze the key position table as a constant (for export); call again after loading weights."""
        self.baked_key_pos = upsample_pos(self.pos_embed.detach(), self.kv_tokens).clone()

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """x [B, P, D] → (out [B, Q, D], attention averaged over heads [B, Q, P])."""
        b, p, d = x.shape
        h = self.heads
        hd = d // h
        wq, wk, wv = self.attn.in_proj_weight.chunk(3, dim=0)
        bq, bk, bv = self.attn.in_proj_bias.chunk(3, dim=0)
        q = F.linear(self.ln_q(self.query) + self.pos_embed, wq, bq)  # [Q, D]
        kv = self.ln_kv(x)
        k = F.linear(kv + self.key_pos(), wk, bk)  # [B, P, D]
        v = F.linear(kv, wv, bv)
        q = q.reshape(1, self.num_queries, h, hd).transpose(1, 2)  # [1, h, Q, hd]
        k = k.reshape(b, p, h, hd).transpose(1, 2)  # [B, h, P, hd]
        v = v.reshape(b, p, h, hd).transpose(1, 2)
        att = torch.softmax(torch.matmul(q * (1.0 / math.sqrt(hd)), k.transpose(-1, -2)), dim=-1)  # [B,h,Q,P]
        o = torch.matmul(att, v).transpose(1, 2).reshape(b, self.num_queries, d)
        o = self.attn.out_proj(o)
        return self.ln_post(o), att.mean(dim=1)
