"""SliME-Nano results: target checks (issue 4) and the readable RESULTS.md table."""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from models.nano import data

DETAIL = data.DETAIL_FAMILIES


def _acc(r: dict[str, Any]) -> float | None:
    return r.get("accuracy") if isinstance(r, dict) else None


def targets(results: dict[str, Any]) -> dict[str, Any]:
    """The three targets on `heldout`, each with its measured value, threshold, margin and met flag."""
    h = results["splits"]["heldout"]
    ship, glob, hd, keep = h.get(results["shipped"], {}), h.get("global_only", {}), h.get("hd_uncompressed", {}), \
        h.get("slime_keep_all", {})
    out: dict[str, Any] = {}
    if _acc(ship) is not None:
        out["shipped_heldout_accuracy"] = {"value": ship["accuracy"], "threshold": 80.0,
                                           "margin": round(ship["accuracy"] - 80.0, 2),
                                           "met": ship["accuracy"] >= 80.0}
    if _acc(ship) is not None and _acc(glob) is not None:
        for fam in DETAIL:
            gap = round(ship["accuracy_by_family"][fam] - glob["accuracy_by_family"][fam], 2)
            out[f"detail_{fam}_gap_vs_global_only"] = {"value": gap, "threshold": 25.0,
                                                       "margin": round(gap - 25.0, 2), "met": gap >= 25.0}
    if _acc(hd) is None:
        for k, thr in (("keep_all_vs_hd_accuracy", -3.0), ("keep_all_local_token_ratio", 0.4)):
            out[k] = {"value": None, "threshold": thr, "margin": None, "met": False, "status": "not run"}
    if _acc(keep) is not None and _acc(hd) is not None:
        diff = round(keep["accuracy"] - hd["accuracy"], 2)
        hd_local = hd["mean_visual_tokens"] - 65
        keep_local = keep["mean_visual_tokens"] - 65
        ratio = round(keep_local / hd_local, 3) if hd_local > 0 else None
        out["keep_all_vs_hd_accuracy"] = {"value": diff, "threshold": -3.0, "margin": round(diff + 3.0, 2),
                                          "met": diff >= -3.0}
        out["keep_all_local_token_ratio"] = {"value": ratio, "threshold": 0.4,
                                             "met": ratio is not None and ratio <= 0.4}
    return out


def _row(name: str, r: dict[str, Any]) -> str:
    if _acc(r) is None:
        return f"| {name} | not run | | | | | | | | |"
    fam = r["accuracy_by_family"]
    cells = " | ".join("" if fam[f] is None else f"{fam[f]:.1f}" for f in data.FAMILIES)
    return (f"| {name} | {r['accuracy']:.1f} | {cells} | {r['mean_visual_tokens']:.0f} | "
            f"{r.get('prefill_ms', float('nan')):.1f} |")


def save_sections(sections: dict[str, Any], results_path: Path, work: Path) -> dict[str, Any]:
    """Sets these top-level sections of ``results_path`` (results.json), writes it back and re-renders RESULTS.md
    beside it; the report modules (claims, guard, out-of-scope, comparison, position) all save this way."""
    results = json.loads(results_path.read_text())
    results.update(sections)
    results_path.write_text(json.dumps(results, indent=1) + "\n")
    write_report(results, results_path.with_name("RESULTS.md"), work)
    return results


def retrain_cli(doc: str, key: str, build: Callable[[Path, bool], dict[str, Any]], argv: list[str] | None
                ) -> dict[str, Any]:
    """The command line of a retrain report over the work folder (sizes_report, glyph_report): ``build(work,
    shipped)`` → results.json[key] and RESULTS.md; prints the pick."""
    from models.nano.train import NANO_DIR, WORK

    ap = argparse.ArgumentParser(description=doc.splitlines()[0])
    ap.add_argument("--work", type=Path, default=WORK)
    ap.add_argument("--shipped", action="store_true", help="models/nano now holds the picked candidate")
    a = ap.parse_args(argv)
    section = build(a.work, a.shipped)
    save_sections({key: section}, NANO_DIR / "results.json", WORK)
    print(json.dumps({k: section[k] for k in ("picked", "shipped")}))
    return section


# retrain sections, newest first: (results.json key, RESULTS.md section title)
RETRAINS = (("retrain_glyph", "The local compressor taught to keep glyphs"),
            ("retrain_sizes", "Retrained with small objects in the train scenes"),
            ("retrain", "Retrained with the position routes"))


def shipped_retrain(results: dict[str, Any]) -> tuple[str, dict[str, Any]] | None:
    """The RESULTS.md title and the read-once figures (``picked_heldout``) of the retrained model that models/nano
    holds, or None when it holds the staged model of the split tables."""
    for key, title in RETRAINS:
        section = results.get(key, {})
        if section.get("shipped") and section.get("picked_heldout"):
            return title, section["picked_heldout"]
    return None


def write_report(results: dict[str, Any], path: Path, work: Path) -> None:
    """Render RESULTS.md from the results dict."""
    fams = " | ".join(data.FAMILIES)
    lines = ["# SliME-Nano results", "",
             "Generated by `.venv/bin/python -m models.nano.evaluate` (do not edit by hand). Exact match on "
             "short answers; every variant sees the same held-out scenes.", "",
             f"Shipped variant: **{results['shipped']}** (the staged model, legacy double-softmax selector, "
             "top-p 0.95 — the SliME-Llama3-8B release setting).", ""]
    shipped = shipped_retrain(results)
    if shipped:
        title, h = shipped
        lines += [f"models/nano now holds the retrained model (section \"{title}\"): heldout "
                  f"{h['heldout_accuracy']:.2f}, hard {h['hard_accuracy']:.2f}, out-of-scope questions answered with "
                  f"the sentence {h['out_of_scope_rate']:.2f}%. The split tables below describe the staged model "
                  "shipped before it and the comparison runs trained from the same stage 0.", ""]
    for split, res in results["splits"].items():
        n = next((r.get("questions") for r in res.values() if isinstance(r, dict) and r.get("questions")), "?")
        lines += [f"## Split `{split}` ({n} questions)", "",
                  f"| variant | accuracy | {fams} | visual tokens | prefill ms |",
                  "|---|---|" + "---|" * len(data.FAMILIES) + "---|---|"]
        for name, r in res.items():
            if name in results.get("training_variants", {}):
                continue
            lines.append(_row(name, r))
        lines.append("")
    lines += ["## Training schedules (shipped inference configuration)", "",
              f"| schedule | split | accuracy | {fams} | visual tokens | prefill ms |",
              "|---|---|---|" + "---|" * len(data.FAMILIES) + "---|---|"]
    for name, tv in results.get("training_variants", {}).items():
        for split, r in tv.items():
            lines.append(_row(f"{name} | {split}", r).replace("| not run |", "| not run | |"))
    lines += ["", "## Targets (heldout)", "", "| target | value | threshold | margin | met |", "|---|---|---|---|---|"]
    for k, t in results.get("targets", {}).items():
        met = "yes" if t["met"] else "NO"
        lines.append(f"| {k} | {t['value']} | {t['threshold']} | {t.get('margin', '')} | {met} |")
    lines.append("")
    if "out_of_scope" in results:
        from models.nano.oos_report import render as render_oos

        lines += render_oos(results["out_of_scope"])
    if "ood_guard" in results:
        from models.nano.guard_report import render as render_guard

        lines += render_guard(results["ood_guard"])
    if "retrain_glyph" in results:
        from models.nano.glyph_report import render as render_glyph

        lines += render_glyph(results["retrain_glyph"])
    if "retrain_sizes" in results:
        from models.nano.sizes_report import render as render_sizes

        lines += render_sizes(results["retrain_sizes"])
    if "retrain" in results:
        from models.nano.retrain_report import render as render_retrain

        lines += render_retrain(results["retrain"])
    if "position_probe" in results:
        from models.nano.position_probe import render as render_probe

        lines += render_probe(results["position_probe"])
    if "position_route" in results:
        from models.nano.position_route import render as render_route

        lines += render_route(results["position_route"])
    if "claims" in results:
        from models.nano.claims import render as render_claims

        lines += render_claims(results)
    if "fair_comparison" in results:
        from models.nano.compare_report import render

        lines += render(results["fair_comparison"])
    notes = results.get("notes", {})
    lines += ["## Notes", ""]
    lines += [f"- {n}" for n in notes.get("text", [])]
    if "staged_training_seconds" in notes:
        lines.append(f"- Staged run wall time (2-core CPU, seconds): `{json.dumps(notes['staged_training_seconds'])}`")
    path.write_text("\n".join(lines) + "\n")
