"""Prompt templates of spec §5 (llama3, vicuna_v1) and `<image>` chunk tokenization with first-chunk-only BOS."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

IMAGE_TOKEN = "<image>"
IMAGE_TOKEN_INDEX = -200
VICUNA_SYSTEM = (
    "A chat between a curious user and an artificial intelligence assistant. "
    "The assistant gives helpful, detailed, and polite answers to the user's questions."
)

Turn = tuple[str, str]


def _turns(turns: Sequence[Turn | dict[str, str]]) -> list[Turn]:
    out: list[Turn] = []
    for t in turns:
        role, text = (t["role"], t["content"]) if isinstance(t, dict) else t
        if role not in ("user", "assistant"):
            raise ValueError(f"build_prompt: unknown role {role!r} (user|assistant)")
        out.append((role, text))
    return out


def user_message(question: str, with_image: bool = True) -> str:
    """The user turn as the eval scripts build it: "<image>\\n" + question."""
    return f"{IMAGE_TOKEN}\n{question}" if with_image else question


def build_prompt(template: str, turns: Sequence[Turn | dict[str, str]], add_generation_prompt: bool = True) -> str:
    """Render finished turns (role, text) and, if the last turn is the user's, the assistant generation header."""
    ts = _turns(turns)
    if template == "llama3":
        s = "".join(f"<|start_header_id|>{r}<|end_header_id|>\n\n{m}<|eot_id|>" for r, m in ts)
        if add_generation_prompt and (not ts or ts[-1][0] == "user"):
            s += "<|start_header_id|>assistant<|end_header_id|>\n\n"
        return s
    if template == "vicuna_v1":
        s = VICUNA_SYSTEM + " "
        for r, m in ts:
            s += ("USER: " + m + " ") if r == "user" else ("ASSISTANT: " + m + "</s>")
        if add_generation_prompt and (not ts or ts[-1][0] == "user"):
            s += "ASSISTANT:"
        return s
    raise ValueError(f"build_prompt: unknown template {template!r} (llama3|vicuna_v1)")


def _encode(tokenizer: Any, text: str) -> list[int]:
    enc = tokenizer.encode(text, add_special_tokens=True)
    return list(enc.ids) if hasattr(enc, "ids") else list(enc)


def default_bos_id(tokenizer: Any) -> int | None:
    """The BOS id of a `tokenizers.Tokenizer` (`<|begin_of_text|>` or `<s>`), or None."""
    for tok in ("<|begin_of_text|>", "<s>"):
        i = tokenizer.token_to_id(tok) if hasattr(tokenizer, "token_to_id") else None
        if i is not None:
            return int(i)
    return None


def tokenize_with_image(prompt: str, tokenizer: Any, bos_id: int | None = None) -> list[int]:
    """LLaVA's tokenizer_image_token: split on `<image>`, tokenize every chunk with the tokenizer's own
    post-processor, join with -200. If the first chunk starts with BOS, keep that one BOS and strip the first
    token of every chunk (so BOS appears exactly when the tokenizer adds it, and only once)."""
    if bos_id is None:
        bos_id = default_bos_id(tokenizer)
    chunks = [_encode(tokenizer, c) for c in prompt.split(IMAGE_TOKEN)]
    offset = 0
    ids: list[int] = []
    if chunks and chunks[0] and bos_id is not None and chunks[0][0] == bos_id:
        offset = 1
        ids.append(chunks[0][0])
    for i, chunk in enumerate(chunks):
        if i > 0:
            ids.append(IMAGE_TOKEN_INDEX)
        ids.extend(chunk[offset:])
    return ids
