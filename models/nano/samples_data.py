"""Training/eval samples for SliME-Nano: scene caches with frozen-encoder features, multi-turn llama3 conversations.

Conversations are tokenized turn by turn exactly as inference tokenizes a prompt (the user chunk through the
assistant header, then the answer and `<|eot_id|>`), so the "\\n\\n" before an answer is the same token at
training and at inference time.
"""

from __future__ import annotations

import hashlib
import os
import random
from dataclasses import dataclass
from pathlib import Path

import torch
from tokenizers import Tokenizer

from models.nano import data
from models.slime.config import SlimeConfig
from models.slime.preprocess import process_image
from models.slime.template import build_prompt, tokenize_with_image, user_message

HEADER_USER = "<|start_header_id|>user<|end_header_id|>\n\n"


@dataclass
class CachedScene:
    """A scene's questions with its frozen-encoder features (fp16 [1+N, P, Dv]) and grid."""

    scene: data.Scene
    feats: torch.Tensor
    grid: tuple[int, int]


def prompt_ids(tok: Tokenizer, question: str) -> list[int]:
    """Inference prompt ids (with the -200 image placeholder) for one question."""
    return tokenize_with_image(build_prompt("llama3", [("user", user_message(question))]), tok)


def _answer_ids(tok: Tokenizer, answer: str, eot: int) -> list[int]:
    return tok.encode(answer, add_special_tokens=False).ids + [eot]


def conversation(tok: Tokenizer, eot: int, qa: list[tuple[str, str]]) -> tuple[torch.Tensor, torch.Tensor]:
    """Multi-turn ids/labels. Turn 1 carries the image placeholder;
    labels are -100 except on answers and their `<|eot_id|>`."""
    ids: list[int] = []
    labels: list[int] = []
    for k, (q, a) in enumerate(qa):
        if k == 0:
            p = prompt_ids(tok, q)
        else:
            p = tok.encode(build_prompt("llama3", [("user", q)]), add_special_tokens=False).ids
        ans = _answer_ids(tok, a, eot)
        ids += p + ans
        labels += [-100] * len(p) + ans
    return torch.tensor(ids), torch.tensor(labels)


@torch.no_grad()
def cache_scenes(model: torch.nn.Module, cfg: SlimeConfig, split: str, start: int, count: int,
                 log_every: int = 0, store: Path | None = None, sizes: tuple[int, int] | None = None
                 ) -> list[CachedScene]:
    """Generate scenes ``start..start+count`` of ``split`` and run the (frozen) vision encoder once.
    ``store``: a file under which the features are kept, named by a digest of the vision weights and the scene
    range, so that later runs (the comparison schedules, evaluation) load them instead of re-encoding. ``sizes``:
    the objects' side range (data.make_scene), default the split's; it is part of the file's name."""
    key = None
    if store is not None:
        h = hashlib.sha256(f"{split}/{start}/{count}/{cfg.image_size}".encode())
        if sizes is not None:
            h.update(f"/sizes={sizes[0]},{sizes[1]}".encode())
        for name, t in sorted(model.vision.state_dict().items()):
            h.update(name.encode())
            h.update(t.detach().float().numpy().tobytes())
        key = store.with_name(f"{store.stem}-{h.hexdigest()[:12]}.pt")
        if key.exists():
            saved = torch.load(key, weights_only=True)
            return [CachedScene(data.make_scene(split, i, cfg.image_size, sizes=sizes), f, (int(g[0]), int(g[1])))
                    for i, f, g in zip(range(start, start + count), saved["feats"], saved["grids"])]
    out = []
    for i in range(start, start + count):
        scene = data.make_scene(split, i, cfg.image_size, sizes=sizes)
        pix, grid = process_image(scene.image, cfg)
        feats = model.vision(pix).to(torch.float16)
        out.append(CachedScene(scene, feats, grid))
        if log_every and (i - start + 1) % log_every == 0:
            print(f"  cached {i - start + 1}/{count} {split} scenes", flush=True)
    if key is not None:
        key.parent.mkdir(parents=True, exist_ok=True)
        tmp = key.with_name(f"{key.name}.{os.getpid()}.tmp")  # another process may be reading or writing it
        torch.save({"feats": [c.feats for c in out], "grids": [list(c.grid) for c in out]}, tmp)
        os.replace(tmp, key)
    return out


def scene_batch(tok: Tokenizer, eot: int, items: list[CachedScene], rng: random.Random) -> dict[str, list]:
    """A batch for SlimeForCausalLM.forward with cached features as `pixel_values` (see use_cached_features)."""
    ids, labels, feats, grids = [], [], [], []
    for c in items:
        qa = [(q.question, q.answer) for q in c.scene.questions]
        rng.shuffle(qa)
        i, lab = conversation(tok, eot, qa)
        ids.append(i)
        labels.append(lab)
        feats.append(c.feats.float())
        grids.append(c.grid)
    return {"input_ids": ids, "labels": labels, "pixel_values": feats, "grids": grids}


def use_cached_features(model: torch.nn.Module) -> None:
    """Make `model` treat `pixel_values` as precomputed vision features (the encoder is frozen after stage 0).
    Instance-level override only: the module's weights and export path are unchanged."""
    model.encode_views = lambda x: x.float()  # type: ignore[method-assign]
