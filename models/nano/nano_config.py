"""SliME-Nano dimensions: a SlimeConfig sized for 2-core CPU training, ids taken from the Nano tokenizer."""

from __future__ import annotations

from typing import Any

from tokenizers import Tokenizer

from models.nano.tokenizer import special_ids
from models.slime.config import SlimeConfig

NANO_DIMS: dict[str, Any] = dict(
    name="SliME-Nano",
    image_size=112, patch_size=14,  # 8x8 patch grid -> 64 global queries
    vision_hidden=128, vision_layers=4, vision_heads=4, vision_intermediate=384,  # select_layer -2 keeps 3
    local_queries=16, resampler_heads=4,  # 64 -> 16 per tile: the 576 -> 144 compression of the release
    hidden=256, layers=3, heads=4, kv_heads=2, intermediate=512,
    rope_theta=500000.0, max_position=1024, max_length=1024,
    selector_mode="legacy", topp=0.95, temp=1.0, template="llama3", max_tiles=7,
)


def nano_config(tok: Tokenizer, **over: Any) -> SlimeConfig:
    """The Nano config with vocabulary size and special ids read from ``tok``."""
    ids = special_ids(tok)
    d = dict(NANO_DIMS, vocab_size=tok.get_vocab_size(), separator_id=ids["separator"], bos_id=ids["bos"],
             eos_ids=[ids["eot"], ids["end_of_text"]], pad_id=ids["pad"])
    d.update(over)
    return SlimeConfig(**d)
