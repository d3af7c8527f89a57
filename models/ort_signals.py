"""Signals of the hard-example miner over models.ort_pipeline.OrtSlime, in parity with the TypeScript engine.

Kept apart from ort_pipeline.py (which other work also edits). Shared definitions: /work/wt/notes/SESSION2-PLAN.md
("Image embedding", "Sweep", "Combined rank"); the TypeScript side is electron/inference (answer.ts, sweep.ts).

- image_embedding: mean over the global view's rows after the projector/router mix (the `global_tokens` output,
  the rows that enter the LLM before the separator), accumulated in float64, L2-normalised, returned as float32.
- load_image: what electron/inference/preprocess/decodeImage.ts does with sharp — EXIF orientation applied, first
  frame, alpha dropped (not composited), grey/palette expanded to sRGB.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any, BinaryIO
from pathlib import Path

import numpy as np
import torch
from PIL import Image, ImageOps

from .ort_pipeline import OrtSlime, kept_override
from .slime.selector import raster_order, select
from .slime.template import IMAGE_TOKEN, IMAGE_TOKEN_INDEX, build_prompt, tokenize_with_image, user_message

EMBEDDING_KIND = "global-mean-l2"


def load_image(path: str | Path | BinaryIO) -> Image.Image:
    """Decode a file as the engine does (EXIF orientation, first frame, RGB without alpha)."""
    with Image.open(path) as im:
        im.seek(0)
        im = ImageOps.exif_transpose(im)
        if im.mode in ("P", "PA"):  # palette with transparency: expand first so PIL does not warn
            im = im.convert("RGBA")
        return im.convert("RGB")


def file_sha256(path: str | Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


@dataclass
class Features:
    """Everything of one image that does not depend on the prompt (the engine's FeatureCache entry)."""

    pixel_values: np.ndarray
    grid: tuple[int, int]
    projector: dict[str, np.ndarray]


def encode(rt: OrtSlime, image: Image.Image) -> Features:
    """preprocess → vision_encoder → projector, once per image (reused by every question and setting)."""
    pv, grid = rt.preprocess(image)
    return Features(pv, grid, rt.project(rt.vision(pv)))


def embedding_from_global(global_tokens: np.ndarray) -> np.ndarray:
    """[G, H] global rows → L2-normalised float32 mean [H] (float64 accumulation; a zero vector stays zero)."""
    mean = np.asarray(global_tokens, dtype=np.float64).mean(axis=0)
    n = float(np.linalg.norm(mean))
    return (mean / max(n, 1e-12)).astype(np.float32)


def image_embedding(rt: OrtSlime, image: Image.Image | Features) -> np.ndarray:
    """The image embedding (see module doc) of a PIL image or of already encoded features."""
    feats = image if isinstance(image, Features) else encode(rt, image)
    return embedding_from_global(feats.projector["global_tokens"])


# ---- the engine's ask / score / sweep over encoded features (electron/inference/answer.ts, sweep.ts, firstStep.ts)

class PromptError(ValueError):
    """The engine's prompt/empty and prompt/too-long refusals (code attribute)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


def prompt_ids(rt: OrtSlime, question: str) -> list[int]:
    """answer.ts conversation([], question) → buildPrompt → tokenizeWithImage (a typed "<image>" is dropped)."""
    if not question.strip():
        raise PromptError("prompt/empty", "The question is empty")
    limit = rt.manifest["llm"]["max_length"] * 8
    if len(question) > limit:
        raise PromptError("prompt/too-long", f"The question is {len(question)} characters; at most about {limit}")
    text = build_prompt(rt.manifest["template"], [("user", user_message(question.replace(IMAGE_TOKEN, "")))])
    return tokenize_with_image(text, rt.tokenizer)


@dataclass
class Prompt:
    ids: list[int]
    text: np.ndarray  # embeddings of the ids without the placeholder [T, H]
    sep: np.ndarray  # the separator row [1, H]


def make_prompt(rt: OrtSlime, feats: Features, question: str) -> Prompt:
    ids = prompt_ids(rt, question)
    text_ids = [i for i in ids if i != IMAGE_TOKEN_INDEX]
    p = feats.projector
    visual = p["global_tokens"].shape[0] + 1 + p["local_tokens"].shape[0] * p["local_tokens"].shape[1]
    if len(text_ids) + visual >= rt.cfg.max_length:
        raise PromptError("prompt/too-long", f"The prompt needs {len(text_ids)} text + up to {visual} image tokens")
    emb = rt.embed([*text_ids, rt.cfg.separator_id])
    return Prompt(ids, emb[:-1], emb[-1:])


def raster(feats: Features) -> np.ndarray:
    return raster_order(torch.from_numpy(feats.projector["local_tokens"]), *feats.grid).numpy()


def kept_local(rt: OrtSlime, feats: Features, prompt: Prompt, mode: str, top_p: float,
               keep: list[int] | None = None) -> np.ndarray:
    """select.ts selectLocal (float64 scores, legacy/single softmax, top-p "+1"), or the explicit `keep` set."""
    r = raster(feats)
    if keep is not None:
        return kept_override(keep, r.shape[0])
    return select(torch.from_numpy(r), torch.from_numpy(prompt.text), mode, top_p, rt.cfg.temp)["kept_idx"].numpy()


def assemble(feats: Features, prompt: Prompt, kept: np.ndarray, global_only: bool) -> np.ndarray:
    """assemble.ts: text before ++ G ++ (E[sep] ++ kept local rows, unless global only) ++ text after."""
    at = prompt.ids.index(IMAGE_TOKEN_INDEX)
    local = [] if global_only else [prompt.sep, raster(feats)[kept]]
    return np.concatenate([prompt.text[:at], feats.projector["global_tokens"], *local, prompt.text[at:]], axis=0)


class Decoder:
    """One KV cache over the decoder graph (past = the cached rows, as ort_pipeline.generate)."""

    def __init__(self, rt: OrtSlime) -> None:
        self.rt = rt
        self.sess = rt.s["decoder"]
        self.names = [i.name for i in self.sess.get_inputs()][2:]
        llm = rt.manifest["llm"]
        dt = np.float16 if llm["kv_dtype"] == "float16" else np.float32
        self.past = {n: np.zeros((1, llm["kv_heads"], 0, rt.head_dim), dt) for n in self.names}
        self.total = 0

    def step(self, rows: np.ndarray) -> np.ndarray:
        x = np.asarray(rows, np.float32)[None]
        self.total += x.shape[1]
        out = self.sess.run(None, {"inputs_embeds": x, "attention_mask": np.ones((1, self.total), np.int64), **self.past})
        self.past = dict(zip(self.names, out[1:]))
        return out[0][0, 0]


def greedy(rt: OrtSlime, rows: np.ndarray, max_new_tokens: int) -> tuple[list[int], np.ndarray]:
    """Greedy tokens (the stop id is not kept, as generate.ts) and the first step's logits."""
    dec = Decoder(rt)
    logits = dec.step(rows)
    first, tokens = logits, []
    for _ in range(max_new_tokens):
        tok = int(np.argmax(logits))
        if tok in rt.cfg.eos_ids:
            break
        tokens.append(tok)
        if len(tokens) == max_new_tokens or dec.total + 1 > rt.cfg.max_length:
            break
        logits = dec.step(rt.embed([tok]))
    return tokens, first


def decode_text(rt: OrtSlime, tokens: list[int]) -> str:
    """The answer text as the engine's StreamDecoder gives it (special tokens skipped, nothing stripped)."""
    return rt.tokenizer.decode(tokens, skip_special_tokens=True)


def first_step_margin(logits: np.ndarray) -> float:
    """firstStep.ts marginOf: softmax at temperature 1 (float64), top-1 minus top-2 probability."""
    x = np.asarray(logits, np.float64)
    p = np.exp(x - x.max())
    p /= p.sum()
    top = np.sort(p)[::-1]
    return float(top[0] - top[1]) if len(top) > 1 else 0.0


def mean_loglik(rt: OrtSlime, rows: np.ndarray, answer_ids: list[int]) -> float:
    """answer.ts meanLogLikelihood: teacher-forced mean log-probability of answer_ids after `rows`."""
    dec = Decoder(rt)
    logits = dec.step(rows)
    total = 0.0
    for k, tok in enumerate(answer_ids):
        x = np.asarray(logits, np.float64)
        m = x.max()
        total += float(x[tok] - m - np.log(np.exp(x - m).sum()))
        if k + 1 < len(answer_ids):
            logits = dec.step(rt.embed([tok]))
    return total / len(answer_ids)


def detail_score(rt: OrtSlime, feats: Features, question: str, answer: str) -> dict[str, float]:
    """answer.ts scoreAnswer: full vs global-only mean answer log-likelihood at the manifest's selector."""
    prompt = make_prompt(rt, feats, question)
    kept = kept_local(rt, feats, prompt, rt.cfg.selector_mode, rt.cfg.topp)
    ids = rt.tokenizer.encode(answer, add_special_tokens=False).ids
    if not ids:
        raise PromptError("prompt/empty", "The answer has no tokens")
    full = mean_loglik(rt, assemble(feats, prompt, kept, False), ids)
    glob = mean_loglik(rt, assemble(feats, prompt, kept, True), ids)
    return {"full": full, "global_only": glob, "detail": full - glob, "kept_local": int(len(kept))}


SWEEP_TOP_P = (0.5, 0.8, 0.95)


def _num(p: float) -> str:
    """A top-p as JavaScript prints it in a template string (0.5 → "0.5", 1 → "1")."""
    return str(int(p)) if float(p).is_integer() else repr(float(p))


def sweep_plan(mode: str, top_p: float) -> tuple[list[dict[str, Any]], str]:
    """sweep.ts sweepPlan (manifest mode only): global, p0.5, p0.8, p0.95 (+ p<top_p>), all; and the shipped id."""
    ps = sorted(set(SWEEP_TOP_P) | ({top_p} if top_p < 1 else set()))
    plan = [{"id": "global", "selector": {"mode": mode, "topP": 1, "keep": []}},
            *({"id": f"p{_num(p)}", "selector": {"mode": mode, "topP": p}} for p in ps),
            {"id": "all", "selector": {"mode": mode, "topP": 1}}]
    return plan, "all" if top_p >= 1 else f"p{_num(top_p)}"


def diverge_at(a: str, b: str) -> int | None:
    """sweep.ts divergeAt in UTF-16 code units (JavaScript string indices); None when equal."""
    if a == b:
        return None
    ua, ub = a.encode("utf-16-le"), b.encode("utf-16-le")
    i = 0
    while 2 * i + 1 < len(ua) and 2 * i + 1 < len(ub) and ua[2 * i:2 * i + 2] == ub[2 * i:2 * i + 2]:
        i += 1
    return i


def instability_of(settings: list[dict[str, Any]], shipped: str) -> float:
    others = [s for s in settings if s["id"] != shipped and ":" not in s["id"]]
    base = next((s for s in settings if s["id"] == shipped), None)
    if base is None or not others:
        return 0.0
    return sum(s["answer"] != base["answer"] for s in others) / len(others)


def ask(rt: OrtSlime, feats: Features, question: str, max_new_tokens: int, mode: str | None = None,
        top_p: float | None = None, keep: list[int] | None = None) -> dict[str, Any]:
    """answer.ts answer() at temperature 0: the answer text, token ids, kept count and first-step margin."""
    prompt = make_prompt(rt, feats, question)
    m = mode or rt.cfg.selector_mode
    kept = kept_local(rt, feats, prompt, m, rt.cfg.topp if top_p is None else top_p, keep)
    global_only = keep is not None and len(keep) == 0
    tokens, first = greedy(rt, assemble(feats, prompt, kept, global_only), max_new_tokens)
    return {"answer": decode_text(rt, tokens), "tokenIds": tokens, "keptLocal": 0 if global_only else int(len(kept)),
            "margin": first_step_margin(first)}


def run_sweep(rt: OrtSlime, feats: Features, question: str, max_new_tokens: int) -> dict[str, Any]:
    """sweep.ts sweep(): every setting of the plan, divergeAt against the shipped answer, instability, margin."""
    plan, shipped = sweep_plan(rt.cfg.selector_mode, rt.cfg.topp)
    ran = []
    for s in plan:
        sel = s["selector"]
        r = ask(rt, feats, question, max_new_tokens, sel["mode"], sel["topP"], sel.get("keep"))
        ran.append({"id": s["id"], "selector": sel, **r})
    base = next(s for s in ran if s["id"] == shipped)
    for s in ran:
        s["divergeAt"] = diverge_at(s["answer"], base["answer"])
    return {"shipped": shipped, "settings": ran, "instability": instability_of(ran, shipped), "margin": base["margin"]}
