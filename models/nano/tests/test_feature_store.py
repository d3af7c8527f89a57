"""The feature store of cache_scenes: a second run loads the same features; other vision weights miss it."""

from __future__ import annotations

from pathlib import Path

import torch

from models.nano import samples_data as sd
from models.slime import SlimeForCausalLM
from models.slime.config import SlimeConfig

CFG = SlimeConfig.tiny(image_size=112, patch_size=14, vision_hidden=32, local_queries=16)


def test_store_round_trip_and_key(tmp_path: Path) -> None:
    torch.manual_seed(0)
    model = SlimeForCausalLM(CFG)
    store = tmp_path / "features" / "train.pt"
    first = sd.cache_scenes(model, CFG, "train", 3, 4, store=store)
    files = list(store.parent.iterdir())
    assert len(files) == 1
    again = sd.cache_scenes(model, CFG, "train", 3, 4, store=store)
    for a, b in zip(first, again):
        assert a.grid == b.grid and a.scene.index == b.scene.index
        assert a.feats.dtype == torch.float16 and torch.equal(a.feats, b.feats)
        assert [q.question for q in a.scene.questions] == [q.question for q in b.scene.questions]
    with torch.no_grad():
        next(model.vision.parameters()).add_(0.1)
    changed = sd.cache_scenes(model, CFG, "train", 3, 4, store=store)
    assert len(list(store.parent.iterdir())) == 2
    assert not torch.equal(changed[0].feats, first[0].feats)


def test_sizes_are_part_of_the_key(tmp_path: Path) -> None:
    torch.manual_seed(0)
    model = SlimeForCausalLM(CFG)
    store = tmp_path / "features" / "val.pt"
    plain = sd.cache_scenes(model, CFG, "val", 0, 2, store=store)
    small = sd.cache_scenes(model, CFG, "val", 0, 2, store=store, sizes=(10, 11))
    assert len(list(store.parent.iterdir())) == 2
    again = sd.cache_scenes(model, CFG, "val", 0, 2, store=store, sizes=(10, 11))
    assert torch.equal(again[0].feats, small[0].feats) and not torch.equal(plain[0].feats, small[0].feats)
    assert {o.box[2] - o.box[0] for c in again for o in c.scene.objects} <= {10, 11}
