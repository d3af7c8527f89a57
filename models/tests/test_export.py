"""ONNX export of tiny released-layout checkpoints: manifest contract and onnxruntime-vs-PyTorch parity per graph."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
import pytest
import torch
from PIL import Image

from models import export
from models.ort_pipeline import OrtSlime
from models.slime.checkpoint import load_checkpoint
from models.slime.template import build_prompt, tokenize_with_image, user_message
from models.slime.tiny import write_tiny_checkpoint

# fp32 tolerance: max |onnx − torch| ≤ REL · max |torch| (+ tiny absolute floor for near-zero tensors)
REL, ABS = 1e-4, 1e-6


def close(got: np.ndarray, ref: torch.Tensor | np.ndarray, rel: float = REL) -> float:
    r = ref.detach().numpy() if isinstance(ref, torch.Tensor) else ref
    assert got.shape == r.shape
    err = float(np.abs(got - r).max())
    assert err <= rel * float(np.abs(r).max()) + ABS, f"max abs err {err} vs scale {np.abs(r).max()}"
    return err


@pytest.fixture(scope="module", params=["llama3", "vicuna"])
def exported(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> dict:
    style = request.param
    root = tmp_path_factory.mktemp(style)
    write_tiny_checkpoint(root / "ckpt", style, seed=7, clip_dir=root / "clip")
    clip_args = ["--use-checkpoint-clip"] if style == "llama3" else ["--clip", str(root / "clip")]
    assert export.main(["--checkpoint", str(root / "ckpt"), "--out", str(root / "out"), *clip_args]) == 0
    kw = {"use_checkpoint_clip": True} if style == "llama3" else {"clip": root / "clip"}
    loaded = load_checkpoint(root / "ckpt", log=lambda s: None, **kw)
    return {"out": root / "out", "model": loaded.model, "cfg": loaded.cfg, "root": root, "style": style}


def session(out: Path, name: str) -> ort.InferenceSession:
    return ort.InferenceSession(str(out / f"{name}.onnx"), providers=["CPUExecutionProvider"])


def test_manifest_describes_every_graph(exported: dict) -> None:
    out, cfg = exported["out"], exported["cfg"]
    m = json.loads((out / "manifest.json").read_text())
    assert m["format"] == "slime-studio-model" and m["version"] == 2 and m["architecture"] == "slime"
    assert set(m["graphs"]) == {"vision_encoder", "projector", "embed_tokens", "decoder"}
    for name, g in m["graphs"].items():
        path = out / g["file"]
        assert hashlib.sha256(path.read_bytes()).hexdigest() == g["sha256"] and path.stat().st_size == g["bytes"]
        for e in g["external_data"]:
            assert hashlib.sha256((out / e["file"]).read_bytes()).hexdigest() == e["sha256"]
        model = onnx.load(str(path), load_external_data=False)
        if name in ("vision_encoder", "projector"):  # LLM graphs use ORT's SimplifiedLayerNormalization (no ONNX op)
            onnx.checker.check_model(str(path))
        ops = {n.op_type for n in model.graph.node}
        assert not ops & {"If", "Loop", "Scan", "Resize", "NonZero"}, (name, ops)
        for decl, real in ((g["inputs"], model.graph.input), (g["outputs"], model.graph.output)):
            assert [t["name"] for t in decl] == [t.name for t in real], name
            for t, r in zip(decl, real):
                dims = [d.dim_param or d.dim_value for d in r.type.tensor_type.shape.dim]
                assert dims == t["shape"], (name, t["name"], dims)
    assert m["llm"] == {"hidden": cfg.hidden, "layers": cfg.layers, "heads": cfg.heads, "kv_heads": cfg.kv_heads,
                        "head_dim": cfg.head_dim, "vocab_size": cfg.vocab_size, "max_length": cfg.max_length,
                        "rope_theta": cfg.rope_theta, "kv_dtype": "float32",
                        "max_positions": max(cfg.max_position, cfg.max_length)}
    assert m["template"] == cfg.template and m["separator_id"] == cfg.separator_id
    assert m["special_tokens"]["eos"] == cfg.eos_ids and m["selector"]["top_p"] == cfg.topp
    assert m["vision"]["patch_tokens"] == cfg.patch_tokens and m["projector"]["local_queries"] == cfg.local_queries
    tok = out / "tokenizer.json"
    assert hashlib.sha256(tok.read_bytes()).hexdigest() == m["tokenizer"]["sha256"]


def test_vision_and_projector_parity(exported: dict) -> None:
    out, model, cfg = exported["out"], exported["model"], exported["cfg"]
    for views in (3, 8):
        pv = torch.randn(views, 3, cfg.image_size, cfg.image_size, generator=torch.Generator().manual_seed(views))
        with torch.no_grad():
            ref = model.vision(pv)
            proj = model.project(ref[:1], ref[1:])
        close(session(out, "vision_encoder").run(None, {"pixel_values": pv.numpy()})[0], ref)
        got = session(out, "projector").run(None, {"global_feats": ref[:1].numpy(), "local_feats": ref[1:].numpy()})
        for g, key in zip(got, ("global_tokens", "router_weights", "local_tokens", "local_attention")):
            close(g, proj[key])


def test_embed_and_decoder_parity_with_cache(exported: dict) -> None:
    out, model, cfg = exported["out"], exported["model"], exported["cfg"]
    ids = torch.tensor([[0, 1, 2, cfg.separator_id, cfg.vocab_size - 1]])
    close(session(out, "embed_tokens").run(None, {"input_ids": ids.numpy()})[0], model.embed(ids))
    x = torch.randn(1, 11, cfg.hidden, generator=torch.Generator().manual_seed(2))
    with torch.no_grad():
        ref = model.llm(inputs_embeds=x).logits[:, -1:]  # HF eager forward, no cache
    dec = session(out, "decoder")
    names = [i.name for i in dec.get_inputs()][2:]
    past = {n: np.zeros((1, cfg.kv_heads, 0, cfg.head_dim), np.float32) for n in names}
    o1 = dec.run(None, {"inputs_embeds": x[:, :8].numpy(), "attention_mask": np.ones((1, 8), np.int64),
                        **past})
    assert o1[1].shape == (1, cfg.kv_heads, 8, cfg.head_dim)
    past = dict(zip(names, o1[1:]))
    o2 = dec.run(None, {"inputs_embeds": x[:, 8:].numpy(), "attention_mask": np.ones((1, 11), np.int64),
                        **past})
    close(o2[0], ref)


def test_end_to_end_ort_pipeline_matches_torch(exported: dict) -> None:
    out, model, cfg = exported["out"], exported["model"], exported["cfg"]
    rt = OrtSlime(out)
    q = build_prompt(cfg.template, [("user", user_message("What color is the small square?"))])
    ids = tokenize_with_image(q, rt.tokenizer)
    assert ids.count(-200) == 1
    for size in ((20, 14), (90, 30), (24, 260)):
        img = Image.fromarray(np.random.default_rng(sum(size)).integers(0, 255, (size[1], size[0], 3), np.uint8))
        pv, grid = rt.preprocess(img)
        got = rt.generate(ids, pv, grid, max_new_tokens=6)
        ref = model.generate_greedy(ids, torch.from_numpy(pv), grid, max_new_tokens=6)
        assert got["tokens"] == ref["tokens"]
        assert got["info"]["seq_len"] == ref["info"]["seq_len"]
        assert np.array_equal(got["info"]["kept_idx"], ref["info"]["kept_idx"].numpy())
        close(got["first_logits"], ref["first_logits"])


def test_fp16_and_int4_exports(exported: dict, tmp_path: Path) -> None:
    if exported["style"] != "llama3":
        pytest.skip("one style is enough for the reduced-precision exports")
    model, cfg = exported["model"], exported["cfg"]
    tok = {"tokenizer.json": exported["out"] / "tokenizer.json"}
    x = torch.randn(1, 5, cfg.hidden, generator=torch.Generator().manual_seed(3))
    with torch.no_grad():
        ref = model.llm(inputs_embeds=x).logits[:, -1:]
    for dtype, rel in (("fp16", 1e-2), ("int4", 0.5)):
        m = export.export_model(model, tok, tmp_path / dtype, dtype, log=lambda s: None)
        assert m["dtype"] == dtype
        dec = session(tmp_path / dtype, "decoder")
        kv = "tensor(float16)" if dtype == "fp16" else "tensor(float)"
        assert all(i.type == kv for i in dec.get_inputs()[2:])
        assert m["llm"]["kv_dtype"] == ("float16" if dtype == "fp16" else "float32")
        kv_np = np.float16 if dtype == "fp16" else np.float32
        past = {i.name: np.zeros((1, cfg.kv_heads, 0, cfg.head_dim), kv_np) for i in dec.get_inputs()[2:]}
        got = dec.run(None, {"inputs_embeds": x.numpy(), "attention_mask": np.ones((1, 5), np.int64), **past})[0]
        close(got, ref, rel)
        if dtype == "int4":
            ops = {n.op_type for n in onnx.load(str(tmp_path / dtype / "decoder.onnx")).graph.node}
            assert "MatMulNBits" in ops


def test_external_data_when_large(exported: dict, tmp_path: Path) -> None:
    if exported["style"] != "vicuna":
        pytest.skip("one style is enough")
    model, cfg = exported["model"], exported["cfg"]
    before = {k: v.clone() for k, v in model.state_dict().items()}
    m = export.export_model(model, {"tokenizer.json": exported["out"] / "tokenizer.json"}, tmp_path, "fp32",
                            log=lambda s: None, external_threshold=50_000)
    assert all(torch.equal(before[k], v) for k, v in model.state_dict().items())  # model untouched
    assert model.sampler.post_qformer.baked_key_pos is None
    ext = m["graphs"]["decoder"]["external_data"]
    assert [e["file"] for e in ext] == ["decoder.onnx.data"]
    assert hashlib.sha256((tmp_path / "decoder.onnx.data").read_bytes()).hexdigest() == ext[0]["sha256"]
    assert sorted(p.name for p in tmp_path.glob("*.data")) == sorted(
        e["file"] for g in m["graphs"].values() for e in g["external_data"])
    dec = session(tmp_path, "decoder")
    past = {i.name: np.zeros((1, cfg.kv_heads, 0, cfg.head_dim), np.float32) for i in dec.get_inputs()[2:]}
    x = torch.randn(1, 4, cfg.hidden, generator=torch.Generator().manual_seed(4))
    with torch.no_grad():
        ref = model.llm(inputs_embeds=x).logits[:, -1:]
    got = dec.run(None, {"inputs_embeds": x.numpy(), "attention_mask": np.ones((1, 4), np.int64), **past})[0]
    close(got, ref)
