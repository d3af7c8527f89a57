"""Load a released SliME HF folder (config.json, sharded safetensors + index, tokenizer files) into SlimeForCausalLM."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import torch
from safetensors import safe_open

from .config import ConfigError, SlimeConfig
from .model import SlimeForCausalLM

CLIP_PREFIX = "model.vision_tower.vision_tower.vision_model."
# released prefix → our prefix (first match wins; CLIP handled separately)
PREFIXES = [
    ("model.mm_projector.", "projector."),
    ("model.sampler.", "sampler."),
    ("lm_head.", "llm.lm_head."),
    ("model.", "llm.model."),
]
TOKENIZER_FILES = ("tokenizer.json", "tokenizer_config.json", "special_tokens_map.json")


class CheckpointError(ValueError):
    """A missing file/shard, unknown key or shape mismatch; the message names the file, key or tensor. `kind` names
    the failure for machines (`python -m models.export --progress-json`): not-a-checkpoint, missing-shard,
    missing-key, unknown-key, shape, unreadable, clip, tokenizer, checkpoint (anything else)."""

    def __init__(self, message: str, kind: str = "checkpoint") -> None:
        super().__init__(message)
        self.kind = kind


@dataclass
class Loaded:
    model: SlimeForCausalLM
    cfg: SlimeConfig
    tokenizer_files: dict[str, Path]
    source: dict[str, Any] = field(default_factory=dict)
    files: dict[str, Path] = field(default_factory=dict)


def released_key(ours: str) -> str:
    """Our state_dict key → the released checkpoint key."""
    if ours.startswith("vision.clip."):
        return CLIP_PREFIX + ours[len("vision.clip."):]
    for rel, our in PREFIXES:
        if ours.startswith(our):
            return rel + ours[len(our):]
    raise KeyError(ours)


def our_key(rel: str) -> str | None:
    for r, our in PREFIXES:
        if rel.startswith(r):
            return our + rel[len(r):]
    return None


def weight_files(folder: Path) -> dict[str, Path]:
    """tensor name → shard path, from model.safetensors.index.json or a single model.safetensors."""
    index = folder / "model.safetensors.index.json"
    if index.exists():
        wm = json.loads(index.read_text()).get("weight_map")
        if not isinstance(wm, dict) or not wm:
            raise CheckpointError(f"{index}: no weight_map", "not-a-checkpoint")
        out: dict[str, Path] = {}
        for key, shard in wm.items():
            p = folder / shard
            if not p.exists():
                raise CheckpointError(f"{index}: shard {shard!r} (holding {key!r}) is missing from {folder}", "missing-shard")
            out[key] = p
        return out
    single = folder / "model.safetensors"
    if single.exists():
        with safe_open(str(single), "pt") as f:
            return {k: single for k in f.keys()}
    raise CheckpointError(f"{folder}: no model.safetensors.index.json or model.safetensors", "not-a-checkpoint")


class TensorSource:
    """Lazy reader of tensors across shards."""

    def __init__(self, files: dict[str, Path]) -> None:
        self.files = files
        self._open: dict[Path, Any] = {}

    def _f(self, key: str) -> Any:
        p = self.files[key]
        if p not in self._open:
            self._open[p] = safe_open(str(p), "pt")
        return self._open[p]

    def shape(self, key: str) -> list[int]:
        return list(self._f(key).get_slice(key).get_shape())

    def get(self, key: str) -> torch.Tensor:
        try:
            return self._f(key).get_tensor(key)
        except Exception as e:  # noqa: BLE001 - re-raised with the file name
            raise CheckpointError(f"{self.files[key]}: cannot read tensor {key!r}: {e}", "unreadable") from e


class PickleSource(TensorSource):
    """Tensors of a `pytorch_model.bin` (openai/clip-vit-large-patch14-336 ships no safetensors), memory-mapped by
    torch.load (zip format; an old-format file is read whole)."""

    def __init__(self, path: Path) -> None:
        try:
            sd = torch.load(str(path), map_location="cpu", mmap=True, weights_only=True)
        except RuntimeError:
            sd = torch.load(str(path), map_location="cpu", weights_only=True)
        except Exception as e:  # noqa: BLE001 - re-raised naming the file
            raise CheckpointError(f"{path}: cannot read: {e}", "unreadable") from e
        self._sd = {k: v for k, v in sd.items() if isinstance(v, torch.Tensor)}
        super().__init__({k: path for k in self._sd})

    def shape(self, key: str) -> list[int]:
        return list(self._sd[key].shape)

    def get(self, key: str) -> torch.Tensor:
        return self._sd[key]


def clip_source(folder: Path) -> TensorSource:
    """A CLIP folder's tensors: safetensors (index or model.safetensors) or, failing that, pytorch_model.bin."""
    if not (folder / "model.safetensors.index.json").exists() and not (folder / "model.safetensors").exists():
        if (folder / "pytorch_model.bin").exists():
            return PickleSource(folder / "pytorch_model.bin")
        raise CheckpointError(f"{folder}: no model.safetensors or pytorch_model.bin (is this the CLIP folder?)", "clip")
    return TensorSource(weight_files(folder))


def _clip_dims_from_shapes(src: TensorSource, prefix: str) -> dict[str, Any]:
    keys = [k for k in src.files if k.startswith(prefix)]
    layer_ids = {int(m.group(1)) for k in keys if (m := re.match(re.escape(prefix) + r"encoder\.layers\.(\d+)\.", k))}
    if not layer_ids:
        raise CheckpointError(f"no CLIP encoder layers under {prefix!r}", "clip")
    pw = src.shape(prefix + "embeddings.patch_embedding.weight")
    npos = src.shape(prefix + "embeddings.position_embedding.weight")[0]
    hidden, patch = pw[0], pw[2]
    grid = round((npos - 1) ** 0.5)
    inter = src.shape(prefix + "encoder.layers.0.mlp.fc1.weight")[0]
    return {"image_size": grid * patch, "patch_size": patch, "vision_hidden": hidden, "vision_layers": len(layer_ids),
            "vision_heads": 16 if hidden == 1024 else max(1, hidden // 64), "vision_intermediate": inter}


def _clip_dims_from_config(path: Path) -> dict[str, Any]:
    if not path.exists():
        raise CheckpointError(f"CLIP folder: {path} not found", "clip")
    d = json.loads(path.read_text())
    v = d.get("vision_config", d)
    try:
        return {"image_size": v["image_size"], "patch_size": v["patch_size"], "vision_hidden": v["hidden_size"],
                "vision_layers": v["num_hidden_layers"], "vision_heads": v["num_attention_heads"],
                "vision_intermediate": v["intermediate_size"], "vision_act": v.get("hidden_act", "quick_gelu"),
                "layer_norm_eps": v.get("layer_norm_eps", 1e-5)}
    except KeyError as e:
        raise CheckpointError(f"{path}: missing CLIP vision key {e}", "clip") from e


def _clip_tensors(src: TensorSource, prefix: str) -> dict[str, str]:
    """our key → source key for a CLIP vision tower stored under prefix."""
    return {"vision.clip." + k[len(prefix):]: k for k in src.files if k.startswith(prefix)}


def _assign(model: SlimeForCausalLM, want: dict[str, tuple[TensorSource, str]], dtype: torch.dtype,
            optional: Callable[[str], bool], load: Callable[[str], bool] = lambda ours: True) -> None:
    """Check every shape (headers only), then assign the checkpoint tensors for which load(ours) holds (the model
    may live on the meta device)."""
    sd = model.state_dict()
    for ours, tensor in sd.items():
        if ours not in want:
            if optional(ours):
                continue
            raise CheckpointError(f"checkpoint lacks tensor {released_key(ours)!r} (needed for {ours})", "missing-key")
        src, key = want[ours]
        shape = src.shape(key)
        if list(tensor.shape) != shape:
            raise CheckpointError(
                f"{src.files[key].name}: tensor {key!r} has shape {shape}, expected {list(tensor.shape)} ({ours})", "shape")
    for ours, (src, key) in want.items():
        if ours in sd and load(ours):
            model.load_state_dict({ours: src.get(key).to(dtype)}, strict=False, assign=True)


def _materialize(model: SlimeForCausalLM, dtype: torch.dtype, include_llm: bool = True) -> None:
    """Give real values to what the checkpoint does not hold (non-persistent buffers, optional tensors)."""
    llm = model.llm
    rot = llm.model.rotary_emb
    if any(b.is_meta for b in rot.buffers()):
        llm.model.rotary_emb = type(rot)(config=llm.config)
    emb = model.vision.clip.embeddings
    if emb.position_ids.is_meta:
        emb.register_buffer("position_ids", torch.arange(emb.position_ids.shape[1])[None], persistent=False)
    defaults = {"projector.mean": torch.zeros(1), "projector.std": torch.ones(1)}
    for name, mod_name, attr in (("projector.mean", "projector", "mean"), ("projector.std", "projector", "std")):
        if getattr(model.projector, attr).is_meta:
            model.projector.register_buffer(attr, defaults[name])
    fill = {"w_noise": 0.0, "post_layernorm.weight": 1.0, "post_layernorm.bias": 0.0}
    for name, p in list(model.named_parameters()):
        if p.is_meta and (include_llm or not name.startswith("llm.")):
            key = next((k for k in fill if name.endswith(k)), None)
            if key is None:
                raise CheckpointError(f"no value for {name} after loading", "missing-key")
            mod = model.get_submodule(name.rsplit(".", 1)[0])
            setattr(mod, name.rsplit(".", 1)[1],
                    torch.nn.Parameter(torch.full(p.shape, fill[key], dtype=dtype), requires_grad=p.requires_grad))
    left = [n for n, t in list(model.named_parameters()) + list(model.named_buffers())
            if t.is_meta and (include_llm or not n.startswith("llm."))]
    if left:
        raise CheckpointError(f"no value for {left[:5]} after loading", "missing-key")


def load_checkpoint(folder: str | Path, clip: str | Path | None = None, use_checkpoint_clip: bool = False,
                    dtype: torch.dtype = torch.float32, log: Callable[[str], None] = print,
                    include_llm: bool = True) -> Loaded:
    """Build SlimeForCausalLM from a released-layout folder. CLIP weights come from `clip` (an HF CLIP folder) or,
    with use_checkpoint_clip, from the ignored `model.vision_tower.vision_tower.*` copy. Vocab = weight shape.
    include_llm=False checks every LLM key and shape but leaves the LLM on the meta device (the streaming exporter
    reads those tensors itself, one at a time); `Loaded.files` then maps released keys to shards."""
    folder = Path(folder)
    cfg_path = folder / "config.json"
    if not cfg_path.exists():
        raise CheckpointError(f"{cfg_path} not found", "not-a-checkpoint")
    raw_cfg = json.loads(cfg_path.read_text())
    src = TensorSource(weight_files(folder))
    for k in ("model.embed_tokens.weight", "lm_head.weight"):
        if k not in src.files:
            raise CheckpointError(f"{folder}: checkpoint lacks tensor {k!r}", "missing-key")
    vocab, hidden = src.shape("model.embed_tokens.weight")
    if src.shape("lm_head.weight") != [vocab, hidden]:
        raise CheckpointError(f"lm_head.weight has shape {src.shape('lm_head.weight')}, expected {[vocab, hidden]}", "shape")
    if raw_cfg.get("vocab_size") not in (None, vocab):
        log(f"config vocab_size {raw_cfg['vocab_size']} != embed_tokens rows {vocab}; using {vocab}")
    cfg = SlimeConfig.from_hf_config({**raw_cfg, "vocab_size": vocab}, str(cfg_path))
    clip_src: TensorSource | None = None
    clip_prefix = ""
    if clip is not None:
        clip = Path(clip)
        dims = _clip_dims_from_config(clip / "config.json")
        clip_src = clip_source(clip)
        clip_prefix = "vision_model." if any(k.startswith("vision_model.") for k in clip_src.files) else ""
    elif use_checkpoint_clip:
        if not any(k.startswith(CLIP_PREFIX) for k in src.files):
            raise CheckpointError(f"{folder}: no {CLIP_PREFIX}* tensors; pass a CLIP folder instead", "clip")
        clip_src, clip_prefix = src, CLIP_PREFIX
        dims = _clip_dims_from_shapes(src, CLIP_PREFIX)
    else:
        raise CheckpointError(
            f"{folder}: CLIP weights needed (official inference loads {cfg.vision_tower!r} from the hub): "
            "pass clip=DIR (--clip) or use_checkpoint_clip=True (--use-checkpoint-clip)", "clip")
    if "vision" in (raw_cfg.get("slime") or {}):
        vis = raw_cfg["slime"]["vision"]
        if vis.get("hidden") != dims["vision_hidden"] or vis.get("image_size") != dims["image_size"]:
            raise CheckpointError(f"{cfg_path}: slime.vision {vis} disagrees with the CLIP weights {dims}", "shape")
        if clip is None:
            dims.update(vision_heads=vis.get("heads", dims["vision_heads"]), vision_act=vis.get("act", "quick_gelu"),
                        layer_norm_eps=vis.get("layer_norm_eps", 1e-5))
    if not (raw_cfg.get("slime") or {}).get("name"):
        dims["name"] = folder.name
    try:
        cfg = cfg.replace(**dims)
    except ConfigError as e:
        raise CheckpointError(f"CLIP dimensions {dims}: {e}", "clip") from e
    log(f"building {cfg.name}: vocab {vocab}, hidden {cfg.hidden}, {cfg.layers} layers, CLIP {cfg.vision_hidden}"
        f"x{cfg.vision_kept_layers}/{cfg.vision_layers} layers, tile {cfg.image_size}")
    with torch.device("meta"):
        model = SlimeForCausalLM(cfg)
    want: dict[str, tuple[TensorSource, str]] = {}
    for k in src.files:
        if k.startswith("model.vision_tower."):
            continue
        ours = our_key(k)
        if ours is None:
            raise CheckpointError(f"{src.files[k].name}: unknown tensor {k!r}", "unknown-key")
        want[ours] = (src, k)
    assert clip_src is not None
    for ours, k in _clip_tensors(clip_src, clip_prefix).items():
        want[ours] = (clip_src, k)
    sd_keys = set(model.state_dict())
    unknown = [k for o, (_, k) in want.items() if o not in sd_keys and not _ignorable_clip(o, cfg)]
    if unknown:
        raise CheckpointError(f"unknown tensors (not part of SliME): {unknown[:8]}", "unknown-key")

    def optional(ours: str) -> bool:
        return ours.startswith("vision.clip.post_layernorm") or ours in ("projector.mean", "projector.std",
                                                                         "projector.w_noise")

    _assign(model, {o: v for o, v in want.items() if o in sd_keys}, dtype, optional,
            lambda ours: include_llm or not ours.startswith("llm."))
    _materialize(model, dtype, include_llm)
    files = {n: folder / n for n in TOKENIZER_FILES if (folder / n).exists()}
    if "tokenizer.json" not in files:
        raise CheckpointError(f"{folder}/tokenizer.json not found (the app needs the fast tokenizer file)", "tokenizer")
    n = len(want) if include_llm else sum(not o.startswith("llm.") for o in want)
    log(f"loaded {n} tensors from {folder}" + (f" and CLIP from {clip}" if clip else ""))
    return Loaded(model.eval(), cfg, files, {"checkpoint": str(folder), "clip": str(clip) if clip else None},
                  src.files)


def _ignorable_clip(ours: str, cfg: SlimeConfig) -> bool:
    """CLIP tensors the truncated tower does not need: layers past the select layer, post_layernorm, text tower."""
    if not ours.startswith("vision.clip."):
        return False
    rest = ours[len("vision.clip."):]
    m = re.match(r"encoder\.layers\.(\d+)\.", rest)
    if m:
        return int(m.group(1)) >= cfg.vision_kept_layers
    return rest.startswith(("post_layernorm", "text_model", "logit_scale", "visual_projection", "text_projection"))
