"""python -m models.mine — mine hard examples with a SliME model folder on Ray.

  python -m models.mine INPUT... --out DIR [--model-dir models/nano] (--question Q)... [--questions FILE]
                        [--workers N | --address HOST:PORT] [--local] [--max-new-tokens 64] [--top-p X]
                        [--ood-method knn-cosine|mahalanobis] [--rows-per-shard 1000] [--no-image-bytes] [--json]
  python -m models.mine --bench [INPUT...] [--json]      (the same inputs with 1 and 2 Ray workers: images/s)

INPUT: a folder of images (recursive; every format the app reads), or Parquet shards in the Hugging Face datasets
layout (a .parquet file or a folder of them; a `question` column adds that row's question). Questions: --question
(repeatable) and --questions FILE (one per line, or JSON: a list or {"questions": [...], "perImage": {"a.png": [...]}}).
Writes DIR/part-00000.parquet, … (one row per image × question: answer, detail, instability, diverge_at, margin,
ood_score, in_dist, needs_detail, embedding, provenance) that `slime dataset import DIR` reads back.
Runs on a local Ray cluster with --workers CPUs (default 2) unless --address names an existing one; --local runs in
this process without Ray (the single-process reference).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any

from .run import run_local, run_ray
from .shards import write_shards
from .sources import Item, folder_items, parquet_items, read_question_file
from .worker import DEFAULT_MAX_NEW_TOKENS, MineConfig

ROOT = Path(__file__).resolve().parents[2]
NANO = ROOT / "models" / "nano"


def parse(argv: list[str] | None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(prog="python -m models.mine", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("inputs", nargs="*", type=Path)
    ap.add_argument("--out", type=Path)
    ap.add_argument("--model-dir", type=Path, default=NANO)
    ap.add_argument("--question", action="append", default=[])
    ap.add_argument("--questions", type=Path)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--address", default=None, help="an existing Ray cluster (e.g. 10.0.0.5:6379 or auto)")
    ap.add_argument("--local", action="store_true", help="no Ray: run in this process")
    ap.add_argument("--max-new-tokens", type=int, default=DEFAULT_MAX_NEW_TOKENS)
    ap.add_argument("--top-p", type=float, default=None)
    ap.add_argument("--ood-method", choices=("knn-cosine", "mahalanobis"), default=None)
    ap.add_argument("--rows-per-shard", type=int, default=1000)
    ap.add_argument("--no-image-bytes", action="store_true", help="shards hold image paths only")
    ap.add_argument("--bench", action="store_true")
    ap.add_argument("--json", action="store_true")
    return ap.parse_args(argv)


def load_items(inputs: list[Path], question: list[str], questions: Path | None) -> list[Item]:
    shared, per = list(question), {}
    if questions is not None:
        more, per = read_question_file(questions)
        shared += more
    items: list[Item] = []
    for p in inputs:
        if p.suffix == ".parquet" or (p.is_dir() and any(p.glob("*.parquet"))):
            items += parquet_items([p], shared, per)
        else:
            items += folder_items(p, shared, per)
    return [it for it in items if it.questions]


def bench_items() -> list[Item]:
    """Nano's 12 sample images with their own questions (the default bench input)."""
    samples = json.loads((NANO / "samples" / "samples.json").read_text())
    per = {s["image"]: [s["question"]] for s in samples}
    return folder_items(NANO / "samples", [], per)


def bench(items: list[Item], cfg: MineConfig) -> dict[str, Any]:
    """The same items on a fresh local Ray cluster with 1 and then 2 workers. `seconds` runs from the first task to
    the last result (actors loaded); `startSeconds` is cluster start + actor model load, reported apart."""
    pairs = sum(len(it.questions) for it in items)
    name = json.loads((Path(cfg.model_dir) / "manifest.json").read_text())["name"]
    out: dict[str, Any] = {"model": name, "images": len(items), "pairs": pairs}
    answers = {}
    for w in (1, 2):
        r = run_ray(items, cfg, w)
        answers[w] = [(row["image_sha256"], row["question"], row["answer"]) for row in r["rows"]]
        out[f"workers{w}"] = {"seconds": round(r["seconds"], 2), "imagesPerS": round(len(items) / r["seconds"], 2),
                              "pairsPerS": round(pairs / r["seconds"], 2), "startSeconds": round(r["start_seconds"], 2)}
    out["speedup2vs1"] = round(out["workers1"]["seconds"] / out["workers2"]["seconds"], 2)
    out["sameAnswers"] = answers[1] == answers[2]
    out["loadAverage"] = round(os.getloadavg()[0], 2)
    return out


def main(argv: list[str] | None = None) -> int:
    a = parse(argv)
    cfg = MineConfig(model_dir=str(a.model_dir), max_new_tokens=a.max_new_tokens, top_p=a.top_p,
                     ood_method=a.ood_method, embed_images=not a.no_image_bytes)
    if a.bench:
        items = load_items(a.inputs, a.question, a.questions) if a.inputs else bench_items()
        print(json.dumps(bench(items, cfg), indent=None if a.json else 1))
        return 0
    if not a.inputs or a.out is None:
        print("python -m models.mine: INPUT... and --out DIR are required (see --help)", file=sys.stderr)
        return 2
    if not a.question and a.questions is None:
        print("python -m models.mine: give --question Q (repeatable) or --questions FILE", file=sys.stderr)
        return 2
    items = load_items(a.inputs, a.question, a.questions)
    r = run_local(items, cfg) if a.local else run_ray(items, cfg, a.workers, a.address)
    shards = write_shards(r["rows"], a.out, a.rows_per_shard)
    summary = {"out": str(a.out), "shards": [s.name for s in shards], "rows": len(r["rows"]), "images": len(items),
               "failed": r["failed"], "workers": 0 if a.local else a.workers, "seconds": round(r["seconds"], 3)}
    print(json.dumps(summary, indent=None if a.json else 1))
    return 0 if not r["failed"] else 1


if __name__ == "__main__":
    sys.exit(main())
