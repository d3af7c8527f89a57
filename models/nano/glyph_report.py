"""SliME-Nano's local compressor taught to keep glyphs (issue #18 item 3): candidates, the pick and what shipped.

Usage: .venv/bin/python -m models.nano.glyph_report [--work models/nano/work] [--shipped]

The diagnosis (``polish_local decode``): the shipped model's local tokens decode to the right glyph for 79% of val
objects but to the right colour for 99.7%, and it answers 69% of val glyph questions; the LLM reads glyphs perfectly
from the symbolic block it was pretrained on. Candidates (work/glyph/<name>), each from the shipped model C:
- g1: the out-of-scope fine-tune's recipe (300 steps, LR 2e-4, router noise off) with the local compressor learning
  beside the LLM and objtokens.attribute_ce added (``finetune_oos --trainable sampler_llm --attr-ce 1``);
- g2: ``polish_local polish`` (the compressor alone, 600 steps) first, then g1's fine-tune;
- g3: g2 with 600 more steps of that fine-tune.
work/glyph/RULE.txt is the rule, written (and amended, dated) before the figures it judges were read. This module
applies it and writes results.json["retrain_glyph"] and its RESULTS.md section; ``--shipped``: models/nano holds
the picked candidate.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from models.nano.oos_report import TARGET_RATE, summary, val_summary
from models.nano.sizes_report import SMALL

MIN_VAL = 91.0  # eligible if val >= this (C: 90.02) ...
MAX_IN_SCOPE = 1.0  # ... and in-scope questions answered with the sentence <= this (%)
SHIP_HELDOUT = 88.0  # then ships if heldout >= this (C: 87.57) ...
SHIP_HARD = 49.24  # ... and hard >= C's
REFERENCE = "own/oos-llm-s300-lr0.0002-nonoise"  # C, under work/
CANDIDATES = {  # name -> (folder under work/, what)
    "g1": ("glyph/g1", "C + fine-tune with the local compressor and the attribute cross-entropy (300 steps)"),
    "g2": ("glyph/g2", "C + compressor polish (600 steps, LLM not run) + g1's fine-tune"),
    "g3": ("glyph/g3", "g2 + 600 more steps of g1's fine-tune"),
}
DECODE = "glyph/decode.json"  # polish_local decode ... --json


def _val(work: Path, folder: str, decode: dict[str, Any]) -> dict[str, Any] | None:
    f = work / folder
    if not (f / "val.json").exists():
        return None
    v = json.loads((f / "val.json").read_text())
    out = {**val_summary(v), "val_by_family": v["val"]["accuracy_by_family"]}
    if (f / SMALL).exists():
        out["val_small_accuracy"] = json.loads((f / SMALL).read_text())["val"]["accuracy"]
    key = next((k for k in decode if Path(k).parent.as_posix().endswith(folder) and "@" not in k), None)
    if key:
        out["val_decode"] = decode[key]
    return out


def eligible(x: dict[str, Any]) -> bool:
    """RULE.txt's conditions on val figures alone (track G)."""
    return (x["val_accuracy"] >= MIN_VAL and x["out_of_scope_rate_val"] >= TARGET_RATE
            and x["in_scope_answered_with_sentence_val"] <= MAX_IN_SCOPE)


def pick(cands: dict[str, dict[str, Any]]) -> str:
    """The eligible candidate with the highest mean of val and val at 10-11 px, else C (models/nano stays)."""
    ok = [k for k, x in cands.items() if eligible(x)]
    return max(ok, key=lambda k: (cands[k]["val_accuracy"] + cands[k].get("val_small_accuracy", 0.0)) / 2,
               default="C")


def build(work: Path, shipped: bool) -> dict[str, Any]:
    decode = json.loads((work / DECODE).read_text()) if (work / DECODE).exists() else {}
    c = _val(work, REFERENCE, decode)
    if c is None:
        raise SystemExit(f"{work / REFERENCE} needs val.json (finetune_oos --measure-only ... --val)")
    cands = {k: v for k, (folder, _) in CANDIDATES.items() if (v := _val(work, folder, decode)) is not None}
    picked = pick(cands)
    out: dict[str, Any] = {
        "rule": (work / "glyph" / "RULE.txt").read_text().strip().splitlines(),
        "candidates": {"C": {"folder": REFERENCE, "what": "the shipped model (retrain candidate C)", **c},
                       **{k: {"folder": CANDIDATES[k][0], "what": CANDIDATES[k][1], **v} for k, v in cands.items()}},
        "picked": picked,
        "shipped": shipped,
    }
    polish = work / "glyph" / "c1-repro" / "polish.json"  # polish_local polish: bit for bit the c1 g2 started from
    if polish.exists():
        out["polish"] = json.loads(polish.read_text())
    if picked != "C" and (work / CANDIDATES[picked][0] / "measure.json").exists():
        raw = json.loads((work / CANDIDATES[picked][0] / "measure.json").read_text())
        m = summary(raw)
        m["hard_by_family"] = raw["hard"]["accuracy_by_family"]
        m["ships_if"] = f"heldout >= {SHIP_HELDOUT} and hard >= {SHIP_HARD}"
        m["meets_bar"] = m["heldout_accuracy"] >= SHIP_HELDOUT and m["hard_accuracy"] >= SHIP_HARD
        out["picked_heldout"] = m
    return out


def render(r: dict[str, Any]) -> list[str]:
    lines = ["## The local compressor taught to keep glyphs (issue #18 item 3, glyph)", "",
             "Where glyphs are lost (`python -m models.nano.polish_local decode`): each val object's local token "
             "matched (cosine) against every symbolic local slot an object can have (colour + shape + glyph word "
             "embeddings, what stage 0b taught the LLM to read); % of objects whose nearest slot has the right "
             "attribute. The fine-tunes add `objtokens.attribute_ce`, a cross-entropy over those slots at each "
             "object's local token, and let the local compressor learn beside the LLM.", "",
             "| candidate | val | val glyph | val count | val exist | val position | local decode: colour / shape / "
             "glyph | val out-of-scope → sentence |", "|---|---|---|---|---|---|---|---|"]
    for k, c in r["candidates"].items():
        d = c.get("val_decode")
        dec = f"{d['colour']:.1f} / {d['shape']:.1f} / {d['glyph']:.1f}" if d else "–"
        fam = c["val_by_family"]
        lines.append(f"| {k}{' (picked)' if k == r['picked'] else ''}: {c['what']} | {c['val_accuracy']:.2f} | "
                     f"{fam['glyph']:.1f} | {fam['count']:.1f} | {fam['exist']:.1f} | {fam['position']:.1f} | {dec} | "
                     f"{c['out_of_scope_rate_val']:.1f}% |")
    p = r.get("polish")
    if p:
        b, a = p["val_decode_before"], p["val_decode_after"]
        lines += ["", f"The polish alone ({p['steps']} steps, {p['seconds']:.0f} s): local glyph decode "
                  f"{b['glyph']:.1f} → {a['glyph']:.1f}% (colour {b['colour']:.1f} → {a['colour']:.1f}, shape "
                  f"{b['shape']:.1f} → {a['shape']:.1f})."]
    lines += ["", "Rule (work/glyph/RULE.txt, written before the figures it judges; amendments dated):", ""]
    lines += [f"> {line}" if line else ">" for line in r["rule"]]
    h = r.get("picked_heldout")
    if h:
        fams = ", ".join(f"{f} {v:.1f}" for f, v in h["heldout_by_family"].items())
        hard = ", ".join(f"{f} {v:.1f}" for f, v in h["hard_by_family"].items())
        lines += ["", f"{r['picked']} read once: heldout **{h['heldout_accuracy']:.2f}** ({fams}); hard "
                  f"**{h['hard_accuracy']:.2f}** ({hard}); held-out out-of-scope questions answered with the sentence "
                  f"{h['out_of_scope_rate']:.2f}% of {h['out_of_scope_questions']}. Ships if {h['ships_if']}: "
                  f"{'met' if h['meets_bar'] else 'not met'}."]
    if r["picked"] == "C":
        lines += ["", "Picked: C. No candidate met the rule, so their heldout and hard figures were not read and "
                  "models/nano keeps the shipped model.", ""]
    else:
        lines += ["", f"Picked: {r['picked']}. models/nano ships it: **{'yes' if r['shipped'] else 'no'}**.", ""]
    return lines


def main(argv: list[str] | None = None) -> dict[str, Any]:
    from models.nano.report import save_sections
    from models.nano.train import NANO_DIR, WORK

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--work", type=Path, default=WORK)
    ap.add_argument("--shipped", action="store_true", help="models/nano now holds the picked candidate")
    a = ap.parse_args(argv)
    section = build(a.work, a.shipped)
    save_sections({"retrain_glyph": section}, NANO_DIR / "results.json", WORK)
    print(json.dumps({k: section[k] for k in ("picked", "shipped")}))
    return section


if __name__ == "__main__":
    main()
