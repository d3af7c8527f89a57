"""SlimeConfig: every dimension and switch of a SliME model (released or small), plus HF config.json I/O."""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from typing import Any

CLIP_MEAN = (0.48145466, 0.4578275, 0.40821073)
CLIP_STD = (0.26862954, 0.26130258, 0.27577711)
TEMPLATES = ("llama3", "vicuna_v1")
SELECTOR_MODES = ("legacy", "single")
LOCAL_MODES = ("compressed", "uncompressed")


class ConfigError(ValueError):
    """An unknown, unsupported or inconsistent configuration value (the message names the key)."""


@dataclass
class SlimeConfig:
    """All shapes and switches of SliME. Defaults are the released SliME-Llama3-8B values (spec §1, §3)."""

    name: str = "SliME"
    # vision tower (HF CLIPVisionModel, truncated at select_layer, CLS dropped)
    image_size: int = 336
    patch_size: int = 14
    vision_hidden: int = 1024
    vision_layers: int = 24
    vision_heads: int = 16
    vision_intermediate: int = 4096
    vision_act: str = "quick_gelu"
    select_layer: int = -2
    layer_norm_eps: float = 1e-5
    vision_tower: str = "openai/clip-vit-large-patch14-336"
    # projector / local compressor
    local_queries: int = 144
    resampler_heads: int = 0  # 0 = max(1, vision_hidden // 128)
    resampler_eps: float = 1e-6
    # LLM (HF LlamaForCausalLM)
    vocab_size: int = 128257
    hidden: int = 4096
    layers: int = 32
    heads: int = 32
    kv_heads: int = 8
    intermediate: int = 14336
    rope_theta: float = 500000.0
    rms_eps: float = 1e-5
    max_position: int = 8192
    # selector
    selector_mode: str = "legacy"
    topp: float = 0.95
    temp: float = 1.0
    # prompt side
    separator_id: int = 11
    template: str = "llama3"
    bos_id: int = 128000
    eos_ids: list[int] = field(default_factory=lambda: [128009, 128001])
    pad_id: int = 128256
    max_length: int = 2048
    # preprocessing
    image_mean: tuple[float, float, float] = CLIP_MEAN
    image_std: tuple[float, float, float] = CLIP_STD
    max_tiles: int = 7
    # training-time switches (spec §6.1); inference of released models uses the defaults
    learnable_gated: int = -1
    use_global_only: bool = False
    use_local_only: bool = False
    local_mode: str = "compressed"

    def __post_init__(self) -> None:
        self.eos_ids = list(self.eos_ids)
        self.image_mean = tuple(float(x) for x in self.image_mean)  # type: ignore[assignment]
        self.image_std = tuple(float(x) for x in self.image_std)  # type: ignore[assignment]
        self.validate()

    # ---- derived sizes -------------------------------------------------------------------------
    @property
    def patch_grid(self) -> int:
        return self.image_size // self.patch_size

    @property
    def patch_tokens(self) -> int:
        return self.patch_grid**2

    @property
    def global_queries(self) -> int:
        return self.patch_tokens

    @property
    def local_grid(self) -> int:
        return math.isqrt(self.local_queries)

    @property
    def n_resampler_heads(self) -> int:
        return self.resampler_heads if self.resampler_heads > 0 else max(1, self.vision_hidden // 128)

    @property
    def head_dim(self) -> int:
        return self.hidden // self.heads

    @property
    def vision_kept_layers(self) -> int:
        """Encoder layers actually run: hidden_states[select_layer] is the output of this many layers."""
        n = self.vision_layers + 1 + self.select_layer if self.select_layer < 0 else self.select_layer
        return n

    def validate(self) -> None:
        def bad(key: str, why: str) -> ConfigError:
            return ConfigError(f"SlimeConfig.{key}={getattr(self, key)!r}: {why}")

        if self.image_size % self.patch_size:
            raise bad("image_size", f"must be a multiple of patch_size {self.patch_size}")
        if math.isqrt(self.local_queries) ** 2 != self.local_queries:
            raise bad("local_queries", "must be a perfect square")
        if self.vision_hidden % 4:
            raise bad("vision_hidden", "must be divisible by 4 (2-D sin-cos table)")
        if self.vision_hidden % self.n_resampler_heads:
            raise bad("resampler_heads", f"must divide vision_hidden {self.vision_hidden}")
        if self.hidden % self.heads or self.heads % self.kv_heads:
            raise bad("heads", f"hidden {self.hidden} / heads / kv_heads {self.kv_heads} do not divide")
        if not 1 <= self.vision_kept_layers <= self.vision_layers:
            raise bad("select_layer", f"out of range for {self.vision_layers} layers")
        if self.template not in TEMPLATES:
            raise bad("template", f"expected one of {TEMPLATES}")
        if self.selector_mode not in SELECTOR_MODES:
            raise bad("selector_mode", f"expected one of {SELECTOR_MODES}")
        if self.local_mode not in LOCAL_MODES:
            raise bad("local_mode", f"expected one of {LOCAL_MODES}")
        if self.learnable_gated not in (-1, 0, 1):
            raise bad("learnable_gated", "expected -1, 0 or 1")
        if self.max_tiles < 2:
            raise bad("max_tiles", "must be >= 2")
        if not 0 <= self.separator_id < self.vocab_size:
            raise bad("separator_id", f"outside vocabulary of {self.vocab_size}")

    def replace(self, **changes: Any) -> "SlimeConfig":
        return dataclasses.replace(self, **changes)

    def to_dict(self) -> dict[str, Any]:
        d = dataclasses.asdict(self)
        d["image_mean"], d["image_std"] = list(self.image_mean), list(self.image_std)
        return d

    # ---- HF config.json (spec §3) --------------------------------------------------------------
    def to_hf_config(self) -> dict[str, Any]:
        """The released `config.json` keys (LlavaLlamaForCausalLM) plus a `slime` block for non-CLIP-L towers."""
        g = self.image_size
        return {
            "architectures": ["LlavaLlamaForCausalLM"],
            "model_type": "llava_llama",
            "hidden_size": self.hidden,
            "intermediate_size": self.intermediate,
            "num_hidden_layers": self.layers,
            "num_attention_heads": self.heads,
            "num_key_value_heads": self.kv_heads,
            "hidden_act": "silu",
            "rope_theta": self.rope_theta,
            "rope_scaling": None,
            "rms_norm_eps": self.rms_eps,
            "max_position_embeddings": self.max_position,
            "vocab_size": self.vocab_size,
            "bos_token_id": self.bos_id,
            "eos_token_id": self.eos_ids[0],
            "pad_token_id": self.pad_id,
            "tie_word_embeddings": False,
            "attention_bias": False,
            "torch_dtype": "float32",
            "mm_vision_tower": self.vision_tower,
            "mm_vision_select_layer": self.select_layer,
            "mm_vision_select_feature": "patch",
            "mm_hidden_size": self.vision_hidden,
            "mm_projector_type": "gated",
            "mm_learnable_gated": self.learnable_gated,
            "mm_resampler_type": "cosine",
            "mm_resampler_dim": self.local_queries,
            "mm_resampler_topp": self.topp,
            "mm_resampler_temp": self.temp,
            "mm_patch_merge_type": "spatial",
            "image_aspect_ratio": "anyres",
            "image_grid_pinpoints": [[2 * g, 2 * g], [g, 2 * g], [2 * g, g], [g, 3 * g], [3 * g, g], [g, 4 * g], [4 * g, g]],
            "seperator": self.separator_id,
            "use_global_only": self.use_global_only,
            "use_local_only": self.use_local_only,
            "mm_use_im_start_end": False,
            "mm_use_im_patch_token": False,
            "tokenizer_model_max_length": self.max_length,
            "tokenizer_padding_side": "right",
            "slime": {
                "name": self.name,
                "template": self.template,
                "selector_mode": self.selector_mode,
                "eos_ids": self.eos_ids,
                "max_tiles": self.max_tiles,
                "local_mode": self.local_mode,
                "resampler_heads": self.resampler_heads,
                "vision": {
                    "image_size": self.image_size, "patch_size": self.patch_size, "hidden": self.vision_hidden,
                    "layers": self.vision_layers, "heads": self.vision_heads,
                    "intermediate": self.vision_intermediate, "act": self.vision_act,
                    "layer_norm_eps": self.layer_norm_eps,
                    "mean": list(self.image_mean), "std": list(self.image_std),
                },
            },
        }

    @classmethod
    def from_hf_config(cls, d: dict[str, Any], source: str = "config.json") -> "SlimeConfig":
        """Read a released SliME `config.json`. Unsupported values raise ConfigError naming file and key."""

        def expect(key: str, allowed: tuple[Any, ...], default: Any) -> Any:
            v = d.get(key, default)
            if v not in allowed:
                raise ConfigError(f"{source}: unsupported {key}={v!r} (supported: {list(allowed)})")
            return v

        def need(key: str) -> Any:
            if key not in d:
                raise ConfigError(f"{source}: missing required key {key!r}")
            return d[key]

        expect("model_type", ("llava_llama", "llava", "slime"), "llava_llama")
        expect("mm_projector_type", ("gated",), "gated")
        expect("mm_resampler_type", ("cosine",), "cosine")
        expect("mm_vision_select_feature", ("patch",), "patch")
        expect("mm_patch_merge_type", ("spatial",), "spatial")
        expect("image_aspect_ratio", ("anyres",), "anyres")
        expect("mm_use_im_start_end", (False, None), False)
        if d.get("rope_scaling") not in (None, {}):
            raise ConfigError(f"{source}: unsupported rope_scaling={d['rope_scaling']!r} (only null)")
        extra = d.get("slime") or {}
        vis = extra.get("vision") or {}
        rope_theta = d.get("rope_theta")
        if rope_theta is None:
            rope_theta = (d.get("rope_parameters") or {}).get("rope_theta", 10000.0)
        vocab = int(need("vocab_size"))
        bos = int(d.get("bos_token_id", 1))
        eos = d.get("eos_token_id", 2)
        eos_list = [int(x) for x in (eos if isinstance(eos, list) else [eos])]
        template = extra.get("template") or ("llama3" if vocab > 100000 else "vicuna_v1")
        if template == "llama3" and 128001 not in eos_list and vocab > 128001 and "eos_ids" not in extra:
            eos_list.append(128001)
        pad = d.get("pad_token_id")
        default_sep = 11 if template == "llama3" else 1919
        heads = int(need("num_attention_heads"))
        try:
            return cls(
                name=extra.get("name", d.get("_name_or_path", "SliME")) or "SliME",
                image_size=int(vis.get("image_size", 336)),
                patch_size=int(vis.get("patch_size", 14)),
                vision_hidden=int(d.get("mm_hidden_size", vis.get("hidden", 1024))),
                vision_layers=int(vis.get("layers", 24)),
                vision_heads=int(vis.get("heads", 16)),
                vision_intermediate=int(vis.get("intermediate", 4096)),
                vision_act=vis.get("act", "quick_gelu"),
                layer_norm_eps=float(vis.get("layer_norm_eps", 1e-5)),
                select_layer=int(d.get("mm_vision_select_layer", -2)),
                vision_tower=d.get("mm_vision_tower", "openai/clip-vit-large-patch14-336"),
                local_queries=int(d.get("mm_resampler_dim", 144)),
                resampler_heads=int(extra.get("resampler_heads", 0)),
                vocab_size=vocab,
                hidden=int(need("hidden_size")),
                layers=int(need("num_hidden_layers")),
                heads=heads,
                kv_heads=int(d.get("num_key_value_heads") or heads),
                intermediate=int(need("intermediate_size")),
                rope_theta=float(rope_theta),
                rms_eps=float(d.get("rms_norm_eps", 1e-5)),
                max_position=int(d.get("max_position_embeddings", 4096)),
                selector_mode=extra.get("selector_mode", "legacy"),
                topp=float(d.get("mm_resampler_topp", 1.0)),
                temp=float(d.get("mm_resampler_temp", 1.0)),
                separator_id=int(d.get("seperator", default_sep)),
                template=template,
                bos_id=bos,
                eos_ids=[int(x) for x in extra.get("eos_ids", eos_list)],
                pad_id=int(pad) if pad is not None else (0 if template == "vicuna_v1" else -1),
                max_length=int(d.get("tokenizer_model_max_length") or 2048),
                image_mean=tuple(vis.get("mean", CLIP_MEAN)),
                image_std=tuple(vis.get("std", CLIP_STD)),
                max_tiles=int(extra.get("max_tiles", 7)),
                learnable_gated=int(d.get("mm_learnable_gated", -1)),
                use_global_only=bool(d.get("use_global_only", False)),
                use_local_only=bool(d.get("use_local_only", False)),
                local_mode=extra.get("local_mode", "compressed"),
            )
        except ConfigError as e:
            raise ConfigError(f"{source}: {e}") from e

    # ---- presets ------------------------------------------------------------------------------
    @classmethod
    def llama3_8b(cls) -> "SlimeConfig":
        """SliME-Llama3-8B (released config)."""
        return cls(name="SliME-Llama3-8B")

    @classmethod
    def vicuna_7b(cls) -> "SlimeConfig":
        """SliME-vicuna-7B (released config; top-p 1.0 keeps every local token)."""
        return cls(
            name="SliME-vicuna-7B", vocab_size=32000, kv_heads=32, intermediate=11008, rope_theta=10000.0,
            max_position=4096, topp=1.0, separator_id=1919, template="vicuna_v1", bos_id=1, eos_ids=[2], pad_id=0,
        )

    @classmethod
    def tiny(cls, template: str = "llama3", vocab_size: int = 384, **over: Any) -> "SlimeConfig":
        """A few-KB model for unit tests: 32px tiles of 8px patches (16 patch tokens), 4 local queries."""
        base: dict[str, Any] = dict(
            name=f"SliME-tiny-{template}", image_size=32, patch_size=8, vision_hidden=32, vision_layers=3,
            vision_heads=2, vision_intermediate=64, local_queries=4, vocab_size=vocab_size, hidden=64, layers=2,
            heads=4, kv_heads=2 if template == "llama3" else 4, intermediate=128,
            rope_theta=500000.0 if template == "llama3" else 10000.0, max_position=512, topp=0.95,
            separator_id=5, template=template, bos_id=0, eos_ids=[1], pad_id=2, max_length=256,
        )
        base.update(over)
        return cls(**base)
