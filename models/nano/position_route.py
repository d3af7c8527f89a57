"""Does routing supervision at every answer word fix position's second word? An A/B at stage 0b (issue #18 item 3).

Usage: .venv/bin/python -m models.nano.position_route train --mode same-heads|own-head [--steps 600] [--threads 1]
       .venv/bin/python -m models.nano.position_route eval --baseline work/cmp/stage0_llm.pt [--scenes 100]

position_probe.py found the shipped model reading the first word of a position answer ("top"/"bottom") and
answering "left" for the second almost always, while the global tokens carry the quadrant. Stage 0b supervises
where four heads look only at the position that predicts an answer's *first* token; position is the only family
whose answer has two words. ``train --mode M`` runs stage 0b with routes at the later answer words too
(objtokens ``later_words``: "same-heads" repeats the first word's routes; "own-head" sends the global read to a
head of its own), same data, seed and steps as compare.py's stage 0b (work/cmp/stage0_llm.pt, 600 steps), into
work/route/.
``eval`` decodes greedily on the symbolic block (objtokens: what the connector is trained to produce) for ``val``
scenes, one question per prompt, and reports exact match per family and, for position, each word's accuracy;
results.json["position_route"] and RESULTS.md. Only the symbolic stage is compared: carrying the fix into a shipped
model needs stages 0c–III again (about 1.5 h of this CPU), not run here.
"""

from __future__ import annotations

import argparse
import json
import time
from collections import Counter
from pathlib import Path
from typing import Any

import torch

from models.nano import data, objtokens
from models.nano.compare import _tok
from models.nano.nano_config import nano_config
from models.nano.position_probe import position_tally
from models.nano.pretrain import stage_llm
from models.nano.samples_data import prompt_ids
from models.nano.tokenizer import special_ids
from models.nano.train import NANO_DIR, WORK
from models.slime import SlimeForCausalLM
from models.slime.template import IMAGE_TOKEN_INDEX

OUT = WORK / "route"


MODES = {"same-heads": "later words too, same heads", "own-head": "later words too, global read on its own head"}


def train(steps: int, mode: str) -> None:
    tok = _tok()
    OUT.mkdir(parents=True, exist_ok=True)
    t = time.time()
    stage_llm(nano_config(tok), tok, OUT / f"stage0_llm_{mode}.pt", steps, 16, later_words=mode)
    (OUT / f"train_{mode}.json").write_text(json.dumps({"steps": steps, "seconds": round(time.time() - t)}) + "\n")


@torch.no_grad()
def symbolic_answers(llm_path: Path, scenes: int) -> dict[str, Any]:
    """Greedy answers of the LLM at ``llm_path`` on the symbolic block of ``val`` scenes 0..scenes-1."""
    tok = _tok()
    cfg = nano_config(tok)
    model = SlimeForCausalLM(cfg)
    model.llm.load_state_dict(torch.load(llm_path, weights_only=True))
    model.eval()
    objs, emb = objtokens.ObjectTokens(tok, cfg), model.llm.get_input_embeddings()
    stop = {special_ids(tok)["eot"], special_ids(tok)["end_of_text"]}
    gen = torch.Generator().manual_seed(0)
    right: Counter[str] = Counter()
    asked: Counter[str] = Counter()
    position: list[tuple[str, str]] = []
    for i in range(scenes):
        scene = data.make_scene("val", i, cfg.image_size)
        blk = objs.block(emb, scene, gen)
        for q in scene.questions:
            ids = torch.tensor(prompt_ids(tok, q.question))
            p = int((ids == IMAGE_TOKEN_INDEX).nonzero()[0])
            x = torch.cat([emb(ids[:p]), blk, emb(ids[p + 1:])])[None]
            out: list[int] = []
            for _ in range(6):
                t = int(model.llm(inputs_embeds=x).logits[0, -1].argmax())
                if t in stop:
                    break
                out.append(t)
                x = torch.cat([x, emb(torch.tensor([[t]]))], 1)
            answer = tok.decode(out).strip()
            asked[q.family] += 1
            right[q.family] += int(answer == q.answer)
            if q.family == "position":
                position.append((answer, q.answer))
    pos = position_tally(position)
    return {"accuracy": round(100 * sum(right.values()) / sum(asked.values()), 2),
            "by_family": {f: round(100 * right[f] / asked[f], 1) for f in data.FAMILIES if asked[f]},
            "position_first_word": pos["first_word"], "position_second_word": pos["second_word"],
            "position_second_word_answers": pos["second_word_answers"]}


def evaluate(baseline: Path, scenes: int) -> dict[str, Any]:
    runs = {"baseline": {"llm": str(baseline.resolve().relative_to(WORK)), **symbolic_answers(baseline, scenes)}}
    steps = set()
    for mode in MODES:
        if (OUT / f"train_{mode}.json").exists():
            steps.add(json.loads((OUT / f"train_{mode}.json").read_text())["steps"])
            runs[mode] = {"llm": f"route/stage0_llm_{mode}.pt", **symbolic_answers(OUT / f"stage0_llm_{mode}.pt", scenes)}
    if len(steps) > 1:
        raise SystemExit(f"the A/B runs have different step counts {sorted(steps)}")
    return {"scenes": scenes, "split": "val", "steps": steps.pop() if steps else None, "runs": runs,
            "command": "python -m models.nano.position_route train --mode M && python -m models.nano.position_route "
                       "eval"}


def render(r: dict[str, Any]) -> list[str]:
    lines = [f"Stage 0b A/B on the symbolic block (`{r['command']}`; {r['steps']} steps each, same data and seed; "
             f"{r['scenes']} `{r['split']}` scenes, greedy, exact match):", "",
             "| stage 0b routes | all | " + " | ".join(data.FAMILIES) + " | position 1st word | position 2nd word |",
             "|---|---|" + "---|" * len(data.FAMILIES) + "---|---|"]
    for name, a in r["runs"].items():
        label = MODES.get(name, "first answer word only (shipped recipe)")
        fams = " | ".join(f"{a['by_family'].get(f, float('nan')):.1f}" for f in data.FAMILIES)
        lines.append(f"| {label} | {a['accuracy']:.1f} | {fams} | {a['position_first_word']:.1f} | "
                     f"{a['position_second_word']:.1f} |")
    return lines + [""]


def main(argv: list[str] | None = None) -> None:
    from models.nano.report import save_sections

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--threads", type=int, default=1)
    sub = ap.add_subparsers(dest="cmd", required=True)
    t = sub.add_parser("train")
    t.add_argument("--mode", choices=sorted(MODES), required=True)
    t.add_argument("--steps", type=int, default=600)
    e = sub.add_parser("eval")
    e.add_argument("--baseline", type=Path, default=WORK / "cmp" / "stage0_llm.pt")
    e.add_argument("--scenes", type=int, default=100)
    a = ap.parse_args(argv)
    torch.set_num_threads(a.threads)
    if a.cmd == "train":
        train(a.steps, a.mode)
        return
    r = evaluate(a.baseline, a.scenes)
    save_sections({"position_route": r}, NANO_DIR / "results.json", WORK)
    print("\n".join(render(r)))


if __name__ == "__main__":
    main()
