"""Teach the shipped SliME-Nano the out-of-scope sentence (issue #18 item 2) and measure it.

Usage: .venv/bin/python -m models.nano.finetune_oos [--steps 300] [--lr 3e-4] [--threads 1]
       .venv/bin/python -m models.nano.finetune_oos --measure-only work/shipped/final.pt   (the baseline)

Starts from work/shipped/final.pt (models.nano.recover rebuilds it from the shipped graphs), then one stage with
stage III's recipe (adapters + LLM, legacy selector top-p 0.95 with training noise, alignment term) on the same
3,000 cached train scenes, each conversation carrying its ~6 questions plus 1-2 out-of-scope questions of the
``train`` half (oos.py) answered with oos.SENTENCE. Measured: heldout and hard accuracy (evaluate.py's rule),
the out-of-scope rate on the held-out out-of-scope set (exact sentence), and how often an in-scope heldout
question is answered with the sentence. Writes work/oos/final.pt and work/oos/measure.json.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import time
from pathlib import Path
from typing import Any

import torch
from tokenizers import Tokenizer

from models.nano import data, oos
from models.nano import samples_data as sd
from models.nano.evaluate import SHIPPED, VARIANTS, batch_answers, evaluate_variant
from models.nano.train import FULL, NANO_DIR, WORK, Stage, _adapters_llm, load_final, run_stages, save_final
from models.slime import SlimeForCausalLM


def with_oos(cache: list[sd.CachedScene]) -> list[sd.CachedScene]:
    """Each train scene's questions plus 1 (odd index: 2) out-of-scope questions of the train half."""
    out = []
    for c in cache:
        extra = oos.questions("train", c.scene.index, 1 + c.scene.index % 2)
        scene = dataclasses.replace(c.scene, questions=list(c.scene.questions) + extra)
        out.append(sd.CachedScene(scene, c.feats, c.grid))
    return out


@torch.no_grad()
def oos_rate(model: SlimeForCausalLM, tok: Tokenizer, caches: dict[int, sd.CachedScene],
             pairs: list[tuple[int, data.Question]], opts: dict[str, Any], batch: int = 32) -> dict[str, Any]:
    """Share of ``pairs`` answered with exactly oos.SENTENCE, plus the answers that were not."""
    n_tok = len(tok.encode(oos.SENTENCE, add_special_tokens=False).ids) + 1
    hits, misses = 0, []
    for k in range(0, len(pairs), batch):
        chunk = pairs[k:k + batch]
        got = batch_answers(model, tok, [(caches[i], q.question) for i, q in chunk], opts, max_new=n_tok)
        for (i, q), (text, _) in zip(chunk, got):
            if text == oos.SENTENCE:
                hits += 1
            else:
                misses.append({"scene": i, "question": q.question, "answer": text})
    return {"rate": round(100 * hits / len(pairs), 2), "questions": len(pairs), "misses": misses[:40]}


def measure(model: SlimeForCausalLM, tok: Tokenizer, caches: dict[str, list[sd.CachedScene]]) -> dict[str, Any]:
    """Heldout / hard accuracy, held-out out-of-scope rate, and in-scope questions answered with the sentence."""
    opts = VARIANTS[SHIPPED][1]
    res: dict[str, Any] = {}
    for split in ("heldout", "hard"):
        t0 = time.time()
        res[split] = evaluate_variant(model, tok, caches[split], opts)
        print(f"{split}: {res[split]['accuracy']} ({time.time() - t0:.0f}s)", flush=True)
    pairs = oos.heldout_set()
    by_index = {c.scene.index: c for c in caches["heldout"]}
    res["out_of_scope_heldout"] = oos_rate(model, tok, by_index, pairs, opts)
    print(f"out-of-scope rate: {res['out_of_scope_heldout']['rate']}", flush=True)
    inscope = [(c.scene.index, q) for c in caches["heldout"][:100] for q in c.scene.questions]
    false = oos_rate(model, tok, by_index, inscope, opts)
    res["in_scope_answered_with_sentence"] = {"rate": false["rate"], "questions": false["questions"]}
    return res


def main(argv: list[str] | None = None) -> dict[str, Any]:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--steps", type=int, default=300)
    ap.add_argument("--lr", type=float, default=3e-4)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--start", type=Path, default=WORK / "shipped" / "final.pt")
    ap.add_argument("--run", type=Path, default=WORK / "oos")
    ap.add_argument("--measure-only", type=Path, default=None, help="only measure this final.pt")
    a = ap.parse_args(argv)
    torch.set_num_threads(a.threads)
    tok = Tokenizer.from_file(str(NANO_DIR / "tokenizer.json"))
    model, cfg = load_final(a.measure_only or a.start)
    eval_caches = {s: sd.cache_scenes(model, cfg, s, 0, n, store=WORK / "features" / f"{s}.pt")
                   for s, n in (("heldout", 200), ("hard", 100))}
    if a.measure_only:
        sd.use_cached_features(model)
        res = measure(model, tok, eval_caches)
        out = a.measure_only.with_name("measure.json")
        out.write_text(json.dumps(res, indent=1) + "\n")
        return res
    t0 = time.time()
    cache = with_oos(sd.cache_scenes(model, cfg, "train", 0, 3000, log_every=500,
                                     store=WORK / "features" / "train.pt"))
    print(f"train cache {time.time() - t0:.0f}s", flush=True)
    a.run.mkdir(parents=True, exist_ok=True)
    t0 = time.time()
    run_stages(model, tok, [Stage("oos", a.steps, a.lr, _adapters_llm, dict(FULL))], cache, a.run, 16)
    seconds = time.time() - t0
    fresh = SlimeForCausalLM(cfg)
    fresh.load_state_dict(model.state_dict())
    save_final(fresh, cfg, a.run / "final.pt")
    res = measure(model, tok, eval_caches)
    res["training"] = {"start": str(a.start.relative_to(NANO_DIR)), "steps": a.steps, "lr": a.lr,
                       "batch_scenes": 16, "train_scenes": 3000, "seconds": round(seconds),
                       "threads": a.threads, "recipe": "stage III (adapters + LLM, FULL options, align 1.0)"}
    (a.run / "measure.json").write_text(json.dumps(res, indent=1) + "\n")
    return res


if __name__ == "__main__":
    main()
