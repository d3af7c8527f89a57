"""Global mixture of adapters (`mm_projector`: shared MLP, 576-query Q-former, per-token router) and the local compressor holder."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from .config import SlimeConfig
from .resampler import Resampler


class GatedProjector(nn.Module):
    """`GatedBlock`: G_i = g_i0·MLP(x)_i + g_i1·MLP(QF(x))_i with g = softmax(x·w_gate)/(1+1e-6)."""

    def __init__(self, cfg: SlimeConfig) -> None:
        super().__init__()
        dv, h = cfg.vision_hidden, cfg.hidden
        self.projection = nn.Sequential(nn.Linear(dv, h), nn.GELU(), nn.Linear(h, h))
        self.attn = Resampler(cfg.global_queries, dv, cfg.n_resampler_heads, cfg.patch_tokens, cfg.resampler_eps)
        self.w_gate = nn.Parameter(torch.zeros(dv, 2))
        self.w_noise = nn.Parameter(torch.zeros(dv, 2), requires_grad=False)  # stored, unused (spec §6.1)
        self.register_buffer("mean", torch.tensor([0.0]))
        self.register_buffer("std", torch.tensor([1.0]))

    def mlp(self, x: torch.Tensor) -> torch.Tensor:
        return self.projection(x)

    def router(self, x: torch.Tensor, noise: bool = False) -> torch.Tensor:
        """Per-token gate weights [.., 2]. Training noise std = softplus(x·w_gate) + 0.01 (the released bug)."""
        logits = x @ self.w_gate
        if noise:
            std = F.softplus(logits) + 0.01
            logits = logits + torch.randn_like(logits) * std
        return torch.softmax(logits, dim=-1) / (1.0 + 1e-6)

    def forward_global(
        self, x: torch.Tensor, learnable_gated: int = -1, noise: bool = False
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """x [B, P, Dv] (global view CLIP features) → (tokens [B, P, H], router weights [B, P, 2])."""
        if learnable_gated == 0:
            w = torch.zeros(*x.shape[:-1], 2, dtype=x.dtype, device=x.device)
            w[..., 0] = 1.0
            return self.mlp(x), w
        qf, _ = self.attn(x)
        if learnable_gated == 1:
            w = torch.zeros(*x.shape[:-1], 2, dtype=x.dtype, device=x.device)
            w[..., 1] = 1.0
            return self.mlp(qf), w
        w = self.router(x, noise)
        # One MLP call over both experts keeps the shared weights in a single matmul.
        both = self.mlp(torch.cat([x, qf], dim=0))
        e0, e1 = both[: x.shape[0]], both[x.shape[0]:]
        return w[..., 0:1] * e0 + w[..., 1:2] * e1, w


class LocalSampler(nn.Module):
    """`sampler`: holds `post_qformer`, the local compressor (local_queries per tile, upsampled key positions)."""

    def __init__(self, cfg: SlimeConfig) -> None:
        super().__init__()
        self.post_qformer = Resampler(
            cfg.local_queries, cfg.vision_hidden, cfg.n_resampler_heads, cfg.patch_tokens, cfg.resampler_eps
        )
