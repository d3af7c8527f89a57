"""The quick rehearsal end to end: released-layout write, int4 conversion, load probe and `slime ask` (Node engine)."""

from __future__ import annotations

import json
import math

import pytest
from safetensors import safe_open

from models.rehearsal.measure import NODE
from models.rehearsal.shapes import SHAPES
from models.rehearsal.writer import split_shards, tensor_plan, write_checkpoint
from models.rehearse import run
from models.slime.checkpoint import load_checkpoint


def test_writer_streams_the_released_layout(tmp_path):
    shape = SHAPES["quick"]
    info = write_checkpoint(shape, tmp_path / "ck")
    index = json.loads((tmp_path / "ck" / "model.safetensors.index.json").read_text())
    plan = dict(tensor_plan(shape))
    assert set(index["weight_map"]) == set(plan) and info["shards"] == len(set(index["weight_map"].values())) > 1
    assert index["metadata"]["total_size"] == info["bytes"]
    cfg = json.loads((tmp_path / "ck" / "config.json").read_text())
    assert cfg["architectures"] == ["LlavaLlamaForCausalLM"] and cfg["torch_dtype"] == "bfloat16"
    shard = next(iter(set(index["weight_map"].values())))
    with safe_open(str(tmp_path / "ck" / shard), "pt") as f:
        for key in f.keys():
            t = f.get_tensor(key)
            assert list(t.shape) == plan[key] and str(t.dtype) == "torch.bfloat16" and t.isfinite().all()
    loaded = load_checkpoint(tmp_path / "ck", use_checkpoint_clip=True, log=lambda _: None)
    assert loaded.cfg.vocab_size == 128257 and loaded.cfg.template == "llama3"
    # the real Llama-3 tokenizer travels with it
    assert json.loads((tmp_path / "ck" / "tokenizer.json").read_text())["model"]["type"] == "BPE"


def test_shards_split_like_save_pretrained():
    plan = [("a", [10]), ("b", [10]), ("c", [30]), ("d", [5])]
    assert [[k for k, _ in s] for s in split_shards(plan, 40, 1)] == [["a", "b"], ["c", "d"]]


def test_released_sizes_match_the_spec():
    """Parameter counts of the full-size plans (no data written): Llama3-8B and vicuna-7B with their CLIP copy."""
    count = {n: sum(math.prod(d) for _, d in tensor_plan(SHAPES[n])) for n in SHAPES}
    assert 8.3e9 < count["llama3-8b"] < 8.4e9 and 7.0e9 < count["vicuna-7b"] < 7.1e9
    assert 1.3e9 < count["1b"] < 1.35e9


@pytest.mark.skipif(not NODE.exists(), reason="the Node engine (node_modules/.bin/node) is not installed")
def test_quick_rehearsal_answers_through_slime_ask(tmp_path):
    entry = run("quick", tmp_path, ["int4"], max_tokens=4, force=False, ask=True, results=tmp_path / "results.json",
                log=lambda _: None)
    conv = entry["convert"]["int4"]
    assert conv["returncode"] == 0, conv.get("error")
    assert conv["peak_rss_mb"] < 4096 and conv["files_mb"] > 0
    r = entry["run"]["int4"]
    assert "error" not in r["load"], r["load"]
    assert "error" not in r["ask"], r["ask"]
    assert r["ask"]["grid"] == "2x3" and r["ask"]["generated"] >= 1 and r["load"]["load_ms"] > 0
    assert r["ask"]["inference_peak_rss_mb"] > 0 and r["load_rss_target_met"]
    assert "## quick" in (tmp_path / "RESULTS.md").read_text()
