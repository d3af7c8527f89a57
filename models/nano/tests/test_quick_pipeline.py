"""`python -m models.nano.train --quick`: every stage on a few batches, then export; the folder loads in onnxruntime."""

from __future__ import annotations

import json
from pathlib import Path

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
