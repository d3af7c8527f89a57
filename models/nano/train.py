"""SliME-Nano training: stage 0 (vision tower; LLM on symbolic object tokens; connector aligned to them), the
official stages I-a, I-b, II, III, and the comparison schedules (joint, alternating) and architectures
(global_only, hd_uncompressed).

Usage: .venv/bin/python -m models.nano.train [--schedule staged] [--quick] [--no-export]
Checkpoints live under models/nano/work/ (git-ignored); a rerun resumes at the last saved step.
"""

from __future__ import annotations

import argparse
import json
import math
import random
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import torch
import torch.nn.functional as F
from torch import nn

from models.nano import data, objtokens, stage0
from models.nano import samples_data as sd
from models.nano.nano_config import nano_config
from models.nano.tokenizer import load_or_train, special_ids
from models.slime import SlimeForCausalLM
from models.slime.config import SlimeConfig

NANO_DIR = Path(__file__).resolve().parent
WORK = NANO_DIR / "work"
SEED = 3407
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


def _params(*mods: nn.Module) -> list[nn.Parameter]:
    return [p for m in mods for p in m.parameters()]


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


class Progress:
    """Prints step, loss, elapsed time and ETA (stage and whole run) every few steps."""

    def __init__(self, label: str, total: int, start: int) -> None:
        self.label, self.total, self.start, self.t0 = label, total, start, time.time()

    def __call__(self, step: int, loss: float, extra: str = "") -> None:
        done = step + 1 - self.start
        el = time.time() - self.t0
        eta = el / max(done, 1) * (self.total - step - 1)
        print(f"[{self.label}] {step + 1}/{self.total} loss {loss:.4f} {extra} "
              f"elapsed {el:.0f}s eta {eta:.0f}s ({time.strftime('%H:%M:%S', time.localtime(time.time() + eta))})",
              flush=True)


def _lr(base: float, step: int, total: int) -> float:
    warm = max(1, int(0.03 * total))
    if step < warm:
        return base * (step + 1) / warm
    return base * 0.5 * (1 + math.cos(math.pi * (step - warm) / max(1, total - warm)))


def _run_loop(label: str, path: Path, steps: int, lr: float, model_params: Callable[[int], list[nn.Parameter]],
              all_modules: nn.Module, loss_fn: Callable[[int], tuple[torch.Tensor, str]], log_every: int,
              save_every: int, seed: int = SEED) -> None:
    """Generic resumable loop: AdamW over the parameters trainable at each step, cosine LR, partial saves."""
    partial = path.with_suffix(".partial.pt")
    start = 0
    opt = torch.optim.AdamW([p for p in all_modules.parameters() if p.dtype.is_floating_point], lr=lr,
                            weight_decay=0.0)
    if partial.exists():
        ck = torch.load(partial, weights_only=False)
        all_modules.load_state_dict(ck["model"])
        opt.load_state_dict(ck["opt"])
        start = ck["step"]
        print(f"[{label}] resuming at step {start}", flush=True)
    prog = Progress(label, steps, start)
    frozen = {id(p) for n, p in all_modules.named_parameters() if n.endswith(("pos_embed", "w_noise"))}
    for s in range(start, steps):
        train = {id(p) for p in model_params(s)} - frozen
        for p in all_modules.parameters():
            p.requires_grad_(id(p) in train)
        for g in opt.param_groups:
            g["lr"] = _lr(lr, s, steps)
        torch.manual_seed(seed + s)
        loss, extra = loss_fn(s)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_([p for p in all_modules.parameters() if p.grad is not None], 1.0)
        opt.step()
        if (s + 1) % log_every == 0 or s + 1 == steps:
            prog(s, loss.item(), extra)
        if (s + 1) % save_every == 0 and s + 1 < steps:
            torch.save({"model": all_modules.state_dict(), "opt": opt.state_dict(), "step": s + 1}, partial)
    torch.save(all_modules.state_dict(), path)
    if partial.exists():
        partial.unlink()


def stage_vision(cfg: SlimeConfig, out: Path, steps: int, views: int) -> None:
    """Stage 0a: dense attribute pretraining of the vision tower."""
    model = SlimeForCausalLM(cfg)
    both = nn.ModuleDict({"vision": model.vision, "heads": stage0.make_heads(cfg)})
    rng = random.Random(SEED)
    state: dict[str, Any] = {}

    def loss_fn(s: int) -> tuple[torch.Tensor, str]:
        rng.seed(SEED * 1000 + s)
        loss, (sa, ga) = stage0.step(model.vision, both["heads"], stage0.view_batch(cfg, rng, views))
        state["s"] = 0.9 * state.get("s", sa) + 0.1 * sa
        state["g"] = 0.9 * state.get("g", ga) + 0.1 * ga
        return loss, f"shape-acc {state['s']:.3f} glyph-acc {state['g']:.3f}"

    _run_loop("stage0-vision", out, steps, 2e-3, lambda s: list(both.parameters()), both, loss_fn,
              log_every=max(1, min(25, steps // 20)), save_every=100)


EXTRA_GLYPH = 2  # stage 0b: extra glyph questions per scene (objtokens.pretrain_batch)
EXTRA_POSITION = 2  # stage 0b: extra position questions per scene (objtokens.pretrain_batch)
QUESTION_WEIGHT = 0.25  # stage 0b: weight of the loss on question tokens (objtokens.pretrain_batch)
ROUTE_WEIGHT = 0.5  # stage 0b: weight of the routing supervision (objtokens.route_loss)
# (share of the steps, max objects per scene). Two- and three-object phases helped the unsupervised read-out
# off its plateau a little; with the routing supervision (objtokens.route_loss) full scenes from the first step
# leave it within ~300 steps, so the curriculum is one phase now.
CURRICULUM = ((1.0, 8),)


def max_objects_at(step: int, total: int) -> int:
    """Stage 0b curriculum: the object cap at ``step`` of ``total`` (CURRICULUM's phases in order)."""
    edge = 0.0
    for share, n in CURRICULUM:
        edge += share * total
        if step < edge:
            return n
    return CURRICULUM[-1][1]


def stage_llm(cfg: SlimeConfig, tok: Any, out: Path, steps: int, batch: int, lr: float = 1e-3,
              init: Path | None = None) -> None:
    """Stage 0b: LLM pretraining on the questions with a symbolic visual block (objtokens) in place of the
    image, with the object-count curriculum. ``init``: continue from that LLM on full scenes only (no
    curriculum, fresh optimizer and cosine schedule, data seeds disjoint from the first run)."""
    model = SlimeForCausalLM(cfg)
    model.llm.set_attn_implementation("eager")  # route_loss reads the attention probabilities
    if init is not None:
        model.llm.load_state_dict(torch.load(init, weights_only=True))
    seed0 = SEED * 2000 + (10**6 if init is not None else 0)
    objs = objtokens.ObjectTokens(tok, cfg)
    eot = special_ids(tok)["eot"]
    rng = random.Random(SEED + 1)
    gen = torch.Generator()
    emb = model.llm.get_input_embeddings()

    def loss_fn(s: int) -> tuple[torch.Tensor, str]:
        rng.seed(seed0 + s)
        gen.manual_seed(seed0 + s)
        mo = CURRICULUM[-1][1] if init is not None else max_objects_at(s, steps)
        scenes = [data.make_scene("train", rng.randrange(2 * 10**7, 3 * 10**7), cfg.image_size, max_objects=mo)
                  for _ in range(batch)]
        x, mask, y, yq, routes = objtokens.pretrain_batch(objs, tok, eot, emb, scenes, rng, gen, EXTRA_GLYPH,
                                                             EXTRA_POSITION)
        out = model.llm(inputs_embeds=x, attention_mask=mask, output_attentions=True)
        logits = out.logits[:, :-1].flatten(0, 1)
        ans = F.cross_entropy(logits, y[:, 1:].flatten(), ignore_index=-100)
        q = F.cross_entropy(logits, yq[:, 1:].flatten(), ignore_index=-100)
        r = objtokens.route_loss(out.attentions, routes)
        return ans + QUESTION_WEIGHT * q + ROUTE_WEIGHT * r, (
            f"objects<={mo} answer {ans.item():.4f} question {q.item():.4f} route {r.item():.3f}")

    label = "stage0-llm" if init is None else "stage0-llm-continued"
    _run_loop(label, out, steps, lr, lambda s: _params(model.llm), model.llm, loss_fn,
              log_every=max(1, steps // 30), save_every=100)


CONNECTOR_LR = 3e-3


def _connector(model: SlimeForCausalLM) -> nn.ModuleDict:
    """The connector's modules, as stage 0c saves and loads them."""
    return nn.ModuleDict({"projector": model.projector, "sampler": model.sampler})


def stage_connector(model: SlimeForCausalLM, tok: Any, cache: list[sd.CachedScene], out: Path, steps: int,
                    batch: int) -> None:
    """Stage 0c: the connector — both global experts (MLP, Q-former) and the local compressor — regressed onto
    the symbolic object tokens alone (objtokens.align_loss), the LLM untouched and not even run, so a step costs
    ~0.12 s. The alignment term of stages I-a…II starts from a connector whose outputs carry ~300x the targets'
    energy and, at ~0.5 s per step with the LLM in the loop, never got below a normalised error of ~0.85 within
    their budgets; 3,500 steps here end at ~0.26 (MLP + local) / ~0.14 (Q-former). Shared by every schedule (it
    is part of stage 0), saved as the projector + sampler weights. The router is left to III: a first version
    that aligned only the router mixture left each expert alone far off its targets, and I-a (MLP alone) then
    started at an error of ~10."""
    sd.use_cached_features(model)
    objs = objtokens.ObjectTokens(tok, model.cfg)
    mods = _connector(model)
    rng = random.Random(SEED + 5)

    def loss_fn(s: int) -> tuple[torch.Tensor, str]:
        rng.seed(SEED * 4000 + s)
        items = [cache[rng.randrange(len(cache))] for _ in range(batch)]
        feats, scenes = [c.feats.float() for c in items], [c.scene for c in items]
        # Each global expert on its own (MLP(x), as in I-a; MLP(QF(x)), as in I-b): when both match the targets,
        # so does any router mixture of them (III). The local compressor is in the first term.
        mlp = objtokens.align_loss(model, objs, feats, scenes, dict(learnable_gated=0))
        qf = objtokens.align_loss(model, objs, feats, scenes, dict(learnable_gated=1, use_global_only=True))
        return mlp + qf, f"mlp+local {mlp.item():.4f} qformer {qf.item():.4f}"

    _run_loop("stage0-connector", out, steps, CONNECTOR_LR, lambda s: list(mods.parameters()), mods, loss_fn,
              log_every=max(1, steps // 20), save_every=500)


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
            if not st.align:
                return lm, ""
            al = objtokens.align_loss(model, objs, [c.feats.float() for c in items], [c.scene for c in items],
                                      st.options)
            return lm + st.align * al, f"lm {lm.item():.4f} align {al.item():.4f}"

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
        stage_vision(cfg, work / "stage0_vision.pt", vision_steps, 8 if args.quick else 32)
    timings["stage0_vision"] = time.time() - t
    t = time.time()
    if args.only != "vision" and not (work / "stage0_llm.pt").exists():
        stage_llm(cfg, tok, work / "stage0_llm.pt", llm_steps, 4 if args.quick else 16)
    llm_file = work / "stage0_llm.pt"
    if args.llm_continue and args.only != "vision":
        llm_file = work / "stage0_llm_cont.pt"
        if not llm_file.exists():
            stage_llm(cfg, tok, llm_file, 2 if args.quick else args.llm_continue, 4 if args.quick else 16,
                      init=work / "stage0_llm.pt")
    timings["stage0_llm"] = time.time() - t
    if args.only:
        return {"timings": timings}
    model = load_base(cfg, work / "stage0_vision.pt", llm_file)
    t = time.time()
    cache = sd.cache_scenes(model, cfg, "train", 0, n_scenes, log_every=0 if args.quick else 1000,
                            store=None if args.quick else work / "features" / "train.pt")
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
    run_stages(model, tok, stages, cache, run_dir, 2 if args.quick else 16)
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
