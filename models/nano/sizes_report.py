"""SliME-Nano retrained with small objects in its train scenes (issue #18 item 3, hard split): the pick and what shipped.

Usage: .venv/bin/python -m models.nano.sizes_report [--run work/small] [--reference work/own/<C>] [--shipped]

The run folder holds one training of the recipe shipped before (candidate C of ``retrain_report``) whose train scenes
draw their objects' sides from 10-14 px (``train --train-sizes 10,14``: stage 0a's dense scenes and the cache of
stages 0c-III) and its out-of-scope fine-tune (``finetune_oos --train-sizes 10,14 --no-router-noise``), candidate D.
RULE.txt in it is the selection rule, written before any figure of the run was read. Both models are measured on
``val`` as drawn and on the same val scenes drawn with 10-11 px objects (``finetune_oos --measure-only --val
--val-sizes 10,11``); the picked one's heldout and hard figures are read once (``--measure-only``). This module applies
the rule and writes results.json["retrain_sizes"] and its RESULTS.md section. ``--shipped``: models/nano holds D.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from models.nano.oos_report import TARGET_RATE, summary, val_summary

SMALL = "val-10-11.json"  # the val scenes drawn with 10-11 px objects (hard's sizes; val's seeds)
MARGIN_SMALL = 2.0  # D must beat C on SMALL by this many points
MIN_VAL = 89.0  # ... while keeping val (C: 90.02) at least here
SHIP_HELDOUT = 87.0  # then ships if heldout >= this (C: 87.57) ...
SHIP_HARD = 49.24  # ... and hard > C's
RUN_FOLDER = "oos-nonoise"  # D under the run folder


def _val(folder: Path) -> dict[str, Any] | None:
    if not (folder / "val.json").exists() or not (folder / SMALL).exists():
        return None
    v, s = json.loads((folder / "val.json").read_text()), json.loads((folder / SMALL).read_text())
    return {**val_summary(v), "val_by_family": v["val"]["accuracy_by_family"],
            "val_small_accuracy": s["val"]["accuracy"], "val_small_by_family": s["val"]["accuracy_by_family"]}


def pick(c: dict[str, Any], d: dict[str, Any] | None) -> bool:
    """RULE.txt's rule on val figures alone: is D picked over C?"""
    return bool(d) and (d["val_small_accuracy"] >= c["val_small_accuracy"] + MARGIN_SMALL
                        and d["val_accuracy"] >= MIN_VAL and d["out_of_scope_rate_val"] >= TARGET_RATE)


def build(run: Path, reference: Path, shipped: bool) -> dict[str, Any]:
    c, d = _val(reference), _val(run / RUN_FOLDER)
    if c is None:
        raise SystemExit(f"{reference} needs val.json and {SMALL} (finetune_oos --measure-only ... --val [--val-sizes])")
    picked = pick(c, d)
    out: dict[str, Any] = {
        "run": run.name, "rule": (run / "RULE.txt").read_text().strip().splitlines(),
        "candidates": {"C": {"folder": str(reference), "what": "the model shipped before (retrain candidate C)", **c},
                       **({"D": {"folder": f"{run.name}/{RUN_FOLDER}", "what": "C's recipe with 10-14 px objects in "
                                 "the train scenes (stage 0a 900 steps; stage 0b reused)", **d}} if d else {})},
        "picked": "D" if picked else "C",
        "shipped": shipped,
    }
    timings = run / "staged" / "timings.json"
    if timings.exists():
        t = json.loads(timings.read_text())
        if d and d.get("training"):
            t["out_of_scope_fine_tune"] = d["training"]["seconds"]
        out["training_seconds"] = t
    measure = run / RUN_FOLDER / "measure.json"
    if picked and measure.exists():
        raw = json.loads(measure.read_text())
        m = summary(raw)
        m["hard_by_family"] = raw["hard"]["accuracy_by_family"]
        m["ships_if"] = f"heldout >= {SHIP_HELDOUT} and hard > {SHIP_HARD}"
        m["meets_bar"] = m["heldout_accuracy"] >= SHIP_HELDOUT and m["hard_accuracy"] > SHIP_HARD
        out["picked_heldout"] = m
    return out


def render(r: dict[str, Any]) -> list[str]:
    lines = ["## Retrained with small objects in the train scenes (issue #18 item 3, hard)", "",
             f"Run `work/{r['run']}`: the recipe of the model shipped before, with the train scenes' objects drawn "
             "at 10-14 px (13-14 before) in stage 0a and in the cache of stages 0c-III and the out-of-scope "
             "fine-tune. The `hard` split's objects are 10-11 px: they are now inside the train size range, while its "
             "scenes stay unseen. `val (10-11 px)` is the same 100 val scenes drawn with hard's sizes (val's seeds).",
             "", "| candidate | val | val (10-11 px) | val glyph | val count | val (10-11 px) glyph | "
             "val out-of-scope → sentence |", "|---|---|---|---|---|---|---|"]
    for k, c in r["candidates"].items():
        mark = " (picked)" if k == r["picked"] else ""
        lines.append(f"| {k}{mark}: {c['what']} | {c['val_accuracy']:.2f} | {c['val_small_accuracy']:.2f} | "
                     f"{c['val_by_family']['glyph']:.1f} | {c['val_by_family']['count']:.1f} | "
                     f"{c['val_small_by_family']['glyph']:.1f} | {c['out_of_scope_rate_val']:.1f}% |")
    lines += ["", "Rule (RULE.txt, written before any figure of the run was read):", ""]
    lines += [f"> {line}" if line else ">" for line in r["rule"]]
    h = r.get("picked_heldout")
    if h:
        fams = ", ".join(f"{f} {v:.1f}" for f, v in h["heldout_by_family"].items())
        hard = ", ".join(f"{f} {v:.1f}" for f, v in h["hard_by_family"].items())
        lines += ["", f"D read once: heldout **{h['heldout_accuracy']:.2f}** ({fams}); hard **{h['hard_accuracy']:.2f}** "
                  f"({hard}); held-out out-of-scope questions answered with the sentence {h['out_of_scope_rate']:.2f}% "
                  f"of {h['out_of_scope_questions']}, in-scope answered with it "
                  f"{h['in_scope_answered_with_sentence']:.2f}%. Ships if {h['ships_if']}: "
                  f"{'met' if h['meets_bar'] else 'not met'}."]
    t = r.get("training_seconds")
    if t:
        lines += ["", "Training wall seconds (2-core CPU, 2 threads): "
                  + ", ".join(f"{k} {round(v)}" for k, v in t.items() if isinstance(v, (int, float))) + "."]
    lines += ["", f"models/nano ships D: **{'yes' if r['shipped'] else 'no'}**.", ""]
    return lines


def main(argv: list[str] | None = None) -> dict[str, Any]:
    from models.nano.report import save_sections
    from models.nano.train import NANO_DIR, WORK

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--run", type=Path, default=WORK / "small")
    ap.add_argument("--reference", type=Path, default=WORK / "own" / "oos-llm-s300-lr0.0002-nonoise")
    ap.add_argument("--shipped", action="store_true", help="models/nano now holds D")
    a = ap.parse_args(argv)
    section = build(a.run, a.reference, a.shipped)
    save_sections({"retrain_sizes": section}, NANO_DIR / "results.json", WORK)
    print(json.dumps({k: section[k] for k in ("picked", "shipped")}))
    return section


if __name__ == "__main__":
    main()
