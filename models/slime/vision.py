"""Vision tower: HF CLIPVisionModel truncated to the select layer, CLS dropped, post_layernorm never applied."""

from __future__ import annotations

import torch
from torch import nn
from transformers import CLIPVisionConfig, CLIPVisionModel

from .config import SlimeConfig


def clip_config(cfg: SlimeConfig) -> CLIPVisionConfig:
    c = CLIPVisionConfig(
        hidden_size=cfg.vision_hidden, intermediate_size=cfg.vision_intermediate,
        num_hidden_layers=cfg.vision_kept_layers, num_attention_heads=cfg.vision_heads,
        image_size=cfg.image_size, patch_size=cfg.patch_size, hidden_act=cfg.vision_act,
        layer_norm_eps=cfg.layer_norm_eps, num_channels=3,
    )
    c._attn_implementation = "eager"
    return c


class SlimeVision(nn.Module):
    """`vision.clip` is a CLIPVisionModel with only the layers up to `select_layer` (23 of 24 for CLIP-L)."""

    def __init__(self, cfg: SlimeConfig) -> None:
        super().__init__()
        self.clip = CLIPVisionModel(clip_config(cfg))

    def forward(self, pixel_values: torch.Tensor) -> torch.Tensor:
        """pixel_values [V, 3, T, T] → patch features [V, P, Dv] (hidden_states[select_layer] without CLS)."""
        c = self.clip
        h = c.pre_layrnorm(c.embeddings(pixel_values))
        for layer in c.encoder.layers:
            h = layer(h, None)
        return h[:, 1:, :]
