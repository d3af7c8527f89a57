"""Model card: ``card.json`` beside ``manifest.json`` (format in models/MANIFEST.md, "card.json").

The card says what a model folder was trained on, which questions it answers, how well, and which samples the app
shows first. ``write_card`` writes it and records it in the manifest as ``card: {file, sha256, bytes}`` (the same
fields as a graph's external data), so a loader can tell a card that belongs to the folder from a stale one.
Converted checkpoints get ``minimal_card`` (models.export); SliME-Nano's full card is built by models.nano.card.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

CARD_VERSION = 1
CARD_FILE = "card.json"
REQUIRED = ("version", "name", "summary", "trained_on", "families", "accuracy", "out_of_scope_sentence", "samples")


class CardError(ValueError):
    """A card that does not have the documented shape."""


def check_card(card: dict[str, Any], folder: Path | None = None) -> None:
    """Raise CardError naming the first field that does not match the format (and missing sample images)."""
    missing = [k for k in REQUIRED if k not in card]
    if missing:
        raise CardError(f"card.json: missing field(s) {missing}")
    if card["version"] != CARD_VERSION:
        raise CardError(f"card.json: version {card['version']!r}, expected {CARD_VERSION}")
    for i, f in enumerate(card["families"]):
        for k in ("id", "title", "description", "examples"):
            if k not in f:
                raise CardError(f"card.json: families.{i}.{k} missing")
        for j, ex in enumerate(f["examples"]):
            if not isinstance(ex.get("question"), str) or not isinstance(ex.get("answer"), str):
                raise CardError(f"card.json: families.{i}.examples.{j} needs question and answer strings")
    for i, s in enumerate(card["samples"]):
        for k in ("image", "question"):
            if not isinstance(s.get(k), str) or not s[k]:
                raise CardError(f"card.json: samples.{i}.{k} missing")
        p = Path(s["image"])
        if p.is_absolute() or ".." in p.parts:
            raise CardError(f"card.json: samples.{i}.image must be a relative path inside the folder")
        if folder is not None and not (folder / p).is_file():
            raise CardError(f"card.json: samples.{i}.image {s['image']} is not a file in {folder}")
    acc = card["accuracy"]
    if acc is not None and not isinstance(acc, list):
        raise CardError("card.json: accuracy must be a list of figures or null")


def write_card(folder: Path, card: dict[str, Any]) -> dict[str, Any]:
    """Validate and write ``folder/card.json``, then record it in ``folder/manifest.json`` (key ``card``)."""
    folder = Path(folder)
    check_card(card, folder)
    path = folder / CARD_FILE
    path.write_text(json.dumps(card, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    entry = {"file": CARD_FILE, "sha256": hashlib.sha256(path.read_bytes()).hexdigest(), "bytes": path.stat().st_size}
    mpath = folder / "manifest.json"
    manifest = json.loads(mpath.read_text())
    manifest["card"] = entry
    mpath.write_text(json.dumps(manifest, indent=2) + "\n")
    return entry


def minimal_card(manifest: dict[str, Any], checkpoint: str | None = None) -> dict[str, Any]:
    """The card of a converted released checkpoint: what it is and where it came from, no claims we did not
    measure (accuracy null, no families, no samples, no out-of-scope sentence)."""
    name = manifest.get("name", "SliME")
    src = checkpoint or manifest.get("source", {}).get("checkpoint") or "a released SliME checkpoint"
    llm = manifest.get("llm", {})
    return {
        "version": CARD_VERSION,
        "name": name,
        "summary": (f"{name}, converted from {src} with models.export ({manifest.get('dtype', '?')}). A general "
                    "image-question model: ask about the image in your own words."),
        "trained_on": ("The released checkpoint's own training data (see its model card); SliME Studio did not "
                       "train or evaluate it."),
        "architecture": {"llm_layers": llm.get("layers"), "llm_hidden": llm.get("hidden"),
                         "tile": manifest.get("vision", {}).get("image_size"), "template": manifest.get("template")},
        "families": [],
        "accuracy": None,
        "out_of_scope_sentence": None,
        "samples": [],
    }
