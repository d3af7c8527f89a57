"""Our decoder graph vs onnxruntime-genai's model builder on the same tiny LLM (test-only reference, run offline)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import onnxruntime as ort
import pytest

from models import export
from models.slime.checkpoint import load_checkpoint
from models.slime.tiny import write_tiny_checkpoint

# max |ours - genai| <= REL * max |genai| over every step (both fp32 graphs of the same weights, same kernels)
REL = 1e-4


def _session(path: Path) -> ort.InferenceSession:
    so = ort.SessionOptions()
    so.log_severity_level = 3
    return ort.InferenceSession(str(path), so, providers=["CPUExecutionProvider"])


def _genai_build(llm_dir: Path, out: Path) -> None:
    pytest.importorskip("onnxruntime_genai", reason="onnxruntime-genai (test-only reference) is not installed")
    cmd = [sys.executable, "-m", "onnxruntime_genai.models.builder", "-i", str(llm_dir), "-o", str(out), "-p", "fp32",
           "-e", "cpu", "--extra_options", "exclude_embeds=true", "prune_lm_head=true"]
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    if r.returncode != 0 or not (out / "model.onnx").exists():
        pytest.skip(f"onnxruntime-genai builder could not run offline: {r.stderr[-400:]}")


@pytest.mark.parametrize("style", ["llama3", "vicuna"])
def test_decoder_matches_genai_builder(style: str, tmp_path: Path) -> None:
    write_tiny_checkpoint(tmp_path / "ckpt", style, seed=21)
    model = load_checkpoint(tmp_path / "ckpt", use_checkpoint_clip=True, log=lambda s: None).model
    model.llm.save_pretrained(tmp_path / "llm")  # a plain LlamaForCausalLM folder from the same tensors
    for f in ("tokenizer.json", "tokenizer_config.json"):
        shutil.copyfile(tmp_path / "ckpt" / f, tmp_path / "llm" / f)
    _genai_build(tmp_path / "llm", tmp_path / "genai")
    assert export.main(["--checkpoint", str(tmp_path / "ckpt"), "--out", str(tmp_path / "ours"),
                        "--use-checkpoint-clip"]) == 0
    ours, ref = _session(tmp_path / "ours" / "decoder.onnx"), _session(tmp_path / "genai" / "model.onnx")
    cfg = model.cfg
    empty = np.zeros((1, cfg.kv_heads, 0, cfg.head_dim), np.float32)
    po = {i.name: empty for i in ours.get_inputs()[2:]}
    pr = {i.name: empty for i in ref.get_inputs() if i.name.startswith("past_key_values")}
    assert set(po) == set(pr)
    rng, total = np.random.default_rng(3), 0
    for s in (13, 4, 1, 1, 1):  # prompt, a chunk with cache, three decode steps
        x = rng.standard_normal((1, s, cfg.hidden)).astype(np.float32)
        feeds = {"inputs_embeds": x, "attention_mask": np.ones((1, total + s), np.int64)}
        o = dict(zip([v.name for v in ours.get_outputs()], ours.run(None, {**feeds, **po})))
        r = dict(zip([v.name for v in ref.get_outputs()], ref.run(None, {**feeds, **pr})))
        total += s
        assert o["logits"].shape == r["logits"].shape == (1, 1, cfg.vocab_size)
        err = np.abs(o["logits"] - r["logits"]).max()
        assert err <= REL * np.abs(r["logits"]).max(), (s, err)
        po = {n: o[n.replace("past_key_values", "present")] for n in po}
        pr = {n: r[n.replace("past_key_values", "present")] for n in pr}
