"""`python -m models.export --progress-json`: the event stream the app's convert job reads, the named error kinds,
and SIGTERM (the app's Cancel) removing the partial output."""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from models import export
from models.slime.tiny import write_tiny_checkpoint

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("progress")
    write_tiny_checkpoint(root / "ckpt", "llama3", seed=7, clip_dir=root / "clip", layers=3)
    return root


def _events(capsys: pytest.CaptureFixture) -> list[dict]:
    lines = [ln for ln in capsys.readouterr().out.splitlines() if ln.strip()]
    return [json.loads(ln) for ln in lines]  # every stdout line is one JSON object


def _convert(ckpt: Path, clip: Path, out: Path) -> int:
    return export.main(["--checkpoint", str(ckpt), "--clip", str(clip), "--out", str(out), "--dtype", "int4",
                        "--progress-json"])


def test_progress_events_cover_every_stage_in_order(tiny: Path, tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    assert _convert(tiny / "ckpt", tiny / "clip", tmp_path / "out") == 0
    events = _events(capsys)
    progress = [e for e in events if e["event"] == "progress"]
    fractions = [e["fraction"] for e in progress]
    assert fractions == sorted(fractions) and 0 <= fractions[0] and fractions[-1] <= 1
    stages = [e["stage"] for e in progress]
    assert sorted(set(stages), key=stages.index) == ["load", "towers", "llm", "finish"]
    layers = [(e["layer"], e["layers"]) for e in progress if e["layer"] is not None]
    assert layers == [(1, 3), (2, 3), (3, 3)]
    assert all(isinstance(e["eta_s"], float) for e in progress if e["layer"] is not None)
    assert events[-1] == {"event": "done", "out": str((tmp_path / "out").resolve()), "elapsed_s": events[-1]["elapsed_s"]}
    assert (tmp_path / "out" / "manifest.json").exists()


def _break(src: Path, dst: Path, how: str) -> None:
    shutil.copytree(src, dst)
    index = json.loads((dst / "model.safetensors.index.json").read_text())
    key = "model.layers.1.mlp.down_proj.weight"
    if how == "missing-shard":
        (dst / index["weight_map"][key]).unlink()
    elif how == "not-a-checkpoint":
        (dst / "config.json").unlink()
    elif how == "tokenizer":
        (dst / "tokenizer.json").unlink()
    elif how == "shape":
        cfg = json.loads((dst / "config.json").read_text())
        cfg["intermediate_size"] = cfg["intermediate_size"] * 2
        (dst / "config.json").write_text(json.dumps(cfg))


@pytest.mark.parametrize("kind", ["missing-shard", "not-a-checkpoint", "tokenizer", "shape"])
def test_named_error_kinds(tiny: Path, tmp_path: Path, capsys: pytest.CaptureFixture, kind: str) -> None:
    _break(tiny / "ckpt", tmp_path / "bad", kind)
    assert _convert(tmp_path / "bad", tiny / "clip", tmp_path / "out") == 2
    last = _events(capsys)[-1]
    assert last["event"] == "error" and last["kind"] == kind, last
    assert not (tmp_path / "out").exists() and not list(tmp_path.glob(".out.partial-*"))


def test_out_exists_kind(tiny: Path, tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "keep.txt").write_text("keep")
    assert _convert(tiny / "ckpt", tiny / "clip", tmp_path / "docs") == 2
    assert _events(capsys)[-1]["kind"] == "out-exists"
    assert (tmp_path / "docs" / "keep.txt").read_text() == "keep"


def test_sigterm_removes_partial_output(tmp_path: Path) -> None:
    # Wide enough that the LLM stage lasts well over a second after the towers start.
    write_tiny_checkpoint(tmp_path / "ckpt", "llama3", seed=8, clip_dir=tmp_path / "clip", layers=48, hidden=256,
                          intermediate=768)
    out = tmp_path / "out"
    proc = subprocess.Popen([sys.executable, "-m", "models.export", "--checkpoint", str(tmp_path / "ckpt"), "--clip",
                             str(tmp_path / "clip"), "--out", str(out), "--dtype", "int4", "--progress-json"],
                            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    seen = []
    for line in proc.stdout:
        seen.append(json.loads(line))
        if seen[-1].get("stage") == "towers":
            assert list(tmp_path.glob(".out.partial-*")), "the converter writes into a partial sibling folder"
            proc.send_signal(signal.SIGTERM)
            break
    rest = [json.loads(ln) for ln in proc.stdout if ln.strip()]
    assert proc.wait(timeout=60) == 130
    assert rest[-1]["event"] == "error" and rest[-1]["kind"] == "cancelled"
    assert not out.exists() and not list(tmp_path.glob(".out.partial-*"))


def test_clip_folder_with_pytorch_model_bin_only(tiny: Path, tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    """openai/clip-vit-large-patch14-336 ships pytorch_model.bin (no safetensors): it converts to the same graphs."""
    import numpy as np
    import onnxruntime as ort
    import torch
    from safetensors.torch import load_file

    binclip = tmp_path / "clip-bin"
    binclip.mkdir()
    shutil.copyfile(tiny / "clip" / "config.json", binclip / "config.json")
    torch.save(load_file(str(tiny / "clip" / "model.safetensors")), str(binclip / "pytorch_model.bin"))
    assert _convert(tiny / "ckpt", tiny / "clip", tmp_path / "ref") == 0
    assert _convert(tiny / "ckpt", binclip, tmp_path / "bin") == 0
    capsys.readouterr()
    x = np.random.default_rng(0).standard_normal((2, 3, 32, 32)).astype(np.float32)
    outs = []
    for d in ("ref", "bin"):
        s = ort.InferenceSession(str(tmp_path / d / "vision_encoder.onnx"), providers=["CPUExecutionProvider"])
        outs.append(s.run(None, {s.get_inputs()[0].name: x})[0])
    assert np.array_equal(outs[0], outs[1])
