"""Rehearsal shapes: the released SliME sizes, the 1B benchmark shape and a seconds-long quick shape."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from models.slime.config import SlimeConfig

ROOT = Path(__file__).resolve().parents[2]
TOKENIZERS = {
    "llama3": ROOT / "node_modules" / "@lenml" / "tokenizer-llama3" / "models",
    "vicuna_v1": ROOT / "node_modules" / "@lenml" / "tokenizer-llama2" / "models",
}
GB = 1_000_000_000


@dataclass(frozen=True)
class Shape:
    """One rehearsal size: the SliME config, the largest shard (HF save_pretrained's greedy rule) and whether
    config.json keeps the `slime` block (only needed for a vision tower that is not CLIP-L/336)."""

    name: str
    cfg: SlimeConfig
    max_shard_bytes: int
    slime_block: bool = False
    clip_dtype: str = "F32"

    @property
    def tokenizer_dir(self) -> Path:
        return TOKENIZERS[self.cfg.template]


def _one_b() -> SlimeConfig:
    """The benchmark shape of issue 14: hidden 2048, 8 layers, GQA 16/4, FFN 8192, vocab 128257, Llama-3 style."""
    return SlimeConfig.llama3_8b().replace(name="SliME-rehearsal-1b", hidden=2048, layers=8, heads=16, kv_heads=4,
                                           intermediate=8192)


def _quick() -> SlimeConfig:
    """Real Llama-3 vocabulary and template, everything else tiny (a 56 px tile of 14 px patches)."""
    return SlimeConfig.llama3_8b().replace(
        name="SliME-rehearsal-quick", hidden=64, layers=2, heads=4, kv_heads=2, intermediate=128, max_position=4096,
        image_size=56, patch_size=14, vision_hidden=64, vision_layers=3, vision_heads=2, vision_intermediate=128,
        local_queries=4)


SHAPES = {
    "llama3-8b": Shape("llama3-8b", SlimeConfig.llama3_8b(), 5 * GB),
    "vicuna-7b": Shape("vicuna-7b", SlimeConfig.vicuna_7b(), 5 * GB),
    "1b": Shape("1b", _one_b(), 2 * GB),
    "quick": Shape("quick", _quick(), 20_000_000, slime_block=True),
}
