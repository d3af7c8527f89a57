"""The out-of-distribution guard's figures for SliME-Nano (issue #18 item 2): results.json["ood_guard"] + RESULTS.md.

Usage: .venv/bin/python -m models.nano.guard_report [--folder models/nano] [--scenes 256]
Re-measures the guard shipped in the folder's ood.json (models/ood.py; both methods, each at its shipped threshold)
with models/ood_calibrate.measure_nano through the shipped ONNX graphs: heldout and hard scenes (in distribution),
scikit-image's bundled photos, images made from them that are not synthetic scenes (crops, rescales, recolouring,
rotation + blur, heavy JPEG, LFW face crops) and non-scene pictures (drawings, gradients, noise, a text page, a flat
colour). The rate of each set flagged as unlike the training images goes into results.json; the app uses the file's
`recommended` method.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

SETS = {"heldout": "heldout scenes (in distribution)", "hard": "hard scenes (in distribution, smaller details)",
        "real_photos": "scikit-image's bundled photos", "photo_variants": "made from those photos (not scenes)",
        "non_scene": "drawings, gradients, noise, text page, flat colour"}


def measure(folder: Path, scenes: int) -> dict[str, Any]:
    from models.ood import FILE, METHODS, OodGuard
    from models.ood_calibrate import measure_nano
    from models.ort_pipeline import OrtSlime

    doc = json.loads((folder / FILE).read_text())
    manifest = json.loads((folder / "manifest.json").read_text())
    guards = {m: OodGuard.load(folder, manifest, m) for m in METHODS if m == "knn-cosine" or m in doc}
    got = measure_nano(OrtSlime(folder), guards, scenes)
    return {
        "file": str((folder / FILE).resolve().relative_to(Path(__file__).resolve().parents[2])),
        "recommended": doc.get("recommended", "knn-cosine"),
        "embedding": doc["embedding"], "reference_n": doc["n"], "k": doc["k"],
        "methods": {m: {"threshold": guards[m].threshold, "rates": r["rates"], "missed": r["missed"],
                        "real_photo_scores": r["real_photo_scores"]} for m, r in got.items()},
        "sets": SETS, "command": "python -m models.nano.guard_report",
    }


def render(g: dict[str, Any]) -> list[str]:
    methods = list(g["methods"])
    lines = ["## Out-of-distribution guard (issue #18 item 2)", "",
             f"`{g['file']}` ({g['embedding']} image embedding, {g['reference_n']} training scenes as reference); "
             f"each method at its shipped threshold (99th percentile of an in-distribution validation set). The app "
             f"uses **{g['recommended']}**. Share of each set flagged as unlike the training images:", "",
             "| set | images | " + " | ".join(methods) + " |", "|---|---|" + "---|" * len(methods)]
    for key, label in g["sets"].items():
        n = g["methods"][methods[0]]["rates"][key]["n"]
        cells = " | ".join(f"{100 * g['methods'][m]['rates'][key]['flagged']:.1f}%" for m in methods)
        lines.append(f"| {key}: {label} | {n} | {cells} |")
    rec = g["methods"][g["recommended"]]
    missed = [m for m in rec["missed"] if ":" not in m]
    lines += ["", f"Photos and non-scene images the {g['recommended']} guard lets through: "
              f"{', '.join(missed) or 'none'} (plus {len(rec['missed']) - len(missed)} variants). "
              f"Re-measured by `{g['command']}`.", ""]
    return lines


def main(argv: list[str] | None = None) -> dict[str, Any]:
    from models.nano.report import save_sections
    from models.nano.train import NANO_DIR, WORK

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--folder", type=Path, default=NANO_DIR)
    ap.add_argument("--scenes", type=int, default=256)
    a = ap.parse_args(argv)
    g = measure(a.folder, a.scenes)
    save_sections({"ood_guard": g}, a.folder / "results.json", WORK)
    print("\n".join(render(g)))
    return g


if __name__ == "__main__":
    main()
