"""SliME-Nano's model card (models/card.py format): built from results.json and samples/samples.json.

Usage: .venv/bin/python -m models.nano.card [--folder models/nano]
Every figure on the card is read from results.json (the measured numbers, never typed in); the samples are the 12
of samples/samples.json, each answered correctly by the shipped graphs when ship.py picked them.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from models.card import CARD_VERSION, write_card
from models.nano import data, oos
from models.nano.report import shipped_retrain
from models.nano.train import NANO_DIR

FAMILIES = {
    "colour": ("Colour", "The colour of the one object with a given shape.",
               [("What colour is the star?", "green"), ("What colour is the circle?", "purple")]),
    "shape": ("Shape", "The shape of the one object with a given colour.",
              [("What shape is the red object?", "triangle"), ("What shape is the blue object?", "square")]),
    "glyph": ("Glyph", "The letter or digit written on a named object (A E F H K M R T X Y 2 3 4 5 7 9).",
              [("What is written on the orange diamond?", "K"), ("What is written on the green cross?", "7")]),
    "count": ("Count", "How many objects have a given shape or colour (0 to 5).",
              [("How many circles are there?", "2"), ("How many yellow objects are there?", "1")]),
    "exist": ("Is there", "Whether an object of a given colour and shape is in the image (yes / no).",
              [("Is there a purple star?", "yes"), ("Is there a green square?", "no")]),
    "position": ("Where", "Which quadrant of the image a named object is in.",
                 [("Where is the blue cross?", "top left"), ("Where is the yellow circle?", "bottom right")]),
}


def build(folder: Path) -> dict[str, Any]:
    results = json.loads((folder / "results.json").read_text())
    samples = json.loads((folder / "samples" / "samples.json").read_text())
    oos_res = results.get("out_of_scope", {})
    # the shipped model's figures, and whether it answers out-of-scope questions with the sentence
    knows_scope = oos_res.get("shipped") == "fine_tuned"
    shipped_oos = oos_res.get("fine_tuned") if knows_scope else oos_res.get("before")
    retrained = shipped_retrain(results)
    if retrained:  # a retrained model (retrain_report, sizes_report) is shipped
        shipped_oos, knows_scope = retrained[1], True
    # the object sides of the shipped model's train scenes (train --train-sizes; else the train split's)
    lo, hi = ((retrained and retrained[1].get("training", {}).get("train_sizes")) or data.SPLIT_SIZES["train"])
    if shipped_oos is not None:
        heldout = {"accuracy": shipped_oos["heldout_accuracy"], "accuracy_by_family": shipped_oos["heldout_by_family"],
                   "questions": results["splits"]["heldout"][results["shipped"]]["questions"]}
        hard_acc = shipped_oos["hard_accuracy"]
    else:
        heldout = results["splits"]["heldout"][results["shipped"]]
        hard_acc = results["splits"]["hard"][results["shipped"]]["accuracy"]
    hard_n = results["splits"]["hard"][results["shipped"]]["questions"]
    accuracy = [
        {"id": "heldout", "label": "Held-out scenes (exact match)", "value": heldout["accuracy"], "unit": "%",
         "questions": heldout["questions"]},
        {"id": "hard", "label": "Hard scenes (smaller objects and glyphs)", "value": hard_acc, "unit": "%",
         "questions": hard_n},
    ]
    sentence = None
    if shipped_oos is not None and knows_scope:
        sentence = oos_res["sentence"]
        accuracy.append({"id": "out_of_scope", "label": "Out-of-scope questions answered with the sentence",
                         "value": shipped_oos["out_of_scope_rate"], "unit": "%",
                         "questions": shipped_oos["out_of_scope_questions"]})
    guard = results.get("ood_guard")
    if guard:
        rates = guard["methods"][guard["recommended"]]["rates"]
        accuracy += [{"id": f"ood_{k}", "label": f"{label} ({rates[k]['n']} images) flagged as unlike its training "
                      "images", "value": round(100 * rates[k]["flagged"], 1), "unit": "%"}
                     for k, label in (("real_photos", "Real photos"), ("heldout", "Held-out scenes"))]
    manifest = json.loads((folder / "manifest.json").read_text())
    size_mb = sum(g["bytes"] + sum(x["bytes"] for x in g.get("external_data", []))
                  for g in manifest["graphs"].values()) / 1e6
    fams = [{"id": f, "title": t, "description": d, "accuracy": heldout["accuracy_by_family"].get(f),
             "examples": [{"question": q, "answer": a} for q, a in ex]} for f, (t, d, ex) in FAMILIES.items()]
    return {
        "version": CARD_VERSION,
        "name": "SliME-Nano",
        "summary": (f"A tiny SliME ({size_mb:.1f} MB, the released architecture at CPU size) that answers six kinds "
                    "of short questions about synthetic scenes of small coloured shapes with a letter or digit on "
                    "each. It is a demonstration of how SliME reads detail, not a general image model: "
                    + ("other questions get one fixed sentence saying what it can answer; on photos it guesses, "
                       if sentence else "on photos it guesses, ")
                    + "and the chat marks answers about images unlike its training scenes."),
        "trained_on": (f"Synthetic scenes only (models/nano/data.py): {len(data.SHAPES)} shapes "
                       f"({', '.join(data.SHAPES)}) x {len(data.COLOUR_NAMES)} colours "
                       f"({', '.join(data.COLOUR_NAMES)}), one of {len(data.GLYPHS)} glyphs on each, 2-8 objects "
                       f"of {lo}-{hi} px"
                       " on a cluttered grey canvas of 1x2 to 7x1 tiles of 112 px; ~3,000 training scenes for the "
                       "stages after stage 0. No photos, no text beyond the glyphs."),
        "families": fams,
        "accuracy": accuracy,
        "out_of_scope_sentence": sentence,
        "out_of_scope_examples": [q.question for q in oos.questions("heldout", 0, 4)] if sentence else [],
        "samples": [{"image": f"samples/{s['image']}", "question": s["question"], "answer": s["answer"],
                     "family": s["family"]} for s in samples],
        "source": "models/nano/results.json and samples/samples.json (python -m models.nano.card)",
    }


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--folder", type=Path, default=NANO_DIR)
    a = ap.parse_args(argv)
    entry = write_card(a.folder, build(a.folder))
    print(f"wrote {a.folder / 'card.json'} {entry}")


if __name__ == "__main__":
    main()
