"""Tiny random SliME checkpoints written in exactly the released HF layout (for tests and fixtures)."""

from __future__ import annotations

import json
from pathlib import Path

import torch
from safetensors.torch import save_file

from .checkpoint import CLIP_PREFIX, released_key
from .config import SlimeConfig
from .model import SlimeForCausalLM
from .tokenizer_tools import DEFAULT_CORPUS, special_ids, train_bpe_tokenizer


def tiny_config(style: str = "llama3", vocab_size: int = 384, **over: object) -> tuple[SlimeConfig, object]:
    """A tiny config whose special ids come from a freshly trained tokenizer. Llama-3 style gets an extra
    pad row (vocab = tokenizer size + 1, pad = last row), like the released 128257-row checkpoint."""
    tok_style = "llama3" if style == "llama3" else "vicuna"
    tok = train_bpe_tokenizer(DEFAULT_CORPUS, vocab_size, tok_style)
    ids = special_ids(tok, tok_style)
    n = tok.get_vocab_size()
    if style == "llama3":
        base = dict(vocab_size=n + 1, bos_id=ids["bos"], eos_ids=[ids["eos"], ids["eos2"]], pad_id=n,
                    separator_id=ids["separator"])
    else:
        base = dict(vocab_size=n, bos_id=ids["bos"], eos_ids=[ids["eos"]], pad_id=ids["pad"],
                    separator_id=ids["separator"], topp=1.0, vision_heads=1)
    base.update(over)
    return SlimeConfig.tiny("llama3" if style == "llama3" else "vicuna_v1", **base), tok


def randomize(model: SlimeForCausalLM, seed: int) -> SlimeForCausalLM:
    """Give the zero/one-initialized parts (router, LayerNorm affine, biases) random values so every path matters."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, p in model.named_parameters():
            if name.endswith("w_gate"):
                p.copy_(torch.randn(p.shape, generator=g) * 0.5)
            elif ("ln_" in name or "norm" in name) and p.dim() == 1:
                p.add_(torch.randn(p.shape, generator=g) * 0.1)
            elif name.endswith(".bias"):
                p.copy_(torch.randn(p.shape, generator=g) * 0.02)
    return model


def released_state_dict(model: SlimeForCausalLM, full_clip_layers: int, seed: int = 0) -> dict[str, torch.Tensor]:
    """state_dict under the released key names, with the CLIP copy padded to its full depth (+ post_layernorm)."""
    out = {released_key(k): v.detach().clone().contiguous() for k, v in model.state_dict().items()}
    g = torch.Generator().manual_seed(seed + 99)
    kept = model.cfg.vision_kept_layers
    for i in range(kept, full_clip_layers):
        for k, v in list(out.items()):
            if k.startswith(f"{CLIP_PREFIX}encoder.layers.0."):
                out[k.replace(".layers.0.", f".layers.{i}.")] = torch.randn(v.shape, generator=g) * 0.02
    return out


def write_shards(sd: dict[str, torch.Tensor], folder: Path, n_shards: int) -> None:
    keys = sorted(sd)
    names = [f"model-{i + 1:05d}-of-{n_shards:05d}.safetensors" for i in range(n_shards)]
    weight_map: dict[str, str] = {}
    for i, name in enumerate(names):
        part = {k: sd[k] for j, k in enumerate(keys) if j % n_shards == i}
        save_file(part, str(folder / name), metadata={"format": "pt"})
        weight_map.update({k: name for k in part})
    total = sum(v.numel() * v.element_size() for v in sd.values())
    index = {"metadata": {"total_size": total}, "weight_map": weight_map}
    (folder / "model.safetensors.index.json").write_text(json.dumps(index, indent=2))


def write_tiny_checkpoint(folder: str | Path, style: str = "llama3", seed: int = 0, n_shards: int = 2,
                          clip_dir: str | Path | None = None, **over: object) -> SlimeForCausalLM:
    """Write a random tiny SliME in the released layout: config.json (SliME keys), sharded safetensors + index,
    tokenizer.json/tokenizer_config.json, the CLIP copy under model.vision_tower.vision_tower.*. Llama-3 style
    keeps a `slime` block in config.json (template etc.); Vicuna style is a plain released config. With
    clip_dir, also writes an HF CLIP vision folder (config.json + model.safetensors) holding the same tower."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    cfg, tok = tiny_config(style, **over)  # type: ignore[arg-type]
    torch.manual_seed(seed)
    model = randomize(SlimeForCausalLM(cfg), seed).eval()
    sd = released_state_dict(model, cfg.vision_layers, seed)
    write_shards(sd, folder, n_shards)
    hf = cfg.to_hf_config()
    if style != "llama3":
        del hf["slime"]
    (folder / "config.json").write_text(json.dumps(hf, indent=2))
    tok.save(str(folder / "tokenizer.json"))  # type: ignore[attr-defined]
    bos = "<|begin_of_text|>" if style == "llama3" else "<s>"
    (folder / "tokenizer_config.json").write_text(json.dumps({"bos_token": bos, "model_max_length": cfg.max_length}))
    if clip_dir is not None:
        clip_dir = Path(clip_dir)
        clip_dir.mkdir(parents=True, exist_ok=True)
        vis = {"vision_model." + k[len(CLIP_PREFIX):]: v for k, v in sd.items() if k.startswith(CLIP_PREFIX)}
        save_file(vis, str(clip_dir / "model.safetensors"))
        (clip_dir / "config.json").write_text(json.dumps({
            "model_type": "clip_vision_model", "hidden_size": cfg.vision_hidden,
            "intermediate_size": cfg.vision_intermediate, "num_hidden_layers": cfg.vision_layers,
            "num_attention_heads": cfg.vision_heads, "image_size": cfg.image_size, "patch_size": cfg.patch_size,
            "hidden_act": cfg.vision_act, "layer_norm_eps": cfg.layer_norm_eps}))
    return model
