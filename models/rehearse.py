"""Full-size rehearsal (`python -m models.rehearse --shape llama3-8b|vicuna-7b|1b|quick`): write, convert, load, ask."""

from __future__ import annotations

import argparse
import json
import platform
import shutil
import subprocess
import sys
import time
from pathlib import Path

from models.rehearsal.measure import PYTHON, folder_bytes, load_probe, make_image, slime_ask, timed
from models.rehearsal.report import record
from models.rehearsal.shapes import ROOT, SHAPES, Shape
from models.rehearsal.writer import write_checkpoint, write_clip

DEFAULT_BASE = Path("/work/rehearsal")
QUESTION = "What is written on the labels?"
# Issue 14's targets: conversion peak RSS and the inference process's resident memory after load.
CONVERT_RSS_MB = 4096
LOAD_HEADROOM_MB = 1536


def ensure_checkpoint(shape: Shape, base: Path, force: bool, log) -> dict:
    """The random released-layout checkpoint + CLIP folder under base (reused when its marker says complete)."""
    ck, clip, marker = base / "checkpoint", base / "clip", base / "checkpoint" / "rehearsal.json"
    if marker.exists() and not force:
        info = json.loads(marker.read_text())
        if info.get("shape") == shape.name:
            log(f"checkpoint {ck} exists ({info['checkpoint']['bytes'] / 1e9:.2f} GB), reusing it")
            return info
    for d in (ck, clip):
        shutil.rmtree(d, ignore_errors=True)
    log(f"writing the {shape.name} checkpoint (bf16 shards) to {ck} …")
    info = {"shape": shape.name, "seed": 0, "checkpoint": write_checkpoint(shape, ck, log=log),
            "clip": write_clip(shape, clip)}
    marker.write_text(json.dumps(info, indent=2))
    return info


def convert(base: Path, dtype: str, log) -> dict:
    """`python -m models.export` under /usr/bin/time -v; the output folder's size and the converter's peak RSS."""
    out = base / f"export-{dtype}"
    shutil.rmtree(out, ignore_errors=True)
    log(f"converting to {dtype} → {out} …")
    cmd = [str(PYTHON), "-m", "models.export", "--checkpoint", str(base / "checkpoint"), "--out", str(out),
           "--dtype", dtype, "--clip", str(base / "clip")]
    r = timed(cmd, base / f"export-{dtype}.log")
    r["out"], r["commit"] = str(out), git_commit()
    r["files_mb"] = round(folder_bytes(out) / 2**20, 1) if out.exists() else None
    if r["returncode"] != 0:
        tail = Path(r["log"]).read_text(errors="replace").splitlines()[-8:]
        r["error"] = "\n".join(tail)
    r["rss_target_mb"] = CONVERT_RSS_MB
    r["rss_target_met"] = r["peak_rss_mb"] is not None and r["peak_rss_mb"] <= CONVERT_RSS_MB
    log(f"  {dtype}: rc {r['returncode']}, {r['wall_s']} s, peak RSS {r['peak_rss_mb']} MB, files {r['files_mb']} MB")
    return r


def load_and_ask(base: Path, dtype: str, conv: dict, max_tokens: int, log) -> dict:
    """Load probe (load ms, RSS after load) then `slime ask` on the 2×3-tile image (TTFT, decode, peak RSS)."""
    model = Path(conv["out"])
    image = make_image(base / "image-1024.png")
    probe = load_probe(model)
    log(f"  load {dtype}: {json.dumps(probe)[:300]}")
    ask = slime_ask(model, image, QUESTION, max_tokens)
    log(f"  ask {dtype}: {json.dumps({k: v for k, v in ask.items() if k != 'command'})[:500]}")
    budget = (conv.get("files_mb") or 0) + LOAD_HEADROOM_MB
    rss = probe.get("rss_after_load_mb")
    return {"load": probe, "ask": ask, "load_rss_budget_mb": round(budget, 1),
            "load_rss_target_met": rss is not None and rss <= budget}


def git_commit() -> str:
    r = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True)
    return r.stdout.strip()


def previous_conversion(results: Path | None, shape: str, dtype: str, base: Path) -> dict | None:
    """The recorded conversion of an export folder that is still there (for --reuse-exports)."""
    if results is None or not results.exists() or not (base / f"export-{dtype}" / "manifest.json").exists():
        return None
    conv = json.loads(results.read_text()).get(shape, {}).get("convert", {}).get(dtype)
    return conv if conv and conv.get("returncode") == 0 else None


def run(shape_name: str, base: Path, dtypes: list[str], max_tokens: int, force: bool, ask: bool,
        results: Path | None, log=print, reuse: bool = False) -> dict:
    shape = SHAPES[shape_name]
    base.mkdir(parents=True, exist_ok=True)
    t0 = time.time()
    entry: dict = {"shape": shape_name, "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
                   "commit": git_commit(), "machine": f"{platform.machine()}, {_cpus()} CPUs, {_mem_gb()} GB RAM",
                   "config": {k: getattr(shape.cfg, k) for k in ("hidden", "layers", "heads", "kv_heads",
                                                                  "intermediate", "vocab_size", "vision_hidden",
                                                                  "vision_layers", "image_size")}}
    entry["write"] = ensure_checkpoint(shape, base, force, log)
    entry["convert"], entry["run"] = {}, {}
    for dtype in dtypes:
        conv = (reuse and previous_conversion(results, shape_name, dtype, base)) or convert(base, dtype, log)
        entry["convert"][dtype] = conv
        if ask and conv["returncode"] == 0:
            entry["run"][dtype] = load_and_ask(base, dtype, conv, max_tokens, log)
    entry["total_s"] = round(time.time() - t0, 1)
    if results is not None:
        record(results, entry)
        log(f"recorded in {results} and {results.with_name('RESULTS.md')}")
    return entry


def _cpus() -> int:
    import os

    return os.cpu_count() or 0


def _mem_gb() -> int:
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal:"):
            return round(int(line.split()[1]) / 2**20)
    return 0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m models.rehearse", description=__doc__)
    ap.add_argument("--shape", required=True, choices=sorted(SHAPES))
    ap.add_argument("--base", default=None, help=f"work folder (default {DEFAULT_BASE}/SHAPE; keep it outside git)")
    ap.add_argument("--dtypes", default="int4,fp16", help="comma-separated export dtypes (default int4,fp16)")
    ap.add_argument("--max-tokens", type=int, default=32, help="tokens `slime ask` generates (default 32)")
    ap.add_argument("--force", action="store_true", help="rewrite the checkpoint even if it is there")
    ap.add_argument("--no-ask", action="store_true", help="write and convert only")
    ap.add_argument("--results", default=str(ROOT / "models" / "rehearsal" / "results.json"),
                    help="results file to update ('' = none)")
    ap.add_argument("--reuse-exports", action="store_true",
                    help="keep an export folder (and its recorded conversion) from an earlier run instead of converting")
    ap.add_argument("--delete-exports", action="store_true", help="remove the export folders afterwards")
    a = ap.parse_args(argv)
    base = Path(a.base) if a.base else DEFAULT_BASE / a.shape
    entry = run(a.shape, base, [d for d in a.dtypes.split(",") if d], a.max_tokens, a.force, not a.no_ask,
                Path(a.results) if a.results else None, reuse=a.reuse_exports)
    if a.delete_exports:
        for d in entry["convert"].values():
            shutil.rmtree(d["out"], ignore_errors=True)
    failed = [d for d, c in entry["convert"].items() if c["returncode"] != 0]
    failed += [d for d, r in entry["run"].items() if "error" in r["ask"] or "error" in r["load"]]
    print(json.dumps({"shape": a.shape, "failed": failed, "total_s": entry["total_s"]}))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
