"""Mining Parquet shards (SESSION2-PLAN.md "Mining Parquet shard"): part-00000.parquet, … one row per
image × question, `image` as the Hugging Face datasets Image struct {bytes, path} (the schema metadata names it
an Image feature, so `datasets.load_dataset("parquet", …)` decodes it), JSON strings for diverge_at/sweep/provenance."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

SCHEMA = pa.schema([
    ("image", pa.struct([("bytes", pa.binary()), ("path", pa.string())])),
    ("image_sha256", pa.string()),
    ("question", pa.string()),
    ("answer", pa.string()),
    ("detail", pa.float64()),
    ("detail_full", pa.float64()),
    ("detail_global_only", pa.float64()),
    ("instability", pa.float64()),
    ("diverge_at", pa.string()),
    ("margin", pa.float64()),
    ("ood_score", pa.float64()),
    ("in_dist", pa.bool_()),
    ("needs_detail", pa.float64()),
    ("embedding", pa.list_(pa.float32())),
    ("sweep", pa.string()),
    ("missing", pa.list_(pa.string())),
    ("provenance", pa.string()),
])

HF_FEATURES = {"info": {"features": {
    "image": {"_type": "Image"}, "image_sha256": {"dtype": "string", "_type": "Value"},
    "question": {"dtype": "string", "_type": "Value"}, "answer": {"dtype": "string", "_type": "Value"},
    **{c: {"dtype": "float64", "_type": "Value"} for c in ("detail", "detail_full", "detail_global_only", "instability",
                                                           "margin", "ood_score", "needs_detail")},
    "diverge_at": {"dtype": "string", "_type": "Value"}, "in_dist": {"dtype": "bool", "_type": "Value"},
    "embedding": {"feature": {"dtype": "float32", "_type": "Value"}, "_type": "List"},
    "sweep": {"dtype": "string", "_type": "Value"},
    "missing": {"feature": {"dtype": "string", "_type": "Value"}, "_type": "List"},
    "provenance": {"dtype": "string", "_type": "Value"},
}}}


def write_shards(rows: list[dict[str, Any]], out: Path, rows_per_shard: int = 1000) -> list[Path]:
    """Writes rows in order into out/part-NNNNN.parquet (refuses a folder that already holds shards)."""
    out.mkdir(parents=True, exist_ok=True)
    if any(out.glob("part-*.parquet")):
        raise FileExistsError(f"{out} already holds part-*.parquet shards; choose an empty folder")
    schema = SCHEMA.with_metadata({"huggingface": json.dumps(HF_FEATURES)})
    files = []
    for n, start in enumerate(range(0, max(len(rows), 1), rows_per_shard)):
        chunk = rows[start:start + rows_per_shard]
        table = pa.Table.from_pylist(chunk, schema=schema)
        path = out / f"part-{n:05d}.parquet"
        pq.write_table(table, path)
        files.append(path)
    return files


def read_shards(folder: Path) -> list[dict[str, Any]]:
    return [r for f in sorted(folder.glob("part-*.parquet")) for r in pq.read_table(f).to_pylist()]
