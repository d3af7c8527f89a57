"""SliME-Nano evaluation: exact-match accuracy per split, variant and question family, visual tokens, prefill time.

Usage: .venv/bin/python -m models.nano.evaluate [--scenes 200] [--work models/nano/work]
Writes models/nano/results.json and models/nano/RESULTS.md. Variants whose trained model is missing are
listed with "status": "not run".
"""

from __future__ import annotations

import argparse
import hashlib
import json
import statistics
import time
from pathlib import Path
from typing import Any

import torch
from tokenizers import Tokenizer

from models.nano import data
from models.nano import samples_data as sd
from models.nano.train import NANO_DIR, WORK, load_final
from models.slime import SlimeForCausalLM
from models.slime.preprocess import process_image

SHIPPED = "slime_legacy_p095"
# variant -> (trained model run, forward options)
VARIANTS: dict[str, tuple[str, dict[str, Any]]] = {
    "global_only": ("global_only", dict(use_global_only=True)),
    "hd_uncompressed": ("hd_uncompressed", dict(local_mode="uncompressed", topp=1.0)),
    "slime_keep_all": ("staged", dict(mode="legacy", topp=1.0)),
    "slime_legacy_p095": ("staged", dict(mode="legacy", topp=0.95)),
    "slime_single_p095": ("staged", dict(mode="single", topp=0.95)),
    "slime_single_p080": ("staged", dict(mode="single", topp=0.80)),
    "slime_single_p050": ("staged", dict(mode="single", topp=0.50)),
}
TRAINING_VARIANTS = {"staged": "staged", "alternating": "alternating", "joint": "joint"}
SPLITS = ("heldout", "hard")


def answer(model: SlimeForCausalLM, tok: Tokenizer, c: sd.CachedScene, question: str,
           opts: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """Greedy answer (special tokens dropped) and the pipeline info for one question on cached features."""
    out = model.generate_greedy(sd.prompt_ids(tok, question), c.feats.float(), c.grid, max_new_tokens=6, **opts)
    stops = set(model.cfg.eos_ids)
    text = tok.decode([t for t in out["tokens"] if t not in stops]).strip()
    return text, out["info"]


def prefill_ms(fresh: SlimeForCausalLM, tok: Tokenizer, scenes: list[sd.CachedScene], opts: dict[str, Any],
               n: int = 30) -> float:
    """Median wall time (1 thread, fp32 PyTorch) from pixels to first-token logits: vision, projector,
    selector, assembly and the LLM prefill. ``fresh`` is a model without the cached-feature override."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    times = []
    try:
        for c in scenes[:n]:
            pix, grid = process_image(c.scene.image, fresh.cfg)
            ids = sd.prompt_ids(tok, c.scene.questions[0].question)
            t0 = time.perf_counter()
            fresh.generate_greedy(ids, pix, grid, max_new_tokens=1, **opts)
            times.append((time.perf_counter() - t0) * 1000)
    finally:
        torch.set_num_threads(threads)
    return round(statistics.median(times), 2)


@torch.no_grad()
def batch_answers(model: SlimeForCausalLM, tok: Tokenizer, items: list[tuple[sd.CachedScene, str]],
                  opts: dict[str, Any], max_new: int = 4, target: str | None = None) -> list[tuple[str, int]]:
    """Greedy answers for a batch of (scene, question): per-sample assembly (selector included) exactly as
    generate_greedy, then left-padded batched decoding without a cache (answers are <= 3 tokens). ``target``:
    a row stops as soon as its text is no longer a prefix of this answer (it can then only be wrong; saves the
    long out-of-scope sentence's steps)."""
    embs, nvis = [], []
    for c, q in items:
        e, info = model.build_inputs_embeds(sd.prompt_ids(tok, q), c.feats.float(), c.grid, **opts)
        embs.append(e)
        nvis.append(info["n_visual"])
    b, length = len(embs), max(e.shape[0] for e in embs)
    x = torch.zeros(b, length, embs[0].shape[1])
    mask = torch.zeros(b, length, dtype=torch.long)
    for i, e in enumerate(embs):
        x[i, length - e.shape[0]:], mask[i, length - e.shape[0]:] = e, 1
    stops = set(model.cfg.eos_ids)
    toks: list[list[int]] = [[] for _ in range(b)]
    done = [False] * b
    for _ in range(max_new):
        pos = (mask.cumsum(1) - 1).clamp(min=0)
        nxt = model.llm(inputs_embeds=x, attention_mask=mask, position_ids=pos).logits[:, -1].argmax(-1)
        for i, t in enumerate(nxt.tolist()):
            if not done[i]:
                done[i] = t in stops
                if not done[i]:
                    toks[i].append(t)
                    done[i] = target is not None and not target.startswith(tok.decode(toks[i]).lstrip())
        if all(done):
            break
        x = torch.cat([x, model.embed(nxt)[:, None]], dim=1)
        mask = torch.cat([mask, torch.ones(b, 1, dtype=torch.long)], dim=1)
    return [(tok.decode(t).strip(), n) for t, n in zip(toks, nvis)]


def evaluate_variant(model: SlimeForCausalLM, tok: Tokenizer, scenes: list[sd.CachedScene],
                     opts: dict[str, Any], batch: int = 48) -> dict[str, Any]:
    """Accuracy, per-family accuracy and mean visual tokens over every question of ``scenes``."""
    right: dict[str, list[int]] = {f: [] for f in data.FAMILIES}
    visual = []
    items = [(c, q) for c in scenes for q in c.scene.questions]
    for k in range(0, len(items), batch):
        chunk = items[k:k + batch]
        for (c, q), (text, nv) in zip(chunk, batch_answers(model, tok, [(c, q.question) for c, q in chunk], opts)):
            right[q.family].append(int(text == q.answer))
            visual.append(nv)
    allr = [x for v in right.values() for x in v]
    return {
        "accuracy": round(100 * sum(allr) / len(allr), 2),
        "accuracy_by_family": {f: round(100 * sum(v) / len(v), 2) if v else None for f, v in right.items()},
        "mean_visual_tokens": round(sum(visual) / len(visual), 1),
        "questions": len(allr),
    }


def notes(n_scenes: int, n_hard: int, prefill_n: int) -> list[str]:
    """Plain statements about how the numbers were produced (rendered into RESULTS.md)."""
    from models.nano.train import CURRICULUM, schedule

    staged = {st.name: st.steps for st in schedule("staged", 1.0)}
    other = schedule("joint", 1.0)[0].steps
    return [
        f"Splits: the first {n_scenes} scenes of `heldout` and {n_hard} of `hard` (seeds disjoint from training); "
        "every question of a scene is asked separately, one question per prompt, greedy decoding, exact match.",
        "All models share stage 0: the vision tower pretrained on dense per-patch labels, then frozen, and the LLM "
        "pretrained on symbolic object tokens (objtokens.py: word-embedding sums laid out like the visual block, "
        f"object-count curriculum {list(CURRICULUM)}, routing supervision of four attention heads), and the "
        "connector (both global experts and the local "
        "compressor) regressed onto those symbolic tokens with the LLM not run (stage 0c). Batches are 16 scenes, "
        "each a multi-turn conversation of "
        "its ~6 questions; stages I-a…III add the connector-to-symbolic-token alignment term to the LM loss.",
        f"Staged (shipped) budget after stage 0: {staged} steps. The comparison models that need their own "
        f"training (global_only, hd_uncompressed, joint, alternating) each got one run of {other} steps from the "
        "same stage 0 on the same 3,000 cached train scenes, so they are compared with each other at equal budget "
        "and with the staged model at a smaller one: a gap in favour of the staged model is partly budget.",
        "slime_* variants are the staged model under different inference selectors (legacy = release double "
        "softmax, single = HEAD single softmax; top-p as named; keep_all = top-p 1).",
        "Visual tokens: global 64 + separator 1 + kept local tokens (16 per tile compressed, 64 per tile for "
        f"hd_uncompressed, none for global_only). Prefill ms: median over the first {prefill_n} scenes of pixels → "
        "first-token logits (vision, projector, selector, assembly, LLM prefill) in PyTorch fp32, 1 thread, on the "
        "shared 2-core CPU — compare ratios, not absolute values.",
    ] + HISTORY


HISTORY = [
    "History (first session): with free object placement the from-scratch ViT stayed at chance on shape and "
    "glyph, so objects sit on the 14-px patch lattice (stage 0 then reaches ~97% glyph / ~72% shape per object "
    "patch in 600 steps). The LLM, pretrained on text scene descriptions, then sat on the associative-recall "
    "plateau (~0.74 nats per answer token, answers at the per-family prior, 28% heldout) through 200-800 text "
    "steps at LR 1e-3/3e-3, a 2-object curriculum and stage III runs of up to 1,260 steps.",
    "What broke the plateau (second session, first-answer-token accuracy on 64 heldout scenes, 1-thread runs): "
    "text pretraining on a quiet machine, 1,400 steps: 36% (still the plateau); symbolic object tokens with "
    "background noise std 0.01: 30% after 700 steps (RMSNorm makes noise as loud as an object); 2-object scenes: "
    "51% after 600; near-zero background + 2 objects: 53% after 500 (shape 82%); glyphs were never read (8% "
    "after 1,100 steps) until two extra glyph questions per scene were added (46% after 700). The shipped "
    "recipe combines these: near-zero background, 2→3→8-object curriculum, question-token loss, extra glyph "
    "questions, then the official stages with the alignment term.",
    "Third session: the connector's alignment was the first loss. With the LLM in the loop (I-a…II, ~0.5 s per "
    "step) the alignment term started at ~260x the targets' energy and ended at ~0.85 (normalised; 1.0 = "
    "predicting zeros), so the pixel model read tokens unlike its pretraining. Stage 0c regresses the connector "
    "alone (no LLM forward, ~0.12 s per step): after 3,500 steps the MLP+local error is 0.26 and the Q-former's "
    "0.14 on train batches; a first version that aligned only the router mixture left each expert far off (I-a "
    "then started at ~10). Quick check on 100 heldout scenes: staged 31.9% (glyph 19% vs 4% before), joint "
    "31.3%. The remaining ceiling is the LLM itself: on the symbolic input it answers only ~45% of first "
    "answer tokens right on full scenes (exist 48%, count 45%: at the prior), and the pixel model cannot beat "
    "its reader. It is a plateau, not a budget: a fresh stage 0b of 600 steps (same recipe, 1 thread) reaches "
    "45.4% on full scenes, as the shipped 4,800-step one does (44.6%); a larger LLM (4 layers, 8 heads, 8 kv "
    "heads, 2.8M vs 2.0M parameters) reaches 43.3% at 600 steps; by turn of the multi-turn conversation the "
    "shipped LLM gets 51% on the first question and ~43% on later ones, so recency is not the main loss. Two "
    "more 600-step variants: answers tokenised like the block's words (leading space, so the read-out is a "
    "copy) gave colour/shape/glyph 44/24/16% (baseline 47/46/20), and a block without the global slots 33% "
    "overall; rope_theta 10,000 instead of 500,000: 43.3%; one question per conversation (batch 32 scenes): "
    "27.7% (first question 31% vs 56% for the multi-turn baseline); LR 2e-3 / 4e-3 instead of 1e-3: 42.0% / "
    "28.8% — none is the way out.",
    "Fourth session — routing supervision (objtokens.Routes): on two-object scenes asked only colour questions the "
    "unsupervised LLM reached 58% (it read *an* object's colour, not the named one's); telling layer 0's head 0 "
    "at the question's shape word to look at that object's slots took it to 100% within 75 steps. On full "
    "scenes, supervising three routes (word -> objects with it; answer position -> question words; answer "
    "position -> named object's slots, one head for both branches) left the plateau: 68% at 550 steps (colour "
    "99, shape 96, exist 93, count 68) with glyph and position still at chance although that head put 0.45 / "
    "0.53 of its mass on the local / global slot; a version with the answer route split into a local and a "
    "global head on separate KV groups (the shipped recipe) reached 72% at 400 steps (glyph 16%) and 87.9% at "
    "1,500 (colour, shape, glyph, exist 100%, count 84%, position 44%: position is still at chance).",
    "Fourth session's run, wall time on the 2-core CPU (logs in work/): stage 0a vision 600 steps 531 s "
    "(first session, reused); stage 0b 1,500 steps 1,084 s; stage 0c 2,000 steps 246 s; I-a 200 steps 107 s, "
    "I-b 200 steps 229 s, II 400 steps 574 s, III 400 steps 652 s (I-b…III with the global_only and "
    "hd_uncompressed runs beside them, 1 thread each: 281 s and 1,120 s). Total 2,896 s for 0b…III, 3,427 s "
    "(57 min) with 0a: inside the 90-minute budget even with the comparison runs beside it.",
    "Fifth session — position: the fourth session's symbolic LLM answered position at chance (44% first answer "
    "token) although its answer-global head put 99.8% of its mass on the named object's global slot and top/bottom "
    "was linearly readable from that slot (probe 99.5%); after layer 1 it was not (60%). The quadrant words "
    "never occur in text, so their only gradient came through the block, and it had pulled \" top\" and "
    "\" bottom\" together (cosine 0.80; \" left\"/\" right\" 0.78): 200 more steps with two extra position "
    "questions per scene left position at 47%. With the quadrant words detached (kept at their initial "
    "embeddings) a fresh 600-step stage 0b reads position at 98%; the 1,500-step stage 0b of the shipped run "
    "reaches 98.7% of first answer tokens (every family 100% but count 92%; cosine top/bottom 0.12).",
    "Shipped run (fifth session), wall time on the 2-core CPU: stage 0a 531 s (reused); 0b 1,500 steps 1,351 s; "
    "0c 269 s; I-a 100 s, I-b 229 s, II 586 s (with the four comparison runs beside them on 1 thread: "
    "global_only 293 s, hd_uncompressed 1,137 s, joint 456 s, alternating 529 s). With III at 400 steps (883 s) "
    "the model scored 77.0% heldout (work/staged_iii400); III at 800 steps, continued from the same II in a "
    "second process (1,778 s, partly beside evaluation runs), is the shipped model, and 800 is now the default. "
    "Total 4,313 s for 0b…III, 4,844 s (81 min) with 0a: inside the 90-minute budget, with less room than before.",
]


def main(argv: list[str] | None = None) -> dict[str, Any]:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--scenes", type=int, default=200, help="heldout scenes (about 6 questions each)")
    ap.add_argument("--hard-scenes", type=int, default=100, help="hard scenes")
    ap.add_argument("--reuse", action="store_true", help="keep results of unchanged models from results.json")
    ap.add_argument("--work", type=Path, default=WORK)
    ap.add_argument("--out", type=Path, default=NANO_DIR)
    ap.add_argument("--prefill-n", type=int, default=30)
    args = ap.parse_args(argv)
    torch.set_num_threads(2)
    tok = Tokenizer.from_file(str(args.work / "tokenizer.json"))
    runs: dict[str, SlimeForCausalLM] = {}
    timing_models: dict[str, SlimeForCausalLM] = {}
    shas: dict[str, str] = {}
    for run in sorted({*(r for r, _ in VARIANTS.values()), *TRAINING_VARIANTS.values()}):
        path = args.work / run / "final.pt"
        if path.exists():
            runs[run], _ = load_final(path)
            timing_models[run], _ = load_final(path)
            sd.use_cached_features(runs[run])
            shas[run] = hashlib.sha256(path.read_bytes()).hexdigest()[:16]
    old: dict[str, Any] = {}
    if args.reuse and (args.out / "results.json").exists():
        old = json.loads((args.out / "results.json").read_text())

    def reused(split: str, name: str, run: str, section: str = "splits") -> dict[str, Any] | None:
        r = old.get(section, {}).get(split if section == "splits" else name, {})
        r = r.get(name if section == "splits" else split) if isinstance(r, dict) else None
        return r if isinstance(r, dict) and r.get("model_sha") == shas.get(run) else None
    if "staged" not in runs:
        raise SystemExit(f"no staged model under {args.work}; run python -m models.nano.train first")
    base = runs["staged"]
    cfg = base.cfg
    n_scenes = {"heldout": args.scenes, "hard": args.hard_scenes}
    caches = {s: sd.cache_scenes(base, cfg, s, 0, n_scenes[s], store=args.work / "features" / f"{s}.pt")
              for s in SPLITS}
    results: dict[str, Any] = {"shipped": SHIPPED, "splits": {}, "training_variants": {}, "notes": {}}
    prev = json.loads((args.out / "results.json").read_text()) if (args.out / "results.json").exists() else {}
    for kept in ("out_of_scope", "fair_comparison"):  # written by finetune_oos / compare, not by this script
        if kept in prev:
            results[kept] = prev[kept]
    for split in SPLITS:
        res: dict[str, Any] = {}
        for name, (run, opts) in VARIANTS.items():
            if run not in runs:
                res[name] = {"status": "not run", "model": run}
                continue
            t0 = time.time()
            prev = reused(split, name, run)
            if prev is not None:
                res[name] = prev
                continue
            res[name] = evaluate_variant(runs[run], tok, caches[split], opts)
            res[name]["prefill_ms"] = prefill_ms(timing_models[run], tok, caches[split], opts, args.prefill_n)
            res[name]["model"] = run
            res[name]["model_sha"] = shas[run]
            print(f"{split:8s} {name:18s} acc {res[name]['accuracy']:6.2f}"
                  f" visual {res[name]['mean_visual_tokens']:6.1f} prefill {res[name]['prefill_ms']:.1f}ms"
                  f" ({time.time() - t0:.0f}s)", flush=True)
        results["splits"][split] = res
    shipped_opts = VARIANTS[SHIPPED][1]
    for name, run in TRAINING_VARIANTS.items():
        tv: dict[str, Any] = {}
        for split in SPLITS:
            if run not in runs:
                tv[split] = {"status": "not run"}
            elif run == VARIANTS[SHIPPED][0]:
                tv[split] = {k: v for k, v in results["splits"][split][SHIPPED].items() if k != "model"}
            elif reused(split, name, run, "training_variants") is not None:
                tv[split] = reused(split, name, run, "training_variants")
            else:
                tv[split] = evaluate_variant(runs[run], tok, caches[split], shipped_opts)
                tv[split]["prefill_ms"] = prefill_ms(timing_models[run], tok, caches[split], shipped_opts,
                                                     args.prefill_n)
                tv[split]["model_sha"] = shas[run]
            print(f"{split:8s} training={name:12s} {tv[split].get('accuracy', 'not run')}", flush=True)
        results["training_variants"][name] = tv
    for split in SPLITS:  # the spec's flat layout too: splits.<split>.<training variant>
        for name, tv in results["training_variants"].items():
            results["splits"][split].setdefault(name, tv[split])
    from models.nano.report import targets, write_report

    results["targets"] = targets(results)
    results["notes"]["text"] = notes(args.scenes, args.hard_scenes, args.prefill_n)
    missing = sorted({n for sp in results["splits"].values() for n, r in sp.items() if r.get("status") == "not run"})
    if missing:
        results["notes"]["text"].append(f"Not run for lack of CPU time (marked \"not run\"): {', '.join(missing)}.")
    timings = args.work / "staged" / "timings.json"
    if timings.exists():
        results["notes"]["staged_training_seconds"] = json.loads(timings.read_text())
    (args.out / "results.json").write_text(json.dumps(results, indent=1) + "\n")
    write_report(results, args.out / "RESULTS.md", args.work)
    return results


if __name__ == "__main__":
    main()
