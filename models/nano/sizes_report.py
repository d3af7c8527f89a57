"""SliME-Nano retrained with small objects in its train scenes (issue #18 item 3, hard split): the pick and what shipped.

Usage: .venv/bin/python -m models.nano.sizes_report [--work models/nano/work] [--shipped]

Candidates, each the recipe shipped before (candidate C of ``retrain_report``) with one change, then its out-of-scope
fine-tune with the router noise off:
- D (work/small): the train scenes' objects drawn at 10-14 px (``train --train-sizes 10,14``) in stage 0a's dense
  scenes and in the cache of stages 0c-III and of the fine-tune (``finetune_oos --train-sizes 10,14``);
- E (work/tower): D's stage 0a tower only; stages 0c-III and the fine-tune on the 13-14 px train scenes as C.
work/small/RULE.txt is the selection rule, written (and amended for E) before the figures it judges were read. Every
model is measured on ``val`` as drawn and on the same val scenes drawn with 10-11 px objects (``finetune_oos
--measure-only --val --val-sizes 10,11``); the picked one's heldout and hard figures are read once
(``--measure-only``). This module applies the rule and writes results.json["retrain_sizes"] and its RESULTS.md
section. ``--shipped``: models/nano holds the picked candidate.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from models.nano.oos_report import TARGET_RATE, summary, val_summary

SMALL = "val-10-11.json"  # the val scenes drawn with 10-11 px objects (hard's sizes; val's seeds)
MARGIN_SMALL = 2.0  # D must beat C on SMALL by this many points
MIN_VAL = 89.0  # ... while keeping val (C: 90.02) at least here
SHIP_HELDOUT = 87.0  # then ships if heldout >= this (C: 87.57) ...
SHIP_HARD = 49.24  # ... and hard > C's
REFERENCE = "own/oos-llm-s300-lr0.0002-nonoise"  # C, under work/
CANDIDATES = {  # name -> (folder under work/, what); the rule takes the first that meets it
    "D": ("small/oos-nonoise", "C's recipe with 10-14 px objects in all train scenes (stage 0a 900 steps; 0b reused)"),
    "E": ("tower/oos-nonoise", "D's stage 0a tower, everything after it on 13-14 px train scenes as C"),
}
# not candidates: the shipped recipe run again from the same stage 0, for the run-to-run spread (work/seed1/NOTE.txt)
REPEATS = {"C'": ("seed1/oos-nonoise", "C's recipe again from C's stage 0, stages I-III with other batch draws "
                                       "and noise (train --seed 1); not a candidate")}


def _val(folder: Path) -> dict[str, Any] | None:
    if not (folder / "val.json").exists() or not (folder / SMALL).exists():
        return None
    v, s = json.loads((folder / "val.json").read_text()), json.loads((folder / SMALL).read_text())
    return {**val_summary(v), "val_by_family": v["val"]["accuracy_by_family"],
            "val_small_accuracy": s["val"]["accuracy"], "val_small_by_family": s["val"]["accuracy_by_family"]}


def meets(c: dict[str, Any], x: dict[str, Any] | None) -> bool:
    """RULE.txt's conditions on val figures alone: does candidate ``x`` beat C?"""
    return bool(x) and (x["val_small_accuracy"] >= c["val_small_accuracy"] + MARGIN_SMALL
                        and x["val_accuracy"] >= MIN_VAL and x["out_of_scope_rate_val"] >= TARGET_RATE)


def pick(c: dict[str, Any], cands: dict[str, dict[str, Any]]) -> str:
    """The first candidate (CANDIDATES order) that meets the rule, else C (models/nano stays)."""
    return next((k for k in CANDIDATES if meets(c, cands.get(k))), "C")


def build(work: Path, shipped: bool) -> dict[str, Any]:
    c = _val(work / REFERENCE)
    if c is None:
        raise SystemExit(f"{work / REFERENCE} needs val.json and {SMALL} (finetune_oos --measure-only ... --val)")
    cands = {k: v for k, (folder, _) in CANDIDATES.items() if (v := _val(work / folder)) is not None}
    picked = pick(c, cands)
    out: dict[str, Any] = {
        "rule": (work / "small" / "RULE.txt").read_text().strip().splitlines(),
        "candidates": {"C": {"folder": REFERENCE, "what": "the model shipped before (retrain candidate C)", **c},
                       **{k: {"folder": CANDIDATES[k][0], "what": CANDIDATES[k][1], **v} for k, v in cands.items()}},
        "picked": picked,
        "shipped": shipped,
        "training_seconds": {},
    }
    for k, v in cands.items():
        timings = work / CANDIDATES[k][0].split("/")[0] / "staged" / "timings.json"
        if timings.exists():
            t = json.loads(timings.read_text())
            if v.get("training"):
                t["out_of_scope_fine_tune"] = v["training"]["seconds"]
            out["training_seconds"][k] = t
    repeats = {k: v for k, (folder, _) in REPEATS.items() if (v := _val(work / folder)) is not None}
    if repeats:
        out["repeats"] = {k: {"folder": REPEATS[k][0], "what": REPEATS[k][1], **v} for k, v in repeats.items()}
        out["repeat_note"] = (work / "seed1" / "NOTE.txt").read_text().strip().splitlines()
    probe = work / "tower_probe.json"  # python -m models.nano.tower_probe <C's tower> <D's tower> --json ...
    if probe.exists():
        out["tower_probe"] = json.loads(probe.read_text())
    measure = work / CANDIDATES[picked][0] / "measure.json" if picked != "C" else None
    if measure is not None and measure.exists():
        raw = json.loads(measure.read_text())
        m = summary(raw)
        m["hard_by_family"] = raw["hard"]["accuracy_by_family"]
        m["ships_if"] = f"heldout >= {SHIP_HELDOUT} and hard > {SHIP_HARD}"
        m["meets_bar"] = m["heldout_accuracy"] >= SHIP_HELDOUT and m["hard_accuracy"] > SHIP_HARD
        out["picked_heldout"] = m
    return out


def render(r: dict[str, Any]) -> list[str]:
    lines = ["## Retrained with small objects in the train scenes (issue #18 item 3, hard)", "",
             "The recipe of the model shipped before (C), with smaller objects in training: the train scenes' objects "
             "drawn at 10-14 px (13-14 before) everywhere (D), or only in stage 0a, the vision tower (E). The `hard` "
             "split's objects are 10-11 px: inside the new train size range, while its scenes stay unseen. "
             "`val (10-11 px)` is the same 100 val scenes drawn with hard's sizes (val's seeds).",
             "", "| candidate | val | val (10-11 px) | val glyph | val count | val (10-11 px) glyph | "
             "val out-of-scope → sentence |", "|---|---|---|---|---|---|---|"]
    rows = [(k, c, " (picked)" if k == r["picked"] else "") for k, c in r["candidates"].items()]
    rows += [(k, c, " (spread only)") for k, c in r.get("repeats", {}).items()]
    for k, c, mark in rows:
        lines.append(f"| {k}{mark}: {c['what']} | {c['val_accuracy']:.2f} | {c['val_small_accuracy']:.2f} | "
                     f"{c['val_by_family']['glyph']:.1f} | {c['val_by_family']['count']:.1f} | "
                     f"{c['val_small_by_family']['glyph']:.1f} | {c['out_of_scope_rate_val']:.1f}% |")
    for p in r.get("tower_probe", []):
        if p is r["tower_probe"][0]:
            lines += ["", "Why: a linear probe of the stage-0a tower's tile patches (`python -m models.nano.tower_probe`, "
                      f"heads fit on {p['fit_sizes'][0]}-{p['fit_sizes'][1]} px objects of 150 train scenes, scored on "
                      "60 val scenes; % of object patches read right, shape / colour / glyph):", "",
                      "| tower | " + " | ".join(f"{s} px" for s in p["by_size"]) + " |",
                      "|---|" + "---|" * len(p["by_size"])]
        lines.append(f"| `{Path(p['tower']).parent.name}/{Path(p['tower']).name}` | " + " | ".join(
            f"{v['shape']:.1f} / {v['colour']:.1f} / {v['glyph']:.1f}" for v in p["by_size"].values()) + " |")
    if r.get("repeat_note"):
        lines += [""] + [f"> {line}" for line in r["repeat_note"]]
    lines += ["", "Rule (RULE.txt, written before any figure of the run was read):", ""]
    lines += [f"> {line}" if line else ">" for line in r["rule"]]
    h = r.get("picked_heldout")
    if h:
        fams = ", ".join(f"{f} {v:.1f}" for f, v in h["heldout_by_family"].items())
        hard = ", ".join(f"{f} {v:.1f}" for f, v in h["hard_by_family"].items())
        lines += ["", f"{r['picked']} read once: heldout **{h['heldout_accuracy']:.2f}** ({fams}); hard **{h['hard_accuracy']:.2f}** "
                  f"({hard}); held-out out-of-scope questions answered with the sentence {h['out_of_scope_rate']:.2f}% "
                  f"of {h['out_of_scope_questions']}, in-scope answered with it "
                  f"{h['in_scope_answered_with_sentence']:.2f}%. Ships if {h['ships_if']}: "
                  f"{'met' if h['meets_bar'] else 'not met'}."]
    for k, t in r.get("training_seconds", {}).items():
        lines += ["", f"{k}: training wall seconds (2-core CPU, 2 threads, partly beside other runs): "
                  + ", ".join(f"{s} {round(v)}" for s, v in t.items() if isinstance(v, (int, float))) + "."]
    if r["picked"] == "C":
        lines += ["", "Picked: C. Neither D nor E met the rule, so their heldout and hard figures were not read and "
                  "models/nano keeps the model shipped before.", ""]
    else:
        lines += ["", f"Picked: {r['picked']}. models/nano ships it: **{'yes' if r['shipped'] else 'no'}**.", ""]
    return lines


def main(argv: list[str] | None = None) -> dict[str, Any]:
    from models.nano.report import retrain_cli

    return retrain_cli(__doc__, "retrain_sizes", build, argv)


if __name__ == "__main__":
    main()
