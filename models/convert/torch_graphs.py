"""Vision tower and projector/compressor graphs: small PyTorch modules exported with torch.onnx (legacy exporter)."""

from __future__ import annotations

import tempfile
import warnings
from pathlib import Path
from typing import Any

import onnx
import torch
from torch import nn

OPSET = 17
EXTERNAL_THRESHOLD = 1_800_000_000  # bytes of initializers above which a graph uses external data


class VisionGraph(nn.Module):
    def __init__(self, vision: nn.Module, dt: torch.dtype) -> None:
        super().__init__()
        self.vision, self.dt = vision, dt

    def forward(self, pixel_values: torch.Tensor) -> torch.Tensor:
        return self.vision(pixel_values.to(self.dt)).float()


class ProjectorGraph(nn.Module):
    def __init__(self, projector: nn.Module, sampler: nn.Module, gated: int, dt: torch.dtype) -> None:
        super().__init__()
        self.projector, self.sampler, self.dt, self.gated = projector, sampler, dt, gated

    def forward(self, global_feats: torch.Tensor, local_feats: torch.Tensor) -> tuple[torch.Tensor, ...]:
        g, w = self.projector.forward_global(global_feats.to(self.dt), self.gated)
        comp, att = self.sampler.post_qformer(local_feats.to(self.dt))
        loc = self.projector.mlp(comp)
        return g[0].float(), w[0].float(), loc.float(), att.float()


def io_specs(cfg: Any) -> dict[str, dict[str, list[dict[str, Any]]]]:
    """vision_encoder / projector I/O (MANIFEST.md; unchanged in v2)."""
    p, dv, q, h, t = cfg.patch_tokens, cfg.vision_hidden, cfg.local_queries, cfg.hidden, cfg.image_size

    def f(name: str, shape: list[Any]) -> dict[str, Any]:
        return {"name": name, "dtype": "float32", "shape": shape}

    return {
        "vision_encoder": {"inputs": [f("pixel_values", ["views", 3, t, t])],
                           "outputs": [f("patch_feats", ["views", p, dv])]},
        "projector": {"inputs": [f("global_feats", [1, p, dv]), f("local_feats", ["tiles", p, dv])],
                      "outputs": [f("global_tokens", [p, h]), f("router_weights", [p, 2]),
                                  f("local_tokens", ["tiles", q, h]), f("local_attention", ["tiles", q, p])]},
    }


def _dynamic_axes(spec: dict[str, list[dict[str, Any]]]) -> dict[str, dict[int, str]]:
    out: dict[str, dict[int, str]] = {}
    for t in spec["inputs"] + spec["outputs"]:
        axes = {i: s for i, s in enumerate(t["shape"]) if isinstance(s, str)}
        if axes:
            out[t["name"]] = axes
    return out


def _dummy(name: str, cfg: Any) -> tuple[torch.Tensor, ...]:
    g = torch.Generator().manual_seed(0)
    p, dv, t = cfg.patch_tokens, cfg.vision_hidden, cfg.image_size
    if name == "vision_encoder":
        return (torch.randn(3, 3, t, t, generator=g),)
    return torch.randn(1, p, dv, generator=g), torch.randn(3, p, dv, generator=g)


def _stamp_shapes(m: onnx.ModelProto, spec: dict[str, list[dict[str, Any]]]) -> None:
    """Write the declared shapes (fixed dims and named dynamic axes) onto the graph inputs/outputs."""
    for decl, real in ((spec["inputs"], m.graph.input), (spec["outputs"], m.graph.output)):
        for t, r in zip(decl, real):
            if t["name"] != r.name:
                raise RuntimeError(f"export: graph I/O {r.name!r} where {t['name']!r} was declared")
            shape = r.type.tensor_type.shape
            shape.ClearField("dim")
            for d in t["shape"]:
                dim = shape.dim.add()
                if isinstance(d, str):
                    dim.dim_param = d
                else:
                    dim.dim_value = d


def export_graph(module: nn.Module, name: str, cfg: Any, path: Path, threshold: int = EXTERNAL_THRESHOLD) -> list[str]:
    """Export one module to path (one external .onnx.data file when its initializers exceed threshold bytes)."""
    spec = io_specs(cfg)[name]
    with tempfile.TemporaryDirectory(prefix=f"slime-{name}-") as tmp:
        raw = Path(tmp) / f"{name}.onnx"
        with warnings.catch_warnings(), torch.no_grad():
            warnings.simplefilter("ignore")
            torch.onnx.export(module, _dummy(name, cfg), str(raw), input_names=[t["name"] for t in spec["inputs"]],
                              output_names=[t["name"] for t in spec["outputs"]], dynamic_axes=_dynamic_axes(spec),
                              opset_version=OPSET, dynamo=False, do_constant_folding=True)
        m = onnx.load(str(raw), load_external_data=True)
    _stamp_shapes(m, spec)
    data = path.with_name(path.name + ".data")
    if data.exists():
        data.unlink()
    if sum(t.ByteSize() for t in m.graph.initializer) < threshold:
        onnx.save(m, str(path))
        return []
    onnx.save(m, str(path), save_as_external_data=True, all_tensors_to_one_file=True, location=data.name,
              size_threshold=1024)
    return [data.name]
