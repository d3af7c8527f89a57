"""Streaming `python -m models.export`: reduced precision against fp32, and the failures it must name (CLI level)."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import numpy as np
import onnxruntime as ort
import pytest
from safetensors.torch import load_file, save_file

from models import export
from models.slime.tiny import write_tiny_checkpoint

# max |logits - fp32 logits| / max |fp32 logits| over a 12-row prompt and 3 cached steps
TOL = {"fp16": 2e-3, "int4": 0.15}  # measured 6.9e-4 and 0.090 (random weights: int4 worst case)


@pytest.fixture(scope="module")
def ckpt(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("stream")
    write_tiny_checkpoint(root / "ckpt", "llama3", seed=5, hidden=128, heads=4, kv_heads=2, intermediate=256)
    assert export.main(["--checkpoint", str(root / "ckpt"), "--out", str(root / "fp32"), "--use-checkpoint-clip"]) == 0
    return root


def _run(folder: Path, kv: type, seed: int = 1) -> list[np.ndarray]:
    so = ort.SessionOptions()
    so.log_severity_level = 3
    m = json.loads((folder / "manifest.json").read_text())["llm"]
    dec = ort.InferenceSession(str(folder / "decoder.onnx"), so, providers=["CPUExecutionProvider"])
    past = {i.name: np.zeros((1, m["kv_heads"], 0, m["head_dim"]), kv) for i in dec.get_inputs()[2:]}
    rng, total, logits = np.random.default_rng(seed), 0, []
    for s in (12, 1, 1, 1):
        x = rng.standard_normal((1, s, m["hidden"])).astype(np.float32)
        out = dec.run(None, {"inputs_embeds": x, "attention_mask": np.ones((1, total + s), np.int64), **past})
        total += s
        logits.append(out[0])
        past = dict(zip(past, out[1:]))
    return logits


@pytest.mark.parametrize("dtype", ["fp16", "int4"])
def test_reduced_precision_close_to_fp32(ckpt: Path, dtype: str) -> None:
    out = ckpt / dtype
    assert export.main(["--checkpoint", str(ckpt / "ckpt"), "--out", str(out), "--dtype", dtype,
                        "--use-checkpoint-clip"]) == 0
    m = json.loads((out / "manifest.json").read_text())
    assert m["dtype"] == dtype and m["llm"]["kv_dtype"] == ("float16" if dtype == "fp16" else "float32")
    ops = {n.op_type for n in __import__("onnx").load(str(out / "decoder.onnx"), load_external_data=False).graph.node}
    assert ("MatMulNBits" in ops) == (dtype == "int4") and "GroupQueryAttention" in ops
    ref = _run(ckpt / "fp32", np.float32)
    got = _run(out, np.float16 if dtype == "fp16" else np.float32)
    err = max(float(np.abs(g - r).max() / np.abs(r).max()) for g, r in zip(got, ref))
    assert err <= TOL[dtype], err
    assert (out / "embed_tokens.onnx.data").stat().st_size < (ckpt / "fp32" / "embed_tokens.onnx.data").stat().st_size


def _fails(ckpt_dir: Path, out: Path, capsys: pytest.CaptureFixture, *needles: str) -> None:
    assert export.main(["--checkpoint", str(ckpt_dir), "--out", str(out), "--use-checkpoint-clip"]) == 2
    err = capsys.readouterr().err
    for n in needles:
        assert n in err, err
    assert not out.exists() and not list(out.parent.glob(f".{out.name}.partial-*"))


def _edit_shard(folder: Path, key: str, fn: object) -> None:
    index = json.loads((folder / "model.safetensors.index.json").read_text())
    shard = folder / index["weight_map"][key]
    tensors = load_file(str(shard))
    fn(tensors, index)  # type: ignore[operator]
    save_file(tensors, str(shard), metadata={"format": "pt"})
    (folder / "model.safetensors.index.json").write_text(json.dumps(index))


def test_missing_shard_key_unknown_key_and_shape(ckpt: Path, tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    key = "model.layers.1.mlp.down_proj.weight"
    bad = tmp_path / "bad"
    shutil.copytree(ckpt / "ckpt", bad)
    shard = json.loads((bad / "model.safetensors.index.json").read_text())["weight_map"][key]
    (bad / shard).rename(tmp_path / "moved")
    _fails(bad, tmp_path / "o1", capsys, "shard", shard)
    (tmp_path / "moved").rename(bad / shard)

    def drop(t: dict, idx: dict) -> None:
        del t[key], idx["weight_map"][key]
    _edit_shard(bad, key, drop)
    _fails(bad, tmp_path / "o2", capsys, key)
    shutil.rmtree(bad)
    shutil.copytree(ckpt / "ckpt", bad)

    def extra(t: dict, idx: dict) -> None:
        t["model.layers.0.self_attn.rotary_emb.extra"] = t[key][:2].clone()
        idx["weight_map"]["model.layers.0.self_attn.rotary_emb.extra"] = idx["weight_map"][key]
    _edit_shard(bad, key, extra)
    _fails(bad, tmp_path / "o3", capsys, "model.layers.0.self_attn.rotary_emb.extra")
    shutil.rmtree(bad)
    shutil.copytree(ckpt / "ckpt", bad)
    _edit_shard(bad, key, lambda t, idx: t.__setitem__(key, t[key][:, :-8].clone()))
    _fails(bad, tmp_path / "o4", capsys, key, "shape")


def test_refuses_to_replace_a_folder_that_is_not_a_model(ckpt: Path, tmp_path: Path,
                                                          capsys: pytest.CaptureFixture) -> None:
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "notes.txt").write_text("keep me")
    assert export.main(["--checkpoint", str(ckpt / "ckpt"), "--out", str(tmp_path / "docs"),
                        "--use-checkpoint-clip"]) == 2
    assert "not a model folder" in capsys.readouterr().err
    assert (tmp_path / "docs" / "notes.txt").read_text() == "keep me"


def test_disk_full_removes_partial_output(ckpt: Path, tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    small = tmp_path / "small"
    small.mkdir()
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(small)], capture_output=True, text=True)
    if r.returncode != 0:
        pytest.skip(f"cannot mount a 1 MB tmpfs here (needs root): {r.stderr.strip()}")
    try:
        need = sum(p.stat().st_size for p in (ckpt / "fp32").iterdir())
        assert need > 1 << 20  # the fp32 folder does not fit, so the write must fail part-way
        out = small / "model"
        assert export.main(["--checkpoint", str(ckpt / "ckpt"), "--out", str(out), "--use-checkpoint-clip"]) == 2
        assert "no space left" in capsys.readouterr().err
        assert list(small.iterdir()) == []
    finally:
        subprocess.run(["umount", str(small)], check=True)
