"""Out-of-scope results: results.json["out_of_scope"] from finetune_oos's measure.json files, and its RESULTS.md table.

Usage: .venv/bin/python -m models.nano.oos_report [--pick] [--shipped fine_tuned|before]
The baseline is the model shipped before (work/shipped/measure.json, val.json). The candidates are the runs of
finetune_oos under work/oos/*/ (each with its val.json). ``--pick`` prints the run the selection rule picks from
val figures alone: among the runs whose val out-of-scope rate is >= 95%, the highest val accuracy (ties: fewer
steps); heldout is read only afterwards, for that run (``finetune_oos --measure-only <run>/final.pt``).
``--shipped`` says which model models/nano now holds (the fine-tuned one only when it met both targets).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from models.nano import oos

TARGET_RATE, TARGET_HELDOUT = 95.0, 80.86  # issue #18: ≥ 95% with the sentence; heldout not below today's 80.86


def began_sentence(o: dict[str, Any]) -> float | None:
    """Share of the set whose answer at least began the sentence (its first 5 characters): the model took the
    question for out of scope even where it then garbled the sentence. Needs every miss listed (else None)."""
    hits = round(o["rate"] * o["questions"] / 100)
    if hits + len(o["misses"]) != o["questions"]:
        return None
    began = hits + sum(m["answer"].startswith(oos.SENTENCE[:5]) for m in o["misses"])
    return round(100 * began / o["questions"], 2)


def summary(m: dict[str, Any]) -> dict[str, Any]:
    return {"heldout_accuracy": m["heldout"]["accuracy"], "hard_accuracy": m["hard"]["accuracy"],
            "out_of_scope_began_sentence": began_sentence(m["out_of_scope_heldout"]),
            "heldout_by_family": m["heldout"]["accuracy_by_family"],
            "out_of_scope_rate": m["out_of_scope_heldout"]["rate"],
            "out_of_scope_questions": m["out_of_scope_heldout"]["questions"],
            "in_scope_answered_with_sentence": m["in_scope_answered_with_sentence"]["rate"],
            "misses": m["out_of_scope_heldout"]["misses"][:10], **({"training": m["training"]} if "training" in m
                                                                   else {})}


def val_summary(v: dict[str, Any]) -> dict[str, Any]:
    return {"val_accuracy": v["val"]["accuracy"], "val_questions": v["val"]["questions"],
            "out_of_scope_rate_val": v["out_of_scope_val"]["rate"],
            "in_scope_answered_with_sentence_val": v["in_scope_answered_with_sentence_val"]["rate"],
            **({"training": v["training"]} if v.get("training") else {})}


def pick(candidates: dict[str, dict[str, Any]]) -> str | None:
    """The selection rule on val figures only (module doc)."""
    ok = [(-v["val"]["accuracy"], v["training"]["steps"], name) for name, v in candidates.items()
          if v["out_of_scope_val"]["rate"] >= TARGET_RATE]
    return min(ok)[2] if ok else None


def candidates(root: Path) -> dict[str, dict[str, Any]]:
    return {p.parent.name: json.loads(p.read_text()) for p in sorted(root.glob("*/val.json"))}


def build(baseline: dict[str, Any], tuned: dict[str, Any], shipped: str, baseline_val: dict[str, Any] | None = None,
          cands: dict[str, dict[str, Any]] | None = None, picked: str | None = None) -> dict[str, Any]:
    t = summary(tuned)
    met = t["out_of_scope_rate"] >= TARGET_RATE and t["heldout_accuracy"] >= TARGET_HELDOUT
    return {
        "selection": {"rule": "val out-of-scope rate >= 95%, then highest val accuracy (ties: fewer steps); "
                              "heldout read only for the picked run",
                      "before": val_summary(baseline_val) if baseline_val else None,
                      "candidates": {k: val_summary(v) for k, v in (cands or {}).items()}, "picked": picked},
        "sentence": oos.SENTENCE,
        "heldout_set": ("oos.heldout_set(): 2 questions on each of heldout scenes 0-149 (300), drawn from the "
                        "held-out part (~30%) of the phrasings and unknown words (oos.py; training used ~60%, val "
                        "~10%); exact match with the sentence"),
        "targets": {"out_of_scope_rate": TARGET_RATE, "heldout_accuracy_at_least": TARGET_HELDOUT},
        "before": summary(baseline), "fine_tuned": t, "both_targets_met": met, "shipped": shipped,
    }


def render(r: dict[str, Any]) -> list[str]:
    lines = ["## Out-of-scope questions (issue #18 item 2)", "",
             f"Sentence: \"{r['sentence']}\". Held-out set: {r['heldout_set']}.", "",
             "| model | out-of-scope → sentence | began the sentence | in-scope → sentence | heldout | hard |",
             "|---|---|---|---|---|---|"]
    for name in ("before", "fine_tuned"):
        m = r[name]
        began = m.get("out_of_scope_began_sentence")
        lines.append(f"| {name.replace('_', ' ')} | {m['out_of_scope_rate']:.2f}% of {m['out_of_scope_questions']} | "
                     f"{'–' if began is None else f'{began:.2f}%'} | {m['in_scope_answered_with_sentence']:.2f}% | "
                     f"{m['heldout_accuracy']:.2f} | {m['hard_accuracy']:.2f} |")
    sel = r.get("selection")
    if sel and sel.get("candidates"):
        lines += ["", f"Selection on `val` only ({sel['rule']}):", "",
                  "| run | steps | LR | val accuracy | val out-of-scope → sentence | val in-scope → sentence |",
                  "|---|---|---|---|---|---|"]
        rows = ([("before (shipped)", sel["before"])] if sel.get("before") else []) + list(sel["candidates"].items())
        for name, v in rows:
            tr_ = v.get("training", {})
            mark = " (picked)" if name == sel.get("picked") else ""
            lines.append(f"| {name}{mark} | {tr_.get('steps', 0)} | {tr_.get('lr', '')} | {v['val_accuracy']:.2f} | "
                         f"{v['out_of_scope_rate_val']:.1f}% | {v['in_scope_answered_with_sentence_val']:.1f}% |")
    tr = r["fine_tuned"].get("training", {})
    misses = r["fine_tuned"].get("misses", [])
    if misses:
        lines += ["", "The fine-tuned model's misses (first " + str(len(misses)) + "; each cut where it left the "
                  "sentence): " + "; ".join(f"\"{m['question']}\" → \"{m['answer']}\"" for m in misses) + "."]
    lines += ["", f"Fine-tune: {tr.get('steps')} steps at LR {tr.get('lr')} from the shipped weights "
              f"({tr.get('recipe')}), {tr.get('seconds')} s on the shared CPU. Both targets met: "
              f"**{'yes' if r['both_targets_met'] else 'no'}**; models/nano now ships: {r['shipped']}.", ""]
    return lines


def main(argv: list[str] | None = None) -> None:
    from models.nano.report import save_sections
    from models.nano.train import NANO_DIR, WORK

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--baseline", type=Path, default=WORK / "shipped" / "measure.json")
    ap.add_argument("--runs", type=Path, default=WORK / "oos")
    ap.add_argument("--pick", action="store_true", help="only print the run the rule picks")
    ap.add_argument("--shipped", default="fine_tuned", choices=("fine_tuned", "before", "retrained"))
    a = ap.parse_args(argv)
    cands = candidates(a.runs)
    picked = pick(cands)
    if a.pick:
        print(picked or "none")
        return
    if picked is None:
        raise SystemExit("no candidate reaches the out-of-scope rate on val")
    res = build(json.loads(a.baseline.read_text()), json.loads((a.runs / picked / "measure.json").read_text()),
                a.shipped, json.loads(a.baseline.with_name("val.json").read_text()), cands, picked)
    save_sections({"out_of_scope": res}, NANO_DIR / "results.json", WORK)
    print(json.dumps({k: v for k, v in res.items() if k not in ("before", "fine_tuned", "selection")}, indent=1))


if __name__ == "__main__":
    main()
