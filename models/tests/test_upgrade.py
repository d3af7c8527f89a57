"""models.upgrade: v1 folders (traced decoder) rebuilt as v2 graphs reproduce PyTorch and the v1 graphs; shipped Nano."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
import torch

from models import upgrade
from models.ort_pipeline import OrtSlime
from models.slime.tiny import write_tiny_checkpoint
from models.slime.checkpoint import load_checkpoint
from models.tests.v1_folder import write_v1
from models.upgrade_check import compare

NANO = Path(__file__).resolve().parents[1] / "nano"
# shipped Nano (fp32 v2) vs its PyTorch model (reference.json): same greedy tokens, logits within this relative
# tolerance (measured 6.0e-6 for the model shipped 2026-12-07)
NANO_REL = 1e-5


@pytest.fixture(scope="module", params=["llama3", "vicuna"])
def v1(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> dict:
    root = tmp_path_factory.mktemp(f"v1-{request.param}")
    write_tiny_checkpoint(root / "ckpt", request.param, seed=11)
    model = load_checkpoint(root / "ckpt", use_checkpoint_clip=True, log=lambda s: None).model
    folder = write_v1(model, root / "v1")
    shutil.copyfile(root / "ckpt" / "tokenizer.json", folder / "tokenizer.json")
    return {"root": root, "folder": folder, "model": model}


def test_upgrade_recovers_weights_rope_and_eps(v1: dict) -> None:
    cfg = v1["model"].cfg
    out = v1["root"] / "v2"
    assert upgrade.main([str(v1["folder"]), str(out)]) == 0
    m = json.loads((out / "manifest.json").read_text())
    assert m["version"] == 2 and m["llm"]["rope_theta"] == cfg.rope_theta and m["llm"]["kv_dtype"] == "float32"
    x = torch.randn(1, 9, cfg.hidden, generator=torch.Generator().manual_seed(5))
    with torch.no_grad():
        ref = v1["model"].llm(inputs_embeds=x).logits[:, -1:].numpy()
    import onnxruntime as ort

    dec = ort.InferenceSession(str(out / "decoder.onnx"), providers=["CPUExecutionProvider"])
    past = {i.name: np.zeros((1, cfg.kv_heads, 0, cfg.head_dim), np.float32) for i in dec.get_inputs()[2:]}
    got = dec.run(None, {"inputs_embeds": x.numpy(), "attention_mask": np.ones((1, 9), np.int64), **past})[0]
    assert np.abs(got - ref).max() <= 1e-4 * np.abs(ref).max()


def test_upgrade_refuses_wrong_folders(v1: dict, tmp_path: Path) -> None:
    assert upgrade.main([str(NANO), str(tmp_path / "x")]) == 2  # already version 2 and no --dtype
    assert not (tmp_path / "x").exists()
    bad = tmp_path / "bad"
    shutil.copytree(v1["folder"], bad)
    m = json.loads((bad / "manifest.json").read_text())
    m["llm"]["layers"] += 1  # the graph then has too few MatMuls for the declared depth
    (bad / "manifest.json").write_text(json.dumps(m))
    with pytest.raises(upgrade.UpgradeError, match="weight MatMuls"):
        upgrade.upgrade(bad, tmp_path / "y", log=lambda s: None)
    assert not (tmp_path / "y").exists()


def test_shipped_nano_is_v2_and_answers_like_its_pytorch_model() -> None:
    m = json.loads((NANO / "manifest.json").read_text())
    assert m["version"] == 2 and m["dtype"] == "fp32"
    r = compare(NANO, NANO / "reference.json")  # ship.record_reference: the PyTorch model's tokens and first logits
    assert r["samples"] == 12 and r["tokens_identical"] == 12
    assert r["max_rel_logits_diff"] <= NANO_REL
    rt = OrtSlime(NANO)
    ref = json.loads((NANO / "reference.json").read_text())["samples"]
    answers = [s["answer"] for s in json.loads((NANO / "samples" / "samples.json").read_text())]
    eos = set(rt.cfg.eos_ids)
    assert [rt.tokenizer.decode([t for t in s["tokens"] if t not in eos]).strip() for s in ref] == answers


def test_shipped_nano_requantised_to_fp16_keeps_its_answers(tmp_path: Path) -> None:
    assert upgrade.main([str(NANO), str(tmp_path / "fp16"), "--dtype", "fp16"]) == 0
    assert json.loads((tmp_path / "fp16" / "manifest.json").read_text())["llm"]["kv_dtype"] == "float16"
    r = compare(tmp_path / "fp16", NANO / "reference.json")
    assert r["tokens_identical"] == 12 and r["max_rel_logits_diff"] <= 2e-3  # measured 8.0e-4
