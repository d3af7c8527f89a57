"""Test helper: write a manifest-v1 folder the way the v1 exporter did (traced KVDecoder with position_ids)."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import torch
from torch import nn

from models.slime.decoder import KVDecoder


class _V1Decoder(nn.Module):
    def __init__(self, llm: nn.Module) -> None:
        super().__init__()
        self.dec = KVDecoder(llm)

    def forward(self, inputs_embeds: torch.Tensor, attention_mask: torch.Tensor, position_ids: torch.Tensor,
                *flat: torch.Tensor) -> tuple[torch.Tensor, ...]:
        past = [(flat[2 * i], flat[2 * i + 1]) for i in range(len(flat) // 2)]
        logits, presents = self.dec(inputs_embeds, attention_mask, position_ids, past)
        return (logits, *[t for kv in presents for t in kv])


class _V1Embed(nn.Module):
    def __init__(self, llm: nn.Module) -> None:
        super().__init__()
        self.embed = llm.get_input_embeddings()

    def forward(self, input_ids: torch.Tensor) -> torch.Tensor:
        return self.embed(input_ids)


def write_v1(model: nn.Module, out: Path) -> Path:
    """decoder.onnx + embed_tokens.onnx + a v1 manifest (graphs the upgrader reads; no vision graphs needed)."""
    cfg = model.cfg
    out.mkdir(parents=True, exist_ok=True)
    n = cfg.layers
    past = [torch.randn(1, cfg.kv_heads, 2, cfg.head_dim) for _ in range(2 * n)]
    names = [f"past_key_values.{i}.{k}" for i in range(n) for k in ("key", "value")]
    pres = [f"present.{i}.{k}" for i in range(n) for k in ("key", "value")]
    axes = {"inputs_embeds": {1: "seq"}, "attention_mask": {1: "total"}, "position_ids": {1: "seq"},
            **{p: {2: "past"} for p in names}, **{p: {2: "total"} for p in pres}}
    with warnings.catch_warnings(), torch.no_grad():
        warnings.simplefilter("ignore")
        torch.onnx.export(_V1Decoder(model.llm).eval(), (torch.randn(1, 3, cfg.hidden), torch.ones(1, 5, dtype=torch.long),
                          torch.arange(2, 5)[None], *past), str(out / "decoder.onnx"),
                          input_names=["inputs_embeds", "attention_mask", "position_ids", *names],
                          output_names=["logits", *pres], dynamic_axes=axes, opset_version=17, dynamo=False)
        torch.onnx.export(_V1Embed(model.llm).eval(), (torch.tensor([[1, 2]]),), str(out / "embed_tokens.onnx"),
                          input_names=["input_ids"], output_names=["embeds"], dynamic_axes={"input_ids": {1: "t"}},
                          opset_version=17, dynamo=False)
    llm = {"hidden": cfg.hidden, "layers": n, "heads": cfg.heads, "kv_heads": cfg.kv_heads, "head_dim": cfg.head_dim,
           "vocab_size": cfg.vocab_size, "max_length": cfg.max_length}
    graphs = {g: {"file": f"{g}.onnx", "external_data": []} for g in ("embed_tokens", "decoder")}
    (out / "manifest.json").write_text(json.dumps({"version": 1, "dtype": "fp32", "llm": llm, "graphs": graphs,
                                                   "tokenizer": {"file": "tokenizer.json"}, "source": {}}))
    return out
