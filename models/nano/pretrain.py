"""SliME-Nano stage 0 (vision tower; LLM on symbolic object tokens; connector aligned to them) and the resumable
training loop every stage uses. Split out of train.py (size limit); train.py re-exports these names."""

from __future__ import annotations

import math
import random
import time
from pathlib import Path
from typing import Any, Callable

import torch
import torch.nn.functional as F
from torch import nn

from models.nano import data, objtokens, stage0
from models.nano import samples_data as sd
from models.nano.tokenizer import special_ids
from models.slime import SlimeForCausalLM
from models.slime.config import SlimeConfig

SEED = 3407


def _params(*mods: nn.Module) -> list[nn.Parameter]:
    return [p for m in mods for p in m.parameters()]


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


def stage_vision(cfg: SlimeConfig, out: Path, steps: int, views: int, sizes: tuple[int, int] | None = None) -> None:
    """Stage 0a: dense attribute pretraining of the vision tower (``sizes``: object side range of its scenes)."""
    model = SlimeForCausalLM(cfg)
    both = nn.ModuleDict({"vision": model.vision, "heads": stage0.make_heads(cfg)})
    rng = random.Random(SEED)
    state: dict[str, Any] = {}

    def loss_fn(s: int) -> tuple[torch.Tensor, str]:
        rng.seed(SEED * 1000 + s)
        loss, (sa, ga) = stage0.step(model.vision, both["heads"], stage0.view_batch(cfg, rng, views, sizes=sizes))
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
              init: Path | None = None, later_words: str | None = None) -> None:
    """Stage 0b: LLM pretraining on the questions with a symbolic visual block (objtokens) in place of the
    image, with the object-count curriculum. ``init``: continue from that LLM on full scenes only (no
    curriculum, fresh optimizer and cosine schedule, data seeds disjoint from the first run). ``later_words``:
    routing supervision also at an answer's later words (objtokens._add_routes; the shipped model was trained
    without it)."""
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
                                                             EXTRA_POSITION, later_words)
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
