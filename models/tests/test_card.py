"""card.json: the format check, write_card's manifest entry, the minimal card of a converted checkpoint."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from models.card import CardError, check_card, minimal_card, write_card

MANIFEST = {"format": "slime-studio-model", "version": 2, "name": "SliME-Llama3-8B", "dtype": "int4",
            "source": {"checkpoint": "/ckpt/SliME-Llama3-8B"}, "llm": {"layers": 32, "hidden": 4096},
            "vision": {"image_size": 336}, "template": "llama3"}


def _folder(tmp_path: Path) -> Path:
    (tmp_path / "manifest.json").write_text(json.dumps(MANIFEST))
    return tmp_path


def test_minimal_card_is_valid_and_recorded_in_the_manifest(tmp_path: Path) -> None:
    folder = _folder(tmp_path)
    card = minimal_card(MANIFEST)
    assert card["accuracy"] is None and card["samples"] == [] and card["out_of_scope_sentence"] is None
    assert "/ckpt/SliME-Llama3-8B" in card["summary"]
    entry = write_card(folder, card)
    data = (folder / "card.json").read_bytes()
    assert entry == {"file": "card.json", "sha256": hashlib.sha256(data).hexdigest(), "bytes": len(data)}
    m = json.loads((folder / "manifest.json").read_text())
    assert m["card"] == entry and m["name"] == "SliME-Llama3-8B"


def test_bad_cards_are_refused_naming_the_field(tmp_path: Path) -> None:
    folder = _folder(tmp_path)
    card = minimal_card(MANIFEST)
    with pytest.raises(CardError, match="summary"):
        check_card({k: v for k, v in card.items() if k != "summary"})
    with pytest.raises(CardError, match="samples.0.image"):
        check_card({**card, "samples": [{"image": "../x.png", "question": "q"}]})
    with pytest.raises(CardError, match="is not a file"):
        check_card({**card, "samples": [{"image": "samples/a.png", "question": "q"}]}, folder)
    with pytest.raises(CardError, match="families.0.examples.0"):
        check_card({**card, "families": [{"id": "x", "title": "X", "description": "d", "examples": [{"q": 1}]}]})
    with pytest.raises(CardError, match="version"):
        check_card({**card, "version": 2})
    assert not (folder / "card.json").exists()


def test_shipped_nano_card_is_valid_when_present() -> None:
    folder = Path(__file__).resolve().parents[1] / "nano"
    if not (folder / "card.json").exists():
        pytest.skip("models/nano/card.json not written yet")
    card = json.loads((folder / "card.json").read_text())
    check_card(card, folder)
    assert len(card["samples"]) == 12 and len(card["families"]) == 6
    m = json.loads((folder / "manifest.json").read_text())
    assert m["card"]["sha256"] == hashlib.sha256((folder / "card.json").read_bytes()).hexdigest()
