"""SliME-Nano training: stage 0 (vision tower; LLM on symbolic object tokens; connector aligned to them), the
official stages I-a, I-b, II, III, and the comparison schedules (joint, alternating) and architectures
(global_only, hd_uncompressed).

Usage: .venv/bin/python -m models.nano.train [--schedule staged] [--quick] [--no-export]
Checkpoints live under models/nano/work/ (git-ignored); a rerun resumes at the last saved step.
"""

from __future__ import annotations

import argparse
import json
import random
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import torch
from torch import nn

from models.nano import data, objtokens
from models.nano import samples_data as sd
from models.nano.nano_config import nano_config
from models.nano.tokenizer import load_or_train, special_ids
from models.slime import SlimeForCausalLM
from models.slime.config import SlimeConfig
# Stage 0 and the shared loop live in pretrain.py; CURRICULUM, SEED and _connector are re-exported for their users.
from models.nano.pretrain import (CURRICULUM, SEED, _connector, _params, _run_loop, stage_connector,  # noqa: F401
                                 stage_llm, stage_vision)

NANO_DIR = Path(__file__).resolve().parent
WORK = NANO_DIR / "work"
ALIGN = 1.0


@dataclass
class Stage:
    """One training stage: which blocks learn, the forward switches and the budget."""

    name: str
    steps: int
    lr: float
    trainable: Callable[[SlimeForCausalLM, int], list[nn.Parameter]]
    options: dict[str, Any] = field(default_factory=dict)
    align: float = ALIGN  # weight of the connector-to-symbolic-tokens alignment loss (objtokens.align_loss)
    attr_ce: float = 0.0  # weight of the local attribute cross-entropy (objtokens.attribute_ce)


def _adapters_llm(m: SlimeForCausalLM, _step: int) -> list[nn.Parameter]:
    return [p for p in _params(m.projector, m.sampler, m.llm) if p is not m.projector.w_noise]


def _alternating(m: SlimeForCausalLM, step: int) -> list[nn.Parameter]:
    """Global blocks (MLP, Q-former, router) and the local compressor take turns, 50 steps each."""
    block = [m.projector.projection, m.projector.attn] if (step // 50) % 2 == 0 else [m.sampler]
    extra = [m.projector.w_gate] if (step // 50) % 2 == 0 else []
    return _params(*block, m.llm) + extra


FULL = dict(learnable_gated=-1, mode="legacy", topp=0.95, router_noise=True, noise_std=0.1)


def schedule(name: str, scale: float) -> list[Stage]:
    """Stages after stage 0 for a schedule. ``scale`` multiplies every step budget (``--quick`` uses ~0)."""

    def n(steps: int) -> int:
        return max(2, int(steps * scale))

    if name == "staged":
        return [
            Stage("Ia", n(200), 1e-3, lambda m, s: _params(m.projector.projection),
                  dict(use_global_only=True, learnable_gated=0)),
            Stage("Ib", n(200), 1e-3, lambda m, s: _params(m.projector.attn),
                  dict(use_global_only=True, learnable_gated=1)),
            Stage("II", n(400), 1e-3, lambda m, s: _params(m.sampler), dict(use_local_only=True, topp=1.0)),
            Stage("III", n(800), 5e-4, _adapters_llm, dict(FULL)),
        ]
    budget = n(300)
    if name == "joint":
        return [Stage("joint", budget, 5e-4, _adapters_llm, dict(FULL))]
    if name == "alternating":
        return [Stage("alternating", budget, 5e-4, _alternating, dict(FULL))]
    if name == "global_only":
        return [Stage("global_only", budget, 5e-4, _adapters_llm,
                      dict(use_global_only=True, learnable_gated=-1, router_noise=True))]
    if name == "hd_uncompressed":
        return [Stage("hd_uncompressed", budget, 5e-4, _adapters_llm,
                      dict(local_mode="uncompressed", learnable_gated=-1, topp=1.0, router_noise=True))]
    raise SystemExit(f"unknown schedule {name!r}")


SCHEDULES = ("staged", "joint", "alternating", "global_only", "hd_uncompressed")


def sizes_arg(text: str) -> tuple[int, int]:
    """``LO,HI`` -> (LO, HI): an object side range in px (data.make_scene's ``sizes``)."""
    try:
        lo, hi = (int(x) for x in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected LO,HI (two integers), got {text!r}") from None
    if not 6 <= lo <= hi <= data.PATCH:
        raise argparse.ArgumentTypeError(f"need 6 <= LO <= HI <= {data.PATCH} (one object per patch), got {text!r}")
    return lo, hi


def load_base(cfg: SlimeConfig, vision_path: Path, llm_path: Path) -> SlimeForCausalLM:
    """A fresh SliME with the stage-0 vision tower and the stage-0b LLM."""
    torch.manual_seed(SEED)
    model = SlimeForCausalLM(cfg)
    vs = torch.load(vision_path, weights_only=True)
    model.vision.load_state_dict({k[len("vision."):]: v for k, v in vs.items() if k.startswith("vision.")})
    model.llm.load_state_dict(torch.load(llm_path, weights_only=True))
    return model


def run_stages(model: SlimeForCausalLM, tok: Any, stages: list[Stage], cache: list[sd.CachedScene],
               run_dir: Path, batch: int, seed: int = SEED) -> None:
    """The official/comparison stages on cached features. Finished stages are loaded instead of retrained.
    ``seed`` sets the batch draws and the training noise (models.nano.compare runs several)."""
    eot = special_ids(tok)["eot"]
    objs = objtokens.ObjectTokens(tok, model.cfg)
    sd.use_cached_features(model)
    for p in model.vision.parameters():
        p.requires_grad_(False)
    trainable_modules = nn.ModuleDict({"projector": model.projector, "sampler": model.sampler, "llm": model.llm})
    for st in stages:
        path = run_dir / f"{st.name}.pt"
        if path.exists():
            trainable_modules.load_state_dict(torch.load(path, weights_only=True))
            print(f"[{st.name}] done earlier, loaded {path.name}", flush=True)
            continue
        rng = random.Random(SEED + hash(st.name) % 1000)

        def loss_fn(s: int, st: Stage = st, rng: random.Random = rng) -> tuple[torch.Tensor, str]:
            rng.seed(seed * 3000 + s)
            items = [cache[rng.randrange(len(cache))] for _ in range(batch)]
            lm = model(sd.scene_batch(tok, eot, items, rng), **st.options)
            if not st.align and not st.attr_ce:
                return lm, ""
            feats, scenes = [c.feats.float() for c in items], [c.scene for c in items]
            loss, extra = lm, f"lm {lm.item():.4f}"
            if st.align:
                al = objtokens.align_loss(model, objs, feats, scenes, st.options)
                loss, extra = loss + st.align * al, f"{extra} align {al.item():.4f}"
            if st.attr_ce:
                ce = objtokens.attribute_ce(model, objs, feats, scenes)
                loss, extra = loss + st.attr_ce * ce, f"{extra} attr-ce {ce.item():.4f}"
            return loss, extra

        t0 = time.time()
        _run_loop(st.name, path, st.steps, st.lr, lambda s, st=st: st.trainable(model, s), trainable_modules,
                  loss_fn, log_every=max(1, st.steps // 25), save_every=50, seed=seed)
        print(f"[{st.name}] finished in {time.time() - t0:.0f}s", flush=True)


def save_final(model: SlimeForCausalLM, cfg: SlimeConfig, path: Path) -> None:
    """Weights (vision included) + the config dict: what evaluate.py and ship.py load."""
    torch.save({"config": cfg.to_dict(), "state_dict": model.state_dict()}, path)


def load_final(path: Path) -> tuple[SlimeForCausalLM, SlimeConfig]:
    ck = torch.load(path, weights_only=False)
    d = dict(ck["config"])
    cfg = SlimeConfig(**d)
    model = SlimeForCausalLM(cfg)
    model.load_state_dict(ck["state_dict"])
    model.eval()
    return model, cfg


def main(argv: list[str] | None = None) -> dict[str, Any]:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--schedule", default="staged", choices=SCHEDULES)
    ap.add_argument("--quick", action="store_true", help="every stage on a few batches, then export")
    ap.add_argument("--work", type=Path, default=None, help="work folder (default models/nano/work[/quick])")
    ap.add_argument("--scenes", type=int, default=3000, help="cached train scenes for stages I-III")
    ap.add_argument("--scale", type=float, default=1.0, help="multiplies the step budget of stages I-III")
    ap.add_argument("--no-export", action="store_true")
    ap.add_argument("--only", choices=("vision", "llm"), help="run just one stage-0 part (they are independent)")
    ap.add_argument("--vision-steps", type=int, default=600)
    ap.add_argument("--llm-steps", type=int, default=1500)
    ap.add_argument("--llm-continue", type=int, default=0,
                    help="then continue stage 0b for this many steps on full scenes (-> stage0_llm_cont.pt)")
    ap.add_argument("--connector-steps", type=int, default=2000, help="stage 0c: connector alignment steps")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--lr-scale", type=float, default=1.0, help="multiplies the LR of stages I-III")
    ap.add_argument("--run-name", default=None, help="folder under work/ (default: the schedule name)")
    ap.add_argument("--iii-steps", type=int, default=0, help="override the stage III budget")
    ap.add_argument("--oos-in-iii", action="store_true",
                    help="stage III's conversations also carry 1-2 out-of-scope questions answered with oos.SENTENCE "
                         "(finetune_oos.with_oos), instead of a separate out-of-scope fine-tune after it")
    ap.add_argument("--later-words", choices=("same-heads", "own-head"), default=None,
                    help="stage 0b: routing supervision also at an answer's later words (objtokens; off = shipped v1)")
    ap.add_argument("--train-sizes", type=sizes_arg, default=None, metavar="LO,HI",
                    help="object side range (px) of the train scenes of stage 0a and of the stage 0c-III cache "
                         "(default the train split's 13,14)")
    ap.add_argument("--seed", type=int, default=0,
                    help="stages I-III's batch draws and training noise (0 = the shipped runs'; as compare.py's seeds)")
    args = ap.parse_args(argv)
    torch.set_num_threads(args.threads)
    torch.manual_seed(SEED)
    work = args.work or (WORK / "quick" if args.quick else WORK)
    work.mkdir(parents=True, exist_ok=True)
    t_all = time.time()
    tok = load_or_train(work / "tokenizer.json", 300 if args.quick else 3000)
    cfg = nano_config(tok)
    timings: dict[str, float] = {}
    vision_steps, llm_steps, n_scenes = (2, 2, 6) if args.quick else (args.vision_steps, args.llm_steps, args.scenes)
    scale = 0.0 if args.quick else args.scale
    t = time.time()
    if args.only != "llm" and not (work / "stage0_vision.pt").exists():
        stage_vision(cfg, work / "stage0_vision.pt", vision_steps, 8 if args.quick else 32, sizes=args.train_sizes)
    timings["stage0_vision"] = time.time() - t
    t = time.time()
    if args.only != "vision" and not (work / "stage0_llm.pt").exists():
        stage_llm(cfg, tok, work / "stage0_llm.pt", llm_steps, 4 if args.quick else 16, later_words=args.later_words)
    llm_file = work / "stage0_llm.pt"
    if args.llm_continue and args.only != "vision":
        llm_file = work / "stage0_llm_cont.pt"
        if not llm_file.exists():
            stage_llm(cfg, tok, llm_file, 2 if args.quick else args.llm_continue, 4 if args.quick else 16,
                      init=work / "stage0_llm.pt", later_words=args.later_words)
    timings["stage0_llm"] = time.time() - t
    if args.only:
        return {"timings": timings}
    model = load_base(cfg, work / "stage0_vision.pt", llm_file)
    t = time.time()
    cache = sd.cache_scenes(model, cfg, "train", 0, n_scenes, log_every=0 if args.quick else 1000,
                            store=None if args.quick else work / "features" / "train.pt", sizes=args.train_sizes)
    timings["feature_cache"] = time.time() - t
    t = time.time()
    connector = work / "stage0_connector.pt"
    if not connector.exists():
        stage_connector(model, tok, cache, connector, 2 if args.quick else args.connector_steps,
                        2 if args.quick else 16)
    _connector(model).load_state_dict(torch.load(connector, weights_only=True))
    timings["stage0_connector"] = time.time() - t
    run_dir = work / (args.run_name or args.schedule)
    run_dir.mkdir(exist_ok=True)
    t = time.time()
    stages = schedule(args.schedule, scale)
    for st in stages:
        st.lr *= args.lr_scale
        if st.name == "III" and args.iii_steps:
            st.steps = args.iii_steps
    from models.nano.finetune_oos import with_oos

    batch = 2 if args.quick else 16
    iii_cache = with_oos(cache) if args.oos_in_iii else cache  # stage III may also see out-of-scope questions
    seed = SEED + 7919 * args.seed
    run_stages(model, tok, [st for st in stages if st.name != "III"], cache, run_dir, batch, seed=seed)
    run_stages(model, tok, [st for st in stages if st.name == "III"], iii_cache, run_dir, batch, seed=seed)
    timings["stages"] = time.time() - t
    final = run_dir / "final.pt"
    fresh = SlimeForCausalLM(cfg)
    fresh.load_state_dict(model.state_dict())
    save_final(fresh, cfg, final)
    timings["total"] = time.time() - t_all
    (run_dir / "timings.json").write_text(json.dumps(timings, indent=1))
    print(f"saved {final} timings {json.dumps({k: round(v) for k, v in timings.items()})}", flush=True)
    out: dict[str, Any] = {"final": str(final), "timings": timings}
    if not args.no_export:
        from models.nano.ship import export_folder

        out["export"] = str(export_folder(final, work / "tokenizer.json", run_dir / "export"))
    return out


if __name__ == "__main__":
    main()
