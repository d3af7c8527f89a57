"""LLaMA decoder step with an explicit KV cache over HF LlamaForCausalLM weights (used by generation and ONNX export)."""

from __future__ import annotations

import torch
from torch import nn
from transformers import LlamaForCausalLM

KV = list[tuple[torch.Tensor, torch.Tensor]]


def _rotate_half(x: torch.Tensor) -> torch.Tensor:
    a, b = x.chunk(2, dim=-1)
    return torch.cat((-b, a), dim=-1)


class KVDecoder(nn.Module):
    """forward(inputs_embeds [B,S,H], attention_mask [B,past+S], position_ids [B,S], past) →
    (last-position logits [B,1,V], presents [(k, v) each [B,kvH,past+S,hd]]). Same math as HF Llama (eager)."""

    def __init__(self, llm: LlamaForCausalLM) -> None:
        super().__init__()
        self.llm = llm
        c = llm.config
        self.heads, self.kv_heads = c.num_attention_heads, c.num_key_value_heads
        self.head_dim = getattr(c, "head_dim", None) or c.hidden_size // c.num_attention_heads

    def rope(self, position_ids: torch.Tensor, dtype: torch.dtype) -> tuple[torch.Tensor, torch.Tensor]:
        inv = self.llm.model.rotary_emb.inv_freq.float()
        freqs = position_ids[..., None].float() * inv
        emb = torch.cat((freqs, freqs), dim=-1)
        scale = getattr(self.llm.model.rotary_emb, "attention_scaling", 1.0)
        return (emb.cos() * scale).to(dtype)[:, None], (emb.sin() * scale).to(dtype)[:, None]

    def forward(
        self, inputs_embeds: torch.Tensor, attention_mask: torch.Tensor, position_ids: torch.Tensor, past: KV
    ) -> tuple[torch.Tensor, KV]:
        x = inputs_embeds
        b, s, _ = x.shape
        cos, sin = self.rope(position_ids, x.dtype)
        past_len = attention_mask.shape[1] - s
        q_pos = torch.arange(s, device=x.device) + past_len
        k_pos = torch.arange(attention_mask.shape[1], device=x.device)
        allowed = (k_pos[None, :] <= q_pos[:, None])[None, None] & (attention_mask[:, None, None, :] > 0)
        bias = torch.where(allowed, 0.0, torch.finfo(torch.float32).min)
        rep = self.heads // self.kv_heads
        presents: KV = []
        for i, layer in enumerate(self.llm.model.layers):
            at = layer.self_attn
            h = layer.input_layernorm(x)
            q = at.q_proj(h).view(b, s, self.heads, self.head_dim).transpose(1, 2)
            k = at.k_proj(h).view(b, s, self.kv_heads, self.head_dim).transpose(1, 2)
            v = at.v_proj(h).view(b, s, self.kv_heads, self.head_dim).transpose(1, 2)
            q = q * cos + _rotate_half(q) * sin
            k = k * cos + _rotate_half(k) * sin
            k = torch.cat([past[i][0], k], dim=2)
            v = torch.cat([past[i][1], v], dim=2)
            presents.append((k, v))
            t = k.shape[2]
            kr = k[:, :, None].expand(b, self.kv_heads, rep, t, self.head_dim).reshape(b, self.heads, t, self.head_dim)
            vr = v[:, :, None].expand(b, self.kv_heads, rep, t, self.head_dim).reshape(b, self.heads, t, self.head_dim)
            sc = torch.matmul(q, kr.transpose(2, 3)).float() * (self.head_dim**-0.5) + bias
            o = torch.matmul(torch.softmax(sc, dim=-1).to(vr.dtype), vr)
            x = x + at.o_proj(o.transpose(1, 2).reshape(b, s, self.heads * self.head_dim))
            x = x + layer.mlp(layer.post_attention_layernorm(x))
        last = self.llm.model.norm(x[:, -1:, :])
        return self.llm.lm_head(last), presents

    def empty_past(self, batch: int = 1, dtype: torch.dtype = torch.float32) -> KV:
        z = torch.zeros(batch, self.kv_heads, 0, self.head_dim, dtype=dtype)
        return [(z, z) for _ in self.llm.model.layers]
