"""What a mining job reads: image files under a folder (recursive, sorted, hidden entries skipped — as
electron/node/mining/scan.ts) or the rows of Parquet shards in the Hugging Face datasets layout (`image` struct
{bytes, path}; optional `question` column), and the questions (typed, or a text/JSON file, optionally per image)."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

IMAGE_EXTENSIONS = {".png", ".jpg", ".jpeg", ".webp", ".gif", ".tif", ".tiff", ".avif", ".heic", ".heif", ".bmp"}


@dataclass
class Item:
    """One image and the questions to ask about it. `path` (a readable file) or `data` (the bytes) is set."""

    key: str  # relative path under the folder, or "<shard>#<row>"
    questions: list[str]
    path: str | None = None
    data: bytes | None = None
    meta: dict[str, str] = field(default_factory=dict)

    def read(self) -> bytes:
        if self.data is not None:
            return self.data
        assert self.path is not None
        return Path(self.path).read_bytes()


def sha256(b: bytes) -> str:
    return hashlib.sha256(b).hexdigest()


def list_images(folder: Path) -> list[tuple[str, Path]]:
    """(relative path with '/', file) of every image under `folder`, sorted by relative path."""
    root = folder.resolve()
    if not root.is_dir():
        raise FileNotFoundError(f"Cannot read the folder {root}")
    found = []
    for p in root.rglob("*"):
        rel = p.relative_to(root).as_posix()
        if p.is_file() and p.suffix.lower() in IMAGE_EXTENSIONS and not any(s.startswith(".") for s in rel.split("/")):
            found.append((rel, p))
    return sorted(found, key=lambda t: t[0].encode("utf-16-be"))


def read_question_file(file: Path) -> tuple[list[str], dict[str, list[str]]]:
    """A .json list, or {"questions": [...], "perImage": {"sub/a.png": [...]}}; else one question per line
    (blank lines and '#' lines skipped)."""
    text = file.read_text(encoding="utf-8")
    if file.suffix.lower() != ".json":
        return [s.strip() for s in text.splitlines() if s.strip() and not s.strip().startswith("#")], {}
    data = json.loads(text)

    def clean(v: object, where: str) -> list[str]:
        if not isinstance(v, list) or not all(isinstance(q, str) for q in v):
            raise ValueError(f"{where} must be a list of question strings")
        return [q.strip() for q in v if q.strip()]
    if isinstance(data, list):
        return clean(data, str(file)), {}
    if not isinstance(data, dict):
        raise ValueError(f"{file} must hold a list or an object")
    per = {k.replace("\\", "/"): clean(v, f"{file}: perImage[{k!r}]") for k, v in (data.get("perImage") or {}).items()}
    return clean(data.get("questions", []), f"{file}: questions"), per


def questions_for(key: str, shared: list[str], per_image: dict[str, list[str]]) -> list[str]:
    return list(dict.fromkeys([*shared, *per_image.get(key, [])]))


def folder_items(folder: Path, shared: list[str], per_image: dict[str, list[str]]) -> list[Item]:
    return [Item(rel, questions_for(rel, shared, per_image), path=str(p)) for rel, p in list_images(folder)]


def parquet_items(paths: list[Path], shared: list[str], per_image: dict[str, list[str]]) -> list[Item]:
    """Rows of Parquet files (a folder means its *.parquet in name order). A row's own `question` is asked with
    the shared ones; rows of one image are not merged (each row is its own item)."""
    import pyarrow.parquet as pq

    files: list[Path] = []
    for p in paths:
        files.extend(sorted(p.glob("*.parquet")) if p.is_dir() else [p])
    items = []
    for f in files:
        table = pq.read_table(f, columns=[c for c in ("image", "question") if c in pq.read_schema(f).names])
        if "image" not in table.column_names:
            raise ValueError(f"{f} has no `image` column (the Hugging Face datasets Image layout)")
        for i, row in enumerate(table.to_pylist()):
            img = row["image"] or {}
            key = img.get("path") or f"{f.name}#{i}"
            own = [row["question"]] if isinstance(row.get("question"), str) and row["question"].strip() else []
            qs = questions_for(key, [*shared, *own], per_image)
            if img.get("bytes"):
                items.append(Item(key, qs, data=img["bytes"], meta={"source": f"{f.name}#{i}"}))
            elif img.get("path"):
                items.append(Item(key, qs, path=str((f.parent / img["path"]).resolve()), meta={"source": f"{f.name}#{i}"}))
    return items
