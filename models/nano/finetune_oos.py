"""Teach the shipped SliME-Nano the out-of-scope sentence (issue #18 item 2) and measure it.

Usage: .venv/bin/python -m models.nano.finetune_oos [--steps 300] [--lr 2e-4] [--trainable llm] [--threads 1]
           (trains into work/oos/<trainable>-s<steps>-lr<lr>/, then measures it on ``val`` only: val.json)
       .venv/bin/python -m models.nano.finetune_oos --measure-only work/shipped/final.pt [--val]
           (heldout/hard/held-out out-of-scope set → measure.json beside it; --val: the val measures → val.json)

Starts from work/shipped/final.pt (models.nano.recover rebuilds it from the shipped graphs), then one stage with
stage III's options (legacy selector top-p 0.95 with training noise, router noise) on the same 3,000 cached train
scenes, each conversation carrying its ~6 questions plus 1-2 out-of-scope questions of the ``train`` part
(oos.py) answered with oos.SENTENCE. ``--trainable llm`` (default) trains the LLM only: whether a question is out
of scope is decided by its text, and with the vision tower and the connector unchanged the shipped
vision_encoder/projector graphs, the image embedding and the OOD guard built on it (ood.json) stay valid.
``adapters_llm`` is stage III's set (connector + LLM, with the alignment term); ``sampler_llm`` the local
compressor + LLM (the global path unchanged), meant with ``--attr-ce`` (objtokens.attribute_ce; glyph_report.py).
Steps and LR are chosen on ``val`` (val scenes 0-99: in-scope accuracy, the val out-of-scope set); heldout, hard
and the held-out out-of-scope set are read only by --measure-only for the final figures. Measured there:
heldout and hard accuracy (evaluate.py's rule), the out-of-scope rate (exact sentence), and how often an
in-scope question is answered with the sentence.
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
from models.nano.train import (FULL, NANO_DIR, WORK, Stage, _adapters_llm, load_final, run_stages, save_final,
                              sizes_arg)

TRAINABLE = {"llm": (lambda m, _s: list(m.llm.parameters()), 0.0), "adapters_llm": (_adapters_llm, 1.0),
             # the local compressor and the LLM: the global path (projector: MLP, Q-former, router) stays as it was,
             # and the MLP is shared by the local tokens, so it stays too
             "sampler_llm": (lambda m, _s: [*m.sampler.parameters(), *m.llm.parameters()], 1.0)}
VAL_SCENES = 100
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
    """Share of ``pairs`` answered with exactly oos.SENTENCE, plus the answers that were not (each cut where it
    left the sentence: decoding stops there)."""
    n_tok = len(tok.encode(oos.SENTENCE, add_special_tokens=False).ids) + 1
    hits, misses = 0, []
    for k in range(0, len(pairs), batch):
        chunk = pairs[k:k + batch]
        got = batch_answers(model, tok, [(caches[i], q.question) for i, q in chunk], opts, max_new=n_tok,
                            target=oos.SENTENCE)
        for (i, q), (text, _) in zip(chunk, got):
            if text == oos.SENTENCE:
                hits += 1
            else:
                misses.append({"scene": i, "question": q.question, "answer": text})
    return {"rate": round(100 * hits / len(pairs), 2), "questions": len(pairs), "misses": misses[:40]}


def _in_scope_with_sentence(model: SlimeForCausalLM, tok: Tokenizer, scenes: list[sd.CachedScene],
                            opts: dict[str, Any]) -> dict[str, Any]:
    by_index = {c.scene.index: c for c in scenes}
    false = oos_rate(model, tok, by_index, [(c.scene.index, q) for c in scenes for q in c.scene.questions], opts)
    return {"rate": false["rate"], "questions": false["questions"]}


def measure(model: SlimeForCausalLM, tok: Tokenizer, caches: dict[str, list[sd.CachedScene]]) -> dict[str, Any]:
    """Final figures: heldout / hard accuracy, held-out out-of-scope rate, in-scope heldout questions answered
    with the sentence (scenes 0-99)."""
    opts = VARIANTS[SHIPPED][1]
    res: dict[str, Any] = {}
    for split in ("heldout", "hard"):
        t0 = time.time()
        res[split] = evaluate_variant(model, tok, caches[split], opts)
        print(f"{split}: {res[split]['accuracy']} ({time.time() - t0:.0f}s)", flush=True)
    by_index = {c.scene.index: c for c in caches["heldout"]}
    res["out_of_scope_heldout"] = oos_rate(model, tok, by_index, oos.heldout_set(), opts)
    print(f"out-of-scope rate: {res['out_of_scope_heldout']['rate']}", flush=True)
    res["in_scope_answered_with_sentence"] = _in_scope_with_sentence(model, tok, caches["heldout"][:100], opts)
    return res


def measure_val(model: SlimeForCausalLM, tok: Tokenizer, val: list[sd.CachedScene]) -> dict[str, Any]:
    """The selection figures, on ``val`` only: accuracy, val out-of-scope rate, in-scope answered with the sentence."""
    opts = VARIANTS[SHIPPED][1]
    res: dict[str, Any] = {"val": evaluate_variant(model, tok, val, opts)}
    res["out_of_scope_val"] = oos_rate(model, tok, {c.scene.index: c for c in val}, oos.val_set(VAL_SCENES), opts)
    res["in_scope_answered_with_sentence_val"] = _in_scope_with_sentence(model, tok, val, opts)
    print(f"val: {res['val']['accuracy']}, out-of-scope val {res['out_of_scope_val']['rate']}, in-scope with "
          f"sentence {res['in_scope_answered_with_sentence_val']['rate']}", flush=True)
    return res


def stage_options(router_noise: bool = True) -> dict[str, Any]:
    """The fine-tune's forward options: stage III's (FULL), optionally without the router's training noise (the
    sentence learnt under that noise broke at one token when the global view was routed without it, as at inference;
    models/nano RESULTS.md "Retrained with the position routes")."""
    return {**FULL, "router_noise": router_noise}


def _caches(model: SlimeForCausalLM, cfg: Any, splits: dict[str, int]) -> dict[str, list[sd.CachedScene]]:
    return {s: sd.cache_scenes(model, cfg, s, 0, n, store=WORK / "features" / f"{s}.pt") for s, n in splits.items()}


def main(argv: list[str] | None = None) -> dict[str, Any]:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--steps", type=int, default=300)
    ap.add_argument("--lr", type=float, default=2e-4)
    ap.add_argument("--trainable", choices=sorted(TRAINABLE), default="llm")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--attr-ce", type=float, default=0.0,
                    help="weight of the local attribute cross-entropy (objtokens.attribute_ce; needs a trainable "
                         "local compressor: sampler_llm or adapters_llm)")
    ap.add_argument("--no-router-noise", action="store_true",
                    help="train without the router's training noise (the global view routed as at inference)")
    ap.add_argument("--start", type=Path, default=WORK / "shipped" / "final.pt")
    ap.add_argument("--run", type=Path, default=None, help="default work/oos/<trainable>-s<steps>-lr<lr>")
    ap.add_argument("--measure-only", type=Path, default=None, help="only measure this final.pt")
    ap.add_argument("--val", action="store_true", help="with --measure-only: the val figures (val.json)")
    ap.add_argument("--train-sizes", type=sizes_arg, default=None, metavar="LO,HI",
                    help="object side range of the train scenes (as the run's train.py --train-sizes)")
    ap.add_argument("--val-sizes", type=sizes_arg, default=None, metavar="LO,HI",
                    help="with --measure-only --val: val scenes drawn with these object sizes (val-<lo>-<hi>.json)")
    a = ap.parse_args(argv)
    if a.attr_ce and a.trainable == "llm":
        ap.error("--attr-ce trains the local compressor: use --trainable sampler_llm or adapters_llm")
    torch.set_num_threads(a.threads)
    tok = Tokenizer.from_file(str(NANO_DIR / "tokenizer.json"))
    model, cfg = load_final(a.measure_only or a.start)
    if a.measure_only:
        if a.val:
            val = sd.cache_scenes(model, cfg, "val", 0, VAL_SCENES, store=WORK / "features" / "val.pt",
                                  sizes=a.val_sizes)
            sd.use_cached_features(model)
            name = f"val-{a.val_sizes[0]}-{a.val_sizes[1]}.json" if a.val_sizes else "val.json"
            return _write(a.measure_only.with_name(name), measure_val(model, tok, val))
        caches = _caches(model, cfg, {"heldout": 200, "hard": 100})
        sd.use_cached_features(model)
        return _write(a.measure_only.with_name("measure.json"), measure(model, tok, caches))
    run_dir = a.run or WORK / "oos" / f"{a.trainable}-s{a.steps}-lr{a.lr:g}"
    t0 = time.time()
    cache = with_oos(sd.cache_scenes(model, cfg, "train", 0, 3000, log_every=500,
                                     store=WORK / "features" / "train.pt", sizes=a.train_sizes))
    val = _caches(model, cfg, {"val": VAL_SCENES})["val"]
    print(f"train cache {time.time() - t0:.0f}s", flush=True)
    run_dir.mkdir(parents=True, exist_ok=True)
    trainable, align = TRAINABLE[a.trainable]
    t0 = time.time()
    options = stage_options(router_noise=not a.no_router_noise)
    run_stages(model, tok, [Stage("oos", a.steps, a.lr, trainable, options, align=align, attr_ce=a.attr_ce)], cache,
               run_dir, 16)
    seconds = time.time() - t0
    fresh = SlimeForCausalLM(cfg)
    fresh.load_state_dict(model.state_dict())
    save_final(fresh, cfg, run_dir / "final.pt")
    res = measure_val(model, tok, val)
    res["training"] = {"start": str(a.start.resolve().relative_to(NANO_DIR.resolve())), "steps": a.steps, "lr": a.lr,
                       "trainable": a.trainable, "align": align, "attr_ce": a.attr_ce, "batch_scenes": 16,
                       "train_scenes": 3000,
                       "seconds": round(seconds), "threads": a.threads,
                       "router_noise": not a.no_router_noise, "train_sizes": a.train_sizes,
                       "recipe": f"stage III options (FULL{', router noise off' if a.no_router_noise else ''}), "
                                 f"trainable {a.trainable}, alignment weight {align}"
                                 + (f", attribute cross-entropy weight {a.attr_ce}" if a.attr_ce else "")}
    return _write(run_dir / "val.json", res)


def _write(path: Path, res: dict[str, Any]) -> dict[str, Any]:
    val = path.parent / "val.json"
    if path.name == "measure.json" and val.exists() and json.loads(val.read_text()).get("training"):
        res.setdefault("training", json.loads(val.read_text())["training"])
    path.write_text(json.dumps(res, indent=1) + "\n")
    return res


if __name__ == "__main__":
    main()
