"""ship.py --keep-towers: the LLM graphs are replaced, the tower graphs (named by ood.json's sha256) are kept byte for
byte, and only when the new towers compute the same; oos_report's selection rule reads val figures only."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import numpy as np
import onnx
import pytest
from onnx import numpy_helper

from models.nano import oos_report, ship

NANO = Path(__file__).resolve().parents[1]
FILES = ship.ARTIFACTS


def _copy(dst: Path) -> Path:
    dst.mkdir()
    for f in FILES:
        shutil.copyfile(NANO / f, dst / f)
    return dst


def _sha(p: Path) -> str:
    return hashlib.sha256(p.read_bytes()).hexdigest()


def _resave_projector(folder: Path, scale: float) -> None:
    """Same graph saved again with a new doc string (other bytes); ``scale`` != 1 also changes one weight."""
    m = onnx.load(str(folder / "projector.onnx"))
    m.doc_string = "re-exported"
    if scale != 1.0:
        t = max(m.graph.initializer, key=lambda i: int(np.prod(i.dims)))
        t.CopyFrom(numpy_helper.from_array(numpy_helper.to_array(t) * scale, t.name))
    onnx.save(m, str(folder / "projector.onnx"))


def test_keep_towers_replaces_llm_files_and_keeps_tower_bytes(tmp_path: Path) -> None:
    old, new = _copy(tmp_path / "old"), _copy(tmp_path / "new")
    before = {f: _sha(old / f) for f in ("vision_encoder.onnx", "projector.onnx")}
    _resave_projector(new, 1.0)
    (new / "decoder.onnx.data").write_bytes((new / "decoder.onnx.data").read_bytes()[::-1])  # stands for new weights
    m = json.loads((new / "manifest.json").read_text())
    m["created_by"], m["graphs"]["projector"]["sha256"] = "fresh export", _sha(new / "projector.onnx")
    (new / "manifest.json").write_text(json.dumps(m))
    diff = ship.keep_towers(new, old)
    assert diff == {"vision_encoder": 0.0, "projector": 0.0}
    assert {f: _sha(old / f) for f in before} == before
    assert _sha(old / "decoder.onnx.data") == _sha(new / "decoder.onnx.data")
    got = json.loads((old / "manifest.json").read_text())
    assert got["created_by"] == "fresh export" and got["graphs"]["projector"]["sha256"] == before["projector.onnx"]


def test_keep_towers_refuses_towers_that_compute_something_else(tmp_path: Path) -> None:
    old, new = _copy(tmp_path / "old"), _copy(tmp_path / "new")
    _resave_projector(new, 1.01)
    with pytest.raises(SystemExit, match="towers differ"):
        ship.keep_towers(new, old)
    assert _sha(old / "projector.onnx") == _sha(NANO / "projector.onnx")


def _val(acc: float, rate: float, steps: int) -> dict:
    return {"val": {"accuracy": acc, "questions": 600}, "out_of_scope_val": {"rate": rate},
            "in_scope_answered_with_sentence_val": {"rate": 0.0}, "training": {"steps": steps, "lr": 1e-4}}


def test_selection_rule_needs_the_rate_then_takes_val_accuracy_then_fewer_steps() -> None:
    c = {"a": _val(82.0, 94.9, 100), "b": _val(80.0, 99.0, 300), "c": _val(81.0, 96.0, 300),
         "d": _val(81.0, 97.0, 150)}
    assert oos_report.pick(c) == "d"
    assert oos_report.pick({"a": c["a"]}) is None
