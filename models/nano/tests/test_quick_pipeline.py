"""`python -m models.nano.train --quick`: every stage on a few batches, then export; the folder loads in onnxruntime."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pytest

from models.nano import train


def test_quick_train_and_export(tmp_path: Path) -> None:
    out = train.main(["--quick", "--work", str(tmp_path)])
    folder = Path(out["export"])
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["name"] == "SliME-Nano" and manifest["template"] == "llama3"
    assert manifest["vision"]["image_size"] == 112 and manifest["projector"]["local_queries"] == 16
    for stage in ("Ia", "Ib", "II", "III"):
        assert (tmp_path / "staged" / f"{stage}.pt").exists()
    from models.ort_pipeline import OrtSlime
    from models.nano import data
    from models.nano.ship import ort_answer

    ort = OrtSlime(folder)
    scene = data.make_scene("heldout", 0)
    text, info = ort_answer(ort, scene.image, scene.questions[0].question)
    assert isinstance(text, str) and info["seq_len"] > 65


def test_quick_train_with_the_retrain_options(tmp_path: Path) -> None:
    """--later-words own-head (stage 0b routes at later answer words) and --oos-in-iii (stage III's conversations
    carry the out-of-scope questions), with --train-sizes (train scenes' objects of 10-14 px in stage 0a and the
    cache) and --seed (other batch draws in stages I-III): the retrain recipes of 2026-12-07, on a few batches."""
    out = train.main(["--quick", "--work", str(tmp_path), "--later-words", "own-head", "--oos-in-iii", "--no-export",
                      "--train-sizes", "10,14", "--seed", "1"])
    assert Path(out["final"]).exists() and "export" not in out
    for stage in ("Ia", "Ib", "II", "III"):
        assert (tmp_path / "staged" / f"{stage}.pt").exists()


def test_train_sizes_argument_is_checked() -> None:
    assert train.sizes_arg("10,14") == (10, 14)
    for bad in ("14,10", "10", "a,b", "5,9", "10,15"):
        with pytest.raises(argparse.ArgumentTypeError):
            train.sizes_arg(bad)
