"""SlimeForCausalLM: vision tower, global mixture of adapters, local compressor, selector, assembly, LLaMA, greedy decoding."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn
from transformers import LlamaConfig, LlamaForCausalLM

from . import selector as sel
from .config import SlimeConfig
from .decoder import KVDecoder
from .projector import GatedProjector, LocalSampler
from .template import IMAGE_TOKEN_INDEX
from .vision import SlimeVision

OPTION_KEYS = (
    "mode", "topp", "temp", "noise_std", "router_noise", "learnable_gated", "use_global_only", "use_local_only",
    "local_mode", "selector_text_ids",
)


def llama_config(cfg: SlimeConfig) -> LlamaConfig:
    return LlamaConfig(
        vocab_size=cfg.vocab_size, hidden_size=cfg.hidden, intermediate_size=cfg.intermediate,
        num_hidden_layers=cfg.layers, num_attention_heads=cfg.heads, num_key_value_heads=cfg.kv_heads,
        rope_theta=cfg.rope_theta, rms_norm_eps=cfg.rms_eps, max_position_embeddings=cfg.max_position,
        bos_token_id=cfg.bos_id, eos_token_id=cfg.eos_ids[0],
        pad_token_id=cfg.pad_id if 0 <= cfg.pad_id < cfg.vocab_size else None,
        tie_word_embeddings=False, attention_bias=False, hidden_act="silu",
    )


class SlimeForCausalLM(nn.Module):
    """SliME. Submodules map to the released state_dict by prefix (see checkpoint.PREFIXES):
    vision (CLIP), projector (mm_projector), sampler (sampler), llm (LlamaForCausalLM: model.* and lm_head)."""

    def __init__(self, cfg: SlimeConfig) -> None:
        super().__init__()
        self.cfg = cfg
        self.vision = SlimeVision(cfg)
        self.projector = GatedProjector(cfg)
        self.sampler = LocalSampler(cfg)
        self.llm = LlamaForCausalLM(llama_config(cfg))

    # ---- pieces ------------------------------------------------------------------------------
    def options(self, **over: Any) -> dict[str, Any]:
        """Effective pipeline options: config defaults (inference) overridden by keyword arguments."""
        unknown = set(over) - set(OPTION_KEYS)
        if unknown:
            raise TypeError(f"unknown SliME options {sorted(unknown)} (known: {OPTION_KEYS})")
        c = self.cfg
        o: dict[str, Any] = dict(
            mode=c.selector_mode, topp=c.topp, temp=c.temp, noise_std=0.0, router_noise=False,
            learnable_gated=c.learnable_gated, use_global_only=c.use_global_only, use_local_only=c.use_local_only,
            local_mode=c.local_mode, selector_text_ids=None,
        )
        o.update({k: v for k, v in over.items() if v is not None or k == "selector_text_ids"})
        return o

    def embed(self, ids: torch.Tensor) -> torch.Tensor:
        return self.llm.get_input_embeddings()(ids)

    def encode_views(self, pixel_values: torch.Tensor) -> torch.Tensor:
        """[V, 3, T, T] → [V, P, Dv]. Runs without grad when the vision tower is frozen."""
        if any(p.requires_grad for p in self.vision.parameters()) and torch.is_grad_enabled():
            return self.vision(pixel_values)
        with torch.no_grad():
            return self.vision(pixel_values)

    def project(
        self, global_feats: torch.Tensor, local_feats: torch.Tensor | None, learnable_gated: int | None = None,
        router_noise: bool = False, local_mode: str | None = None,
    ) -> dict[str, torch.Tensor | None]:
        """global_feats [1,P,Dv] or [P,Dv], local_feats [N,P,Dv] → global_tokens [P,H], router_weights [P,2],
        local_tokens [N,Q,H] (or [N,P,H] uncompressed), local_attention [N,Q,P] (None when uncompressed)."""
        gated = self.cfg.learnable_gated if learnable_gated is None else learnable_gated
        g = global_feats.reshape(1, *global_feats.shape[-2:])
        tokens, weights = self.projector.forward_global(g, gated, router_noise)
        out: dict[str, torch.Tensor | None] = {
            "global_tokens": tokens[0], "router_weights": weights[0], "local_tokens": None, "local_attention": None,
        }
        if local_feats is not None and local_feats.shape[0] > 0:
            if (local_mode or self.cfg.local_mode) == "uncompressed":
                out["local_tokens"] = self.projector.mlp(local_feats)
            else:
                comp, att = self.sampler.post_qformer(local_feats)
                out["local_tokens"], out["local_attention"] = self.projector.mlp(comp), att
        return out

    @staticmethod
    def raster_order(local_tokens: torch.Tensor, gw: int, gh: int) -> torch.Tensor:
        return sel.raster_order(local_tokens, gw, gh)

    def select(
        self, local_raster: torch.Tensor, text_embeds: torch.Tensor, mode: str | None = None,
        topp: float | None = None, temp: float | None = None, noise_std: float = 0.0,
    ) -> dict[str, torch.Tensor]:
        c = self.cfg
        return sel.select(
            local_raster, text_embeds, mode or c.selector_mode, c.topp if topp is None else topp,
            c.temp if temp is None else temp, noise_std,
        )

    # ---- assembly ----------------------------------------------------------------------------
    def visual_block(
        self, pixel_values: torch.Tensor, grid: tuple[int, int], text_embeds: torch.Tensor, **over: Any
    ) -> tuple[torch.Tensor, dict[str, Any]]:
        """[G ; E[sep] ; L_kept] (or G only / L only for the stage switches) and what happened on the way.
        pixel_values [V,3,T,T], or precomputed vision features [V,P,Dv] (3-D) to skip the tower."""
        o = self.options(**over)
        gw, gh = grid
        if pixel_values.shape[0] != 1 + gw * gh:
            raise ValueError(f"pixel_values has {pixel_values.shape[0]} views, grid {gw}x{gh} needs {1 + gw * gh}")
        feats = pixel_values if pixel_values.dim() == 3 else self.encode_views(pixel_values)
        proj = self.project(feats[:1], feats[1:], o["learnable_gated"], o["router_noise"], o["local_mode"])
        info: dict[str, Any] = {"grid": (gw, gh), "router_weights": proj["router_weights"]}
        parts: list[torch.Tensor] = []
        if not o["use_local_only"]:
            parts.append(proj["global_tokens"])
        if not o["use_global_only"]:
            raster = self.raster_order(proj["local_tokens"], gw, gh)
            s = self.select(raster, text_embeds, o["mode"], o["topp"], o["temp"], o["noise_std"])
            info.update(kept_idx=s["kept_idx"], scores=s["scores"], probs=s["probs"], n_local=raster.shape[0])
            if not o["use_local_only"]:
                parts.append(self.embed(torch.tensor([self.cfg.separator_id], device=raster.device)))
            parts.append(raster.index_select(0, s["kept_idx"].to(raster.device)))
        block = torch.cat(parts, dim=0)
        info["n_visual"] = block.shape[0]
        return block, info

    def build_inputs_embeds(
        self, input_ids: Sequence[int] | torch.Tensor, pixel_values: torch.Tensor | None = None,
        grid: tuple[int, int] | None = None, **over: Any,
    ) -> tuple[torch.Tensor, dict[str, Any]]:
        """ids with one -200 placeholder → (embeds [S, H] truncated to max_length, info with visual_start,
        n_visual, kept_idx, scores, probs, seq_len, truncated)."""
        ids = torch.as_tensor(list(input_ids) if not isinstance(input_ids, torch.Tensor) else input_ids).long()
        ids = ids.reshape(-1)
        where = (ids == IMAGE_TOKEN_INDEX).nonzero().flatten().tolist()
        text_ids = ids[ids != IMAGE_TOKEN_INDEX]
        dev = self.llm.lm_head.weight.device
        if not where or pixel_values is None:
            emb = self.embed(text_ids.to(dev))
            info: dict[str, Any] = {"visual_start": -1, "n_visual": 0}
        else:
            if len(where) > 1:
                raise ValueError(f"build_inputs_embeds: {len(where)} image placeholders; one image per prompt")
            if grid is None:
                raise ValueError("build_inputs_embeds: grid (gw, gh) is required with pixel_values")
            o = self.options(**over)
            st = o.pop("selector_text_ids")
            sel_ids = text_ids if st is None else torch.as_tensor(st).long().reshape(-1)
            sel_ids = sel_ids[sel_ids != IMAGE_TOKEN_INDEX][: self.cfg.max_length]
            text_embeds = self.embed(sel_ids.to(dev))
            block, info = self.visual_block(pixel_values.to(dev), grid, text_embeds, **o)
            p = where[0]
            emb = torch.cat([self.embed(ids[:p].to(dev)), block, self.embed(ids[p + 1:].to(dev))], dim=0)
            info["visual_start"] = p
        info["untruncated_len"] = emb.shape[0]
        info["truncated"] = emb.shape[0] > self.cfg.max_length
        emb = emb[: self.cfg.max_length]
        info["seq_len"] = emb.shape[0]
        return emb, info

    # ---- training ----------------------------------------------------------------------------
    def forward(self, batch: dict[str, Any], **over: Any) -> torch.Tensor:
        """Mean next-token CE over labelled positions. batch: input_ids (list of 1-D LongTensors with one -200,
        or none for text-only), labels (same lengths; -100 = ignore), pixel_values (list of [1+N,3,T,T] or None),
        grids (list of (gw, gh) or None). Samples are assembled one by one, truncated, then right-padded."""
        n = len(batch["input_ids"])
        pix = batch.get("pixel_values") or [None] * n
        grids = batch.get("grids") or [None] * n
        embeds, labels = [], []
        for i in range(n):
            ids = torch.as_tensor(batch["input_ids"][i]).long().reshape(-1)
            lab = torch.as_tensor(batch["labels"][i]).long().reshape(-1)
            if lab.shape != ids.shape:
                raise ValueError(f"sample {i}: labels {tuple(lab.shape)} vs input_ids {tuple(ids.shape)}")
            e, info = self.build_inputs_embeds(ids, pix[i], grids[i], **over)
            p = info["visual_start"]
            if p >= 0:
                lab = torch.cat([lab[:p], torch.full((info["n_visual"],), -100), lab[p + 1:]])
            embeds.append(e)
            labels.append(lab[: e.shape[0]])
        s_max = max(e.shape[0] for e in embeds)
        dev = embeds[0].device
        x = torch.zeros(n, s_max, embeds[0].shape[1], dtype=embeds[0].dtype, device=dev)
        mask = torch.zeros(n, s_max, dtype=torch.long, device=dev)
        y = torch.full((n, s_max), -100, dtype=torch.long, device=dev)
        for i, (e, lab) in enumerate(zip(embeds, labels)):
            x[i, : e.shape[0]], mask[i, : e.shape[0]], y[i, : lab.shape[0]] = e, 1, lab.to(dev)
        logits = self.llm(inputs_embeds=x, attention_mask=mask).logits
        return F.cross_entropy(logits[:, :-1].reshape(-1, logits.shape[-1]).float(), y[:, 1:].reshape(-1),
                               ignore_index=-100)

    def training_options(self, stage_noise: bool = True) -> dict[str, Any]:
        """Spec §6.1 training noise: router noise on, selector noise std 0.1 (pass as **over to forward)."""
        return {"router_noise": stage_noise, "noise_std": 0.1 if stage_noise else 0.0}

    # ---- generation --------------------------------------------------------------------------
    def kv_decoder(self) -> KVDecoder:
        return KVDecoder(self.llm)

    @torch.no_grad()
    def generate_greedy(
        self, input_ids: Sequence[int] | torch.Tensor, pixel_values: torch.Tensor | None = None,
        grid: tuple[int, int] | None = None, max_new_tokens: int = 32, stop_ids: Sequence[int] | None = None,
        **over: Any,
    ) -> dict[str, Any]:
        """Greedy decoding with a KV cache → {tokens, first_logits [V], info}. Stops after emitting a stop id."""
        stops = set(self.cfg.eos_ids if stop_ids is None else stop_ids)
        emb, info = self.build_inputs_embeds(input_ids, pixel_values, grid, **over)
        dec = self.kv_decoder()
        past = dec.empty_past(1, emb.dtype)
        x = emb[None]
        total = 0
        tokens: list[int] = []
        first: torch.Tensor | None = None
        for _ in range(max_new_tokens):
            s = x.shape[1]
            mask = torch.ones(1, total + s, dtype=torch.long)
            pos = torch.arange(total, total + s)[None]
            logits, past = dec(x, mask, pos, past)
            total += s
            if first is None:
                first = logits[0, 0].float()
            tok = int(torch.argmax(logits[0, 0]).item())
            tokens.append(tok)
            if tok in stops:
                break
            x = self.embed(torch.tensor([[tok]]))
        return {"tokens": tokens, "first_logits": first, "info": info}
