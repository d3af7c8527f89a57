"""Fair comparison of SliME-Nano's training variants (issue #18 item 1): one stage 0, equal budgets, several seeds.

Usage:
  .venv/bin/python -m models.nano.compare stage0 [--llm-steps 600] [--connector-steps 1000]
      [--llm-from other/stage0_llm.pt (continued)] [--llm-file a/stage0_llm.pt (taken as it is; origin recorded)]
  .venv/bin/python -m models.nano.compare run VARIANT SEED [--budget 160]   (trains, then evaluates val/heldout/hard)
  .venv/bin/python -m models.nano.compare report                            (results.json + RESULTS.md sections)

Stage 0 is shared by every run: the vision tower is the shipped one (it is frozen after stage 0a in every schedule,
so the shipped tower *is* a stage-0a output; models.nano.recover restores it), then a fresh stage 0b (LLM on
symbolic object tokens) and stage 0c (connector regressed onto them). After it every variant gets the same number
of optimisation steps of 16 scenes (``--budget``): staged splits it 1:1:2:4 over I-a, I-b, II, III (the shipped
proportions), the others run their one stage for all of it. ``SEED`` changes the batch draws and the training noise
only. Learning rates are the shipped recipe's, not tuned. Every run is evaluated on ``val`` (the split for budget
and learning-rate choices), ``heldout`` and ``hard``; only ``val`` may steer a choice.
Runs live in work/cmp/ or the folder ``--cmp`` names (git-ignored); each run's eval.json is what ``report`` reads.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import time
from pathlib import Path
from typing import Any

import torch
from tokenizers import Tokenizer

from models.nano import samples_data as sd
from models.nano.evaluate import SHIPPED, VARIANTS, evaluate_variant
from models.nano.nano_config import nano_config
from models.nano.train import (NANO_DIR, SCHEDULES, SEED, WORK, _connector, load_base, load_final, run_stages,
                               save_final, schedule, stage_connector, stage_llm)
from models.slime import SlimeForCausalLM

CMP = WORK / "cmp"  # the default folder; every function takes its folder as an argument
TOK = NANO_DIR / "tokenizer.json"
EVAL_SCENES = {"val": 60, "heldout": 100, "hard": 60}  # fewer than evaluate.py: 15 runs on a shared CPU
# inference options per variant: the shipped selector for the SliME schedules, the architecture's own otherwise
EVAL_OPTS = {"staged": VARIANTS[SHIPPED][1], "joint": VARIANTS[SHIPPED][1], "alternating": VARIANTS[SHIPPED][1],
             "global_only": VARIANTS["global_only"][1], "hd_uncompressed": VARIANTS["hd_uncompressed"][1]}
FULL_STAGED = 1600  # steps after stage 0 of the shipped staged model (I-a 200, I-b 200, II 400, III 800)


def _tok() -> Tokenizer:
    return Tokenizer.from_file(str(TOK))


def llm_file_meta(llm_file: Path) -> dict[str, Any]:
    """What ``stage0.json`` records about a stage 0b taken as it is: where it came from, its sha256, and the steps and
    seconds its training wrote beside it (position_route's ``train_<mode>.json``, or a comparison's ``stage0.json``)."""
    path = llm_file.resolve()
    meta: dict[str, Any] = {"llm_file": str(path.relative_to(WORK.resolve()) if path.is_relative_to(WORK.resolve())
                                            else path),
                            "llm_file_sha256": hashlib.sha256(llm_file.read_bytes()).hexdigest()}
    mode = llm_file.stem.removeprefix("stage0_llm_") if llm_file.stem.startswith("stage0_llm_") else None
    for side in ([llm_file.with_name(f"train_{mode}.json")] if mode else []) + [llm_file.with_name("stage0.json")]:
        if side.exists():
            info = json.loads(side.read_text())
            meta["llm_steps"] = info.get("llm_steps", info.get("steps"))
            if "seconds" in info:
                meta["llm_seconds"] = info["seconds"]
            if mode:
                meta["routes"] = f"later words: {mode} (objtokens later_words)"
            break
    return meta


def stage0(cmp: Path, llm_steps: int, connector_steps: int, llm_from: Path | None = None,
           llm_file: Path | None = None) -> None:
    """Shared stage 0 under ``cmp``: shipped vision tower, fresh 0b LLM (or ``llm_from`` continued for ``llm_steps``
    more, or ``llm_file`` copied as it is), fresh 0c connector."""
    if llm_from is not None and llm_file is not None:
        raise SystemExit("--llm-from continues a stage 0b, --llm-file takes one as it is: give one of them")
    tok = _tok()
    cfg = nano_config(tok)
    cmp.mkdir(parents=True, exist_ok=True)
    times: dict[str, float] = {}
    vision = cmp / "stage0_vision.pt"
    if not vision.exists():
        shipped, _ = load_final(WORK / "shipped" / "final.pt")
        torch.save({"vision." + k: v for k, v in shipped.vision.state_dict().items()}, vision)
    t = time.time()
    if not (cmp / "stage0_llm.pt").exists():
        if llm_file is not None:
            shutil.copyfile(llm_file, cmp / "stage0_llm.pt")
        else:
            stage_llm(cfg, tok, cmp / "stage0_llm.pt", llm_steps, 16, init=llm_from)
            times["stage0_llm"] = time.time() - t
    model = load_base(cfg, vision, cmp / "stage0_llm.pt")
    cache = sd.cache_scenes(model, cfg, "train", 0, 3000, store=WORK / "features" / "train.pt")
    t = time.time()
    if not (cmp / "stage0_connector.pt").exists():
        stage_connector(model, tok, cache, cmp / "stage0_connector.pt", connector_steps, 16)
    times["stage0_connector"] = time.time() - t
    meta: dict[str, Any] = {"llm_steps": llm_steps, "connector_steps": connector_steps,
                            "seconds": {k: round(v) for k, v in times.items()}}
    if llm_from is not None:  # a continuation: the steps of the LLM it started from count too
        before = json.loads((llm_from.parent / "stage0.json").read_text())
        meta |= {"llm_from": str(llm_from.relative_to(WORK)), "llm_steps": before["llm_steps"] + llm_steps,
                 "llm_continued_steps": llm_steps}
    if llm_file is not None:
        meta |= llm_file_meta(llm_file)
    old = cmp / "stage0.json"
    if old.exists():  # keep the seconds of the run that actually trained them
        meta = {**meta, **json.loads(old.read_text())}
    old.write_text(json.dumps(meta, indent=1) + "\n")


def base_model(cmp: Path) -> tuple[SlimeForCausalLM, Any]:
    tok = _tok()
    cfg = nano_config(tok)
    model = load_base(cfg, cmp / "stage0_vision.pt", cmp / "stage0_llm.pt")
    _connector(model).load_state_dict(torch.load(cmp / "stage0_connector.pt", weights_only=True))
    return model, cfg


def run(cmp: Path, variant: str, seed: int, budget: int) -> dict[str, Any]:
    """Train ``variant`` for ``budget`` steps after ``cmp``'s stage 0 with ``seed``; evaluate; write eval.json."""
    tok = _tok()
    model, cfg = base_model(cmp)
    cache = sd.cache_scenes(model, cfg, "train", 0, 3000, store=WORK / "features" / "train.pt")
    scale = budget / (FULL_STAGED if variant == "staged" else schedule("joint", 1.0)[0].steps)
    stages = schedule(variant, scale)
    run_dir = cmp / f"{variant}-b{budget}-s{seed}"
    run_dir.mkdir(parents=True, exist_ok=True)
    t0 = time.time()
    run_stages(model, tok, stages, cache, run_dir, 16, seed=SEED + 7919 * seed)
    seconds = time.time() - t0
    fresh = SlimeForCausalLM(cfg)
    fresh.load_state_dict(model.state_dict())
    save_final(fresh, cfg, run_dir / "final.pt")
    res: dict[str, Any] = {"variant": variant, "seed": seed, "budget": budget,
                           "steps": {st.name: st.steps for st in stages}, "train_seconds": round(seconds),
                           "threads": torch.get_num_threads()}
    t0 = time.time()
    for split, n in EVAL_SCENES.items():
        caches = sd.cache_scenes(model, cfg, split, 0, n, store=WORK / "features" / f"{split}.pt")
        res[split] = evaluate_variant(model, tok, caches, EVAL_OPTS[variant])
        print(f"[{variant} s{seed}] {split} {res[split]['accuracy']}", flush=True)
    res["eval_seconds"] = round(time.time() - t0)
    (run_dir / "eval.json").write_text(json.dumps(res, indent=1) + "\n")
    return res


def _claim(run_dir: Path) -> bool:
    """True when this process may train ``run_dir``: not finished, and not claimed by a queue process still
    alive. The claim is a file created with O_EXCL holding the claimer's pid; a dead claimer's claim is taken
    over (its partial checkpoints resume)."""
    if (run_dir / "eval.json").exists():
        return False
    run_dir.mkdir(parents=True, exist_ok=True)
    claim = run_dir / "claim"
    for _ in range(2):
        try:
            fd = os.open(claim, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
        except FileExistsError:
            try:
                pid = int(claim.read_text() or "0")
                os.kill(pid, 0)
                return pid == os.getpid()
            except (ValueError, ProcessLookupError):
                claim.unlink(missing_ok=True)  # the claimer died: take the run over
                continue
        os.write(fd, str(os.getpid()).encode())
        os.close(fd)
        return True
    return False


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    s0 = sub.add_parser("stage0")
    s0.add_argument("--llm-steps", type=int, default=600)
    s0.add_argument("--connector-steps", type=int, default=1000)
    s0.add_argument("--llm-from", type=Path, default=None,
                    help="continue this stage0_llm.pt (of another comparison folder) for --llm-steps more")
    s0.add_argument("--llm-file", type=Path, default=None,
                    help="take this stage 0b as it is (e.g. work/route/stage0_llm_own-head.pt); stage0.json records "
                         "its path, sha256 and the steps written beside it")
    r = sub.add_parser("run")
    r.add_argument("variant", choices=SCHEDULES)
    r.add_argument("seed", type=int)
    r.add_argument("--budget", type=int, default=160)
    q = sub.add_parser("queue", help="run VARIANTS x SEEDS (seed-major), skipping finished runs and runs another "
                                     "queue process has claimed: start one per core to share the list")
    # longest first, so that two queue processes finish close together
    q.add_argument("--variants", default="hd_uncompressed,alternating,staged,joint,global_only")
    q.add_argument("--seeds", default="0,1,2")
    q.add_argument("--budget", type=int, default=160)
    sub.add_parser("report")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--cmp", default="cmp", help="comparison folder under work/ (one per stage 0; report reads all)")
    a = ap.parse_args(argv)
    cmp = WORK / a.cmp
    torch.set_num_threads(a.threads)
    if a.cmd == "stage0":
        stage0(cmp, a.llm_steps, a.connector_steps, a.llm_from, a.llm_file)
    elif a.cmd == "run":
        run(cmp, a.variant, a.seed, a.budget)
    elif a.cmd == "queue":
        for seed in (int(x) for x in a.seeds.split(",")):
            for v in a.variants.split(","):
                if _claim(cmp / f"{v}-b{a.budget}-s{seed}"):
                    run(cmp, v, seed, a.budget)
    else:
        from models.nano.compare_report import update

        update()


if __name__ == "__main__":
    main()
