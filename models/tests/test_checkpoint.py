"""Released-layout loading of tiny random checkpoints (Llama-3 and Vicuna style) and its error messages."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file, save_file

from models.slime.checkpoint import CheckpointError, load_checkpoint
from models.slime.config import ConfigError
from models.slime.tiny import write_tiny_checkpoint


def quiet(_: str) -> None:
    pass


@pytest.fixture(scope="module")
def ckpts(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Path, Path, torch.nn.Module]]:
    root = tmp_path_factory.mktemp("ckpt")
    out = {}
    for style in ("llama3", "vicuna"):
        m = write_tiny_checkpoint(root / style, style, seed=3, clip_dir=root / f"{style}-clip")
        out[style] = (root / style, root / f"{style}-clip", m)
    return out


def copy(src: Path, dst: Path) -> Path:
    shutil.copytree(src, dst)
    return dst


@pytest.mark.parametrize("style", ["llama3", "vicuna"])
@pytest.mark.parametrize("clip_from", ["folder", "checkpoint"])
def test_loads_released_layout_exactly(ckpts: dict, style: str, clip_from: str) -> None:
    folder, clip, ref = ckpts[style]
    index = json.loads((folder / "model.safetensors.index.json").read_text())["weight_map"]
    assert any(k.startswith("model.vision_tower.vision_tower.vision_model.encoder.layers.2.") for k in index)
    assert "model.mm_projector.attn.attn.in_proj_weight" in index and "model.sampler.post_qformer.query" in index
    assert len(set(index.values())) == 2
    kw = {"clip": clip} if clip_from == "folder" else {"use_checkpoint_clip": True}
    got = load_checkpoint(folder, log=quiet, **kw)
    assert got.cfg.template == ("llama3" if style == "llama3" else "vicuna_v1")
    assert got.cfg.vocab_size == ref.cfg.vocab_size
    assert got.cfg.vision_heads == ref.cfg.vision_heads
    a, b = ref.state_dict(), got.model.state_dict()
    assert a.keys() == b.keys()
    assert all(torch.equal(a[k], b[k]) for k in a)
    assert not any(t.is_meta for t in list(got.model.parameters()) + list(got.model.buffers()))
    pv = torch.randn(3, 3, ref.cfg.image_size, ref.cfg.image_size, generator=torch.Generator().manual_seed(0))
    ids = [ref.cfg.bos_id, 7, -200, 8, 9]
    with torch.no_grad():
        want = ref.generate_greedy(ids, pv, (1, 2), max_new_tokens=3)
        have = got.model.generate_greedy(ids, pv, (1, 2), max_new_tokens=3)
    assert torch.allclose(want["first_logits"], have["first_logits"], atol=1e-6) and want["tokens"] == have["tokens"]
    assert set(got.tokenizer_files) == {"tokenizer.json", "tokenizer_config.json"}


def test_llama3_pad_row_makes_vocab_from_shapes(ckpts: dict) -> None:
    folder, _, ref = ckpts["llama3"]
    cfg = json.loads((folder / "config.json").read_text())
    assert cfg["pad_token_id"] == ref.cfg.vocab_size - 1  # like 128256 in a 128257-row checkpoint


def test_checkpoint_clip_is_ignored_unless_asked(ckpts: dict) -> None:
    folder, _, _ = ckpts["llama3"]
    with pytest.raises(CheckpointError, match="CLIP weights needed"):
        load_checkpoint(folder, log=quiet)


def test_missing_shard_is_named(ckpts: dict, tmp_path: Path) -> None:
    d = copy(ckpts["llama3"][0], tmp_path / "c")
    (d / "model-00002-of-00002.safetensors").unlink()
    with pytest.raises(CheckpointError, match=r"shard 'model-00002-of-00002.safetensors'"):
        load_checkpoint(d, use_checkpoint_clip=True, log=quiet)


def test_unsupported_config_value_is_named(ckpts: dict, tmp_path: Path) -> None:
    d = copy(ckpts["vicuna"][0], tmp_path / "c")
    cfg = json.loads((d / "config.json").read_text())
    cfg["mm_projector_type"] = "mlp2x_gelu"
    (d / "config.json").write_text(json.dumps(cfg))
    with pytest.raises(ConfigError, match=r"config.json: unsupported mm_projector_type='mlp2x_gelu'"):
        load_checkpoint(d, clip=ckpts["vicuna"][1], log=quiet)


def test_shape_mismatch_names_tensor_and_file(ckpts: dict, tmp_path: Path) -> None:
    d = copy(ckpts["llama3"][0], tmp_path / "c")
    index = json.loads((d / "model.safetensors.index.json").read_text())["weight_map"]
    key = "model.sampler.post_qformer.query"
    shard = d / index[key]
    sd = load_file(str(shard))
    sd[key] = torch.zeros(9, sd[key].shape[1])
    save_file(sd, str(shard))
    with pytest.raises(CheckpointError, match=rf"{shard.name}: tensor '{key}' has shape \[9, 32\]"):
        load_checkpoint(d, use_checkpoint_clip=True, log=quiet)


def test_missing_and_unknown_tensors_are_named(ckpts: dict, tmp_path: Path) -> None:
    d = copy(ckpts["llama3"][0], tmp_path / "c")
    index_path = d / "model.safetensors.index.json"
    index = json.loads(index_path.read_text())
    del index["weight_map"]["model.mm_projector.w_gate"]
    index_path.write_text(json.dumps(index))
    with pytest.raises(CheckpointError, match=r"lacks tensor 'model.mm_projector.w_gate'"):
        load_checkpoint(d, use_checkpoint_clip=True, log=quiet)
    index["weight_map"]["model.mm_projector.w_gate"] = "model-00001-of-00002.safetensors"
    index["weight_map"]["model.image_newline"] = "model-00001-of-00002.safetensors"
    index_path.write_text(json.dumps(index))
    with pytest.raises(CheckpointError, match="model.image_newline"):
        load_checkpoint(d, use_checkpoint_clip=True, log=quiet)


def test_missing_tokenizer_json_is_named(ckpts: dict, tmp_path: Path) -> None:
    d = copy(ckpts["llama3"][0], tmp_path / "c")
    (d / "tokenizer.json").unlink()
    with pytest.raises(CheckpointError, match="tokenizer.json not found"):
        load_checkpoint(d, use_checkpoint_clip=True, log=quiet)
