"""Rebuild a PyTorch SliME-Nano checkpoint from a shipped model folder (the training checkpoints are not kept).

Usage: .venv/bin/python -m models.nano.recover [--folder models/nano] [--out models/nano/work/shipped/final.pt]

The LLM comes back through models.upgrade.recover_weights_v2 (our graph builder names its initializers). The
vision and projector graphs come from torch.onnx, which leaves some initializers anonymous (``onnx::MatMul_351``)
and stores weights transposed or as slices of ``in_proj_weight``. They are mapped by fingerprint: a model with
random weights is exported through the same exporter, and each of its initializers is matched (exactly, as
itself, its transpose, or a row-chunk of a parameter) to the parameter it came from; the shipped graph's
initializer at the same place then fills that parameter. Parameters no graph holds (the vision layer after the
select layer, the frozen ``w_noise``, the pre-bake ``pos_embed``) keep their deterministic initial values. The
result is checked by exporting it again and comparing every graph's outputs with the shipped ones.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import onnx
import torch
from onnx import numpy_helper
from tokenizers import Tokenizer

from models.nano.nano_config import nano_config
from models.nano.train import NANO_DIR, SEED, WORK, save_final
from models.slime import SlimeForCausalLM
from models.slime.config import SlimeConfig

TOWERS = ("vision_encoder", "projector")


def _inits(path: Path) -> list[tuple[str, np.ndarray]]:
    m = onnx.load(str(path))
    return [(t.name, numpy_helper.to_array(t).astype(np.float32)) for t in m.graph.initializer]


def _locate(value: np.ndarray, params: dict[str, np.ndarray]) -> tuple[str, str, int] | None:
    """(parameter, 'id'|'T', chunk index or -1) whose values equal ``value`` exactly."""
    for name, p in params.items():
        for how, cand in (("id", p), ("T", p.T if p.ndim == 2 else None)):
            if cand is None:
                continue
            if cand.shape == value.shape and np.array_equal(cand, value):
                return name, how, -1
            if p.ndim >= 1 and cand is p and p.shape[0] % value.shape[0] == 0 and p.shape[1:] == value.shape[1:]:
                k = p.shape[0] // value.shape[0]
                for i, chunk in enumerate(np.split(p, k)):
                    if np.array_equal(chunk, value):
                        return name, "id", i
            if how == "T" and p.ndim == 2 and value.ndim == 2 and value.shape[0] == p.shape[1]:
                k = p.shape[0] // value.shape[1] if value.shape[1] else 0
                if k > 1 and p.shape[0] % value.shape[1] == 0:
                    for i, chunk in enumerate(np.split(p, k)):
                        if np.array_equal(chunk.T, value):
                            return name, "T", i
    return None


def fingerprint_map(cfg: SlimeConfig, tok_file: Path, tmp: Path) -> dict[str, list[tuple[int, str, str, int]]]:
    """Per tower graph: (initializer index, parameter, how, chunk) from a random-weight export."""
    from models.export import export_model

    torch.manual_seed(12345)
    probe = SlimeForCausalLM(cfg)
    with torch.no_grad():
        for p in probe.parameters():
            p.add_(torch.randn_like(p) * 0.05)  # no two parameters (LayerNorm ones, zeros) share values
    export_model(probe, {"tokenizer.json": tok_file}, tmp, dtype="fp32", log=lambda s: None, max_new_tokens=16)
    params = {k: v.detach().numpy() for k, v in probe.state_dict().items()}
    out: dict[str, list[tuple[int, str, str, int]]] = {}
    for g in TOWERS:
        prefix = "vision." if g == "vision_encoder" else ("projector.", "sampler.")
        mine = {k: v for k, v in params.items() if k.startswith(prefix)}
        rows = []
        for i, (name, val) in enumerate(_inits(tmp / f"{g}.onnx")):
            hit = _locate(val, mine)
            if hit is None:
                continue  # derived constants (baked key positions, folded products) are not parameters
            rows.append((i, *hit))
        out[g] = rows
    return out


def recover(folder: Path, tok_file: Path) -> tuple[SlimeForCausalLM, SlimeConfig, dict[str, Any]]:
    """The PyTorch model whose export reproduces ``folder``'s graphs."""
    from models.upgrade import recover_weights_v2
    import json

    cfg = nano_config(Tokenizer.from_file(str(tok_file)))
    torch.manual_seed(SEED)
    model = SlimeForCausalLM(cfg)
    state = {k: v.clone() for k, v in model.state_dict().items()}
    report: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as td:
        fmap = fingerprint_map(cfg, tok_file, Path(td))
    for g, rows in fmap.items():
        shipped = _inits(folder / f"{g}.onnx")
        filled: set[str] = set()
        for i, pname, how, chunk in rows:
            val = torch.from_numpy(shipped[i][1].T.copy() if how == "T" else shipped[i][1].copy())
            if chunk < 0:
                state[pname] = val.reshape(state[pname].shape)
            else:
                n = val.shape[0]
                state[pname][chunk * n:(chunk + 1) * n] = val
            filled.add(pname)
        report[g] = sorted(filled)
    manifest = json.loads((folder / "manifest.json").read_text())
    dec, emb = onnx.load(str(folder / "decoder.onnx")), onnx.load(str(folder / "embed_tokens.onnx"))
    for k, v in recover_weights_v2(dec, emb, manifest["llm"]).items():
        state["llm." + k] = torch.from_numpy(v.copy())
    model.load_state_dict(state)
    model.eval()
    report["unfilled"] = sorted(k for k in state if not k.startswith("llm.") and not any(
        k in v for v in report.values() if isinstance(v, list)))
    return model, cfg, report


def max_diff(folder: Path, model: SlimeForCausalLM, tok_file: Path) -> dict[str, float]:
    """Re-export ``model`` and compare every graph's outputs with ``folder``'s on the same random inputs."""
    import onnxruntime as ort

    from models.export import export_model

    rng = np.random.default_rng(0)
    feeds = {"vision_encoder": {"pixel_values": rng.standard_normal((3, 3, 112, 112)).astype(np.float32)},
             "projector": {"global_feats": rng.standard_normal((1, 64, 128)).astype(np.float32),
                           "local_feats": rng.standard_normal((3, 64, 128)).astype(np.float32)},
             "embed_tokens": {"input_ids": np.arange(0, 400, 7, dtype=np.int64)[None]}}
    out: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as td:
        export_model(model, {"tokenizer.json": tok_file}, td, dtype="fp32", log=lambda s: None, max_new_tokens=16)
        for g, feed in feeds.items():
            a = ort.InferenceSession(str(folder / f"{g}.onnx")).run(None, feed)
            b = ort.InferenceSession(str(Path(td) / f"{g}.onnx")).run(None, feed)
            out[g] = max(float(np.abs(x - y).max()) for x, y in zip(a, b))
        from models.convert.llm_graph import LlmSpec
        from models.upgrade import compare_decoders

        out["decoder (relative)"] = compare_decoders(folder / "decoder.onnx", Path(td) / "decoder.onnx",
                                                     LlmSpec.from_config(model.cfg), np.float32)
    return out


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--folder", type=Path, default=NANO_DIR)
    ap.add_argument("--out", type=Path, default=WORK / "shipped" / "final.pt")
    a = ap.parse_args(argv)
    tok_file = a.folder / "tokenizer.json"
    model, cfg, report = recover(a.folder, tok_file)
    print("unfilled (kept at init):", report["unfilled"])
    diffs = max_diff(a.folder, model, tok_file)
    print("max |re-export - shipped| per graph:", diffs)
    if max(diffs.values()) > 1e-5:
        raise SystemExit("recovered weights do not reproduce the shipped graphs")
    a.out.parent.mkdir(parents=True, exist_ok=True)
    save_final(model, cfg, a.out)
    print(f"saved {a.out}")


if __name__ == "__main__":
    main()
