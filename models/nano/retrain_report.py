"""SliME-Nano retrained with the position routes (issue #18 item 3): its candidates, the pick, and what shipped.

Usage: .venv/bin/python -m models.nano.retrain_report [--run work/own] [--shipped]

The run folder holds one training of the shipped recipe with stage 0b's routing also at an answer's later words on
their own head (``train --later-words own-head --oos-in-iii``) and out-of-scope fine-tunes of it (finetune_oos
``--start <run>/staged/final.pt --run <run>/oos-...``). RULE.txt in it is the selection rule, written (and amended)
before the figures it judges were read; this module applies it to the val figures (``val.json`` of each candidate),
reads the picked candidate's heldout figures (``measure.json``, written by ``finetune_oos --measure-only``) and
writes results.json["retrain"] and its RESULTS.md section. ``--shipped``: models/nano now holds the picked model.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from models.nano.oos_report import TARGET_HELDOUT, TARGET_RATE, summary, val_summary

BASELINE_VAL = 82.57  # val accuracy of the model shipped before (work/shipped/val.json)
# candidate -> (folder under the run, what it is); the rule takes the first of the out-of-scope candidates that
# meets both val conditions, else the plain staged model when its val accuracy alone beats the baseline
CANDIDATES = {
    "C": ("oos-llm-s300-lr0.0002-nonoise", "staged + out-of-scope fine-tune, LLM only, 300 steps, LR 2e-4, "
                                           "router noise off"),
    "B": ("oos-llm-s300-lr0.0002", "staged + out-of-scope fine-tune, LLM only, 300 steps, LR 2e-4 (the recipe picked "
                                   "for the model shipped before)"),
    "A": ("staged", "the shipped recipe with own-head later-word routes in stage 0b and out-of-scope questions mixed "
                    "into stage III"),
}


def pick(vals: dict[str, dict[str, Any]]) -> str | None:
    """RULE.txt's rule on val figures alone."""
    for name in ("C", "B"):
        v = vals.get(name)
        if v and v["out_of_scope_val"]["rate"] >= TARGET_RATE and v["val"]["accuracy"] > BASELINE_VAL:
            return name
    a = vals.get("A")
    return "A" if a and a["val"]["accuracy"] > BASELINE_VAL else None


def build(run: Path, shipped: bool) -> dict[str, Any]:
    vals = {k: json.loads((run / d / "val.json").read_text()) for k, (d, _) in CANDIDATES.items()
            if (run / d / "val.json").exists()}
    picked = pick(vals)
    measure = run / CANDIDATES[picked][0] / "measure.json" if picked else None
    timings = run / "staged" / "timings.json"
    out: dict[str, Any] = {
        "run": str(run.name),
        "rule": (run / "RULE.txt").read_text().strip().splitlines(),
        "candidates": {k: {"folder": CANDIDATES[k][0], "what": CANDIDATES[k][1], **val_summary(v),
                           "val_by_family": v["val"]["accuracy_by_family"]} for k, v in vals.items()},
        "baseline_val_accuracy": BASELINE_VAL,
        "picked": picked,
        "training_seconds": json.loads(timings.read_text()) if timings.exists() else None,
        "shipped": shipped,
    }
    if measure is not None and measure.exists():
        m = summary(json.loads(measure.read_text()))
        m["ships_if"] = f"heldout >= {TARGET_HELDOUT}"
        m["meets_heldout_bar"] = m["heldout_accuracy"] >= TARGET_HELDOUT
        out["picked_heldout"] = m
    return out


def render(r: dict[str, Any]) -> list[str]:
    lines = ["## Retrained with the position routes (issue #18 item 3)", "",
             f"Run `work/{r['run']}`: the shipped recipe (0a reused; 0b 1,500 steps; 0c 2,000; I-a 200, I-b 200, II 400, "
             "III 800) with stage 0b's routing also at an answer's later words, the global read on a head of its own "
             "(`--later-words own-head`), and the out-of-scope questions mixed into stage III (`--oos-in-iii`). "
             "Candidates on `val` (100 scenes, 591 questions; 200 out-of-scope questions):", "",
             "| candidate | what | val accuracy | val position | val glyph | val out-of-scope → sentence | "
             "val in-scope → sentence |", "|---|---|---|---|---|---|---|"]
    for k, c in r["candidates"].items():
        mark = " (picked)" if k == r["picked"] else ""
        lines.append(f"| {k}{mark} | {c['what']} | {c['val_accuracy']:.2f} | {c['val_by_family']['position']:.1f} | "
                     f"{c['val_by_family']['glyph']:.1f} | {c['out_of_scope_rate_val']:.1f}% | "
                     f"{c['in_scope_answered_with_sentence_val']:.2f}% |")
    lines += ["", f"The model shipped before: val accuracy {r['baseline_val_accuracy']:.2f}. Rule (RULE.txt, written "
              "before the figures it judges; amendments are dated):", ""]
    lines += [f"> {line}" if line else ">" for line in r["rule"]]
    h = r.get("picked_heldout")
    if h:
        fams = ", ".join(f"{f} {v:.1f}" for f, v in h["heldout_by_family"].items())
        lines += ["", f"Picked candidate {r['picked']}, read once: heldout **{h['heldout_accuracy']:.2f}** ({fams}), "
                  f"hard {h['hard_accuracy']:.2f}, held-out out-of-scope questions answered with the sentence "
                  f"{h['out_of_scope_rate']:.2f}% of {h['out_of_scope_questions']}, in-scope answered with it "
                  f"{h['in_scope_answered_with_sentence']:.2f}%. Ships if {h['ships_if']}: "
                  f"{'met' if h['meets_heldout_bar'] else 'not met'}."]
    t = r.get("training_seconds")
    if t:
        lines += ["", "Training wall seconds (2-core CPU, 2 threads, nothing else running): "
                  + ", ".join(f"{k} {round(v)}" for k, v in t.items() if k not in ("stage0_vision", "note")) + "."
                  + (f" ({t['note']})" if t.get("note") else "")]
    lines += ["", f"models/nano ships it: **{'yes' if r['shipped'] else 'no'}**.", ""]
    return lines


def main(argv: list[str] | None = None) -> dict[str, Any]:
    from models.nano.report import save_sections
    from models.nano.train import NANO_DIR, WORK

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--run", type=Path, default=WORK / "own")
    ap.add_argument("--shipped", action="store_true", help="models/nano now holds the picked model")
    a = ap.parse_args(argv)
    section = build(a.run, a.shipped)
    save_sections({"retrain": section}, NANO_DIR / "results.json", WORK)
    print(json.dumps({k: section[k] for k in ("picked", "shipped")}))
    return section


if __name__ == "__main__":
    main()
