"""GraphWriter: builds an ONNX graph node by node, streaming every large initializer straight to one external-data file."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np
import onnx
from onnx import TensorProto, helper

INLINE_BYTES = 1024  # initializers smaller than this stay inside the .onnx protobuf
ALIGN = 64  # byte alignment of each tensor in the external-data file

NP_TO_ONNX = {np.dtype(np.float32): TensorProto.FLOAT, np.dtype(np.float16): TensorProto.FLOAT16,
              np.dtype(np.int64): TensorProto.INT64, np.dtype(np.int32): TensorProto.INT32,
              np.dtype(np.uint8): TensorProto.UINT8}
OPSET = 17
MS_OPSET = 1


class GraphWriter:
    """Collects nodes/inputs/outputs; `add_init` writes the array's bytes to `<path>.data` at once (the array can be
    dropped by the caller right after). `save()` writes the small protobuf. Never holds more than one weight."""

    def __init__(self, path: str | Path, name: str) -> None:
        self.path = Path(path)
        self.data_path = self.path.with_name(self.path.name + ".data")
        self.name = name
        self.nodes: list[onnx.NodeProto] = []
        self.inits: list[TensorProto] = []
        self.inputs: list[onnx.ValueInfoProto] = []
        self.outputs: list[onnx.ValueInfoProto] = []
        self._fh = open(self.data_path, "wb")
        self._offset = 0
        self._counter = 0
        self.external_bytes = 0

    def add_init(self, name: str, arr: np.ndarray) -> str:
        """Register an initializer; large ones go to the external-data file immediately. Returns its name."""
        arr = np.ascontiguousarray(arr)
        if arr.dtype not in NP_TO_ONNX:
            raise TypeError(f"initializer {name}: unsupported dtype {arr.dtype}")
        if arr.nbytes < INLINE_BYTES:
            self.inits.append(onnx.numpy_helper.from_array(arr, name))
            return name
        s = self.begin(name, arr.dtype, list(arr.shape))
        s.write(arr)
        return s.end()

    def begin(self, name: str, dtype: Any, shape: list[int]) -> "StreamedInit":
        """Start an external initializer whose bytes are written in chunks (in C order) through the returned object."""
        pad = (-self._offset) % ALIGN
        if pad:
            self._fh.write(b"\0" * pad)
            self._offset += pad
        return StreamedInit(self, name, np.dtype(dtype), shape)

    def const(self, name: str, value: Any, dtype: Any = np.int64) -> str:
        return self.add_init(name, np.asarray(value, dtype=dtype))

    def node(self, op: str, inputs: list[str], outputs: int | list[str] = 1, name: str | None = None,
             domain: str = "", **attrs: Any) -> list[str]:
        """Append a node; outputs given as a count get generated names. Returns the output names."""
        self._counter += 1
        name = name or f"/{op}_{self._counter}"
        outs = [f"{name}/output_{i}" for i in range(outputs)] if isinstance(outputs, int) else outputs
        self.nodes.append(helper.make_node(op, inputs, outs, name=name, domain=domain or None, **attrs))
        return outs

    def one(self, op: str, inputs: list[str], name: str | None = None, domain: str = "", **attrs: Any) -> str:
        return self.node(op, inputs, 1, name, domain, **attrs)[0]

    def input(self, name: str, elem: int, shape: list[Any]) -> None:
        self.inputs.append(helper.make_tensor_value_info(name, elem, shape))

    def output(self, name: str, elem: int, shape: list[Any]) -> None:
        self.outputs.append(helper.make_tensor_value_info(name, elem, shape))

    def save(self) -> list[str]:
        """Write the protobuf (fsync both files). Returns the external data file names (empty when none used)."""
        self._fh.flush()
        os.fsync(self._fh.fileno())
        self._fh.close()
        graph = helper.make_graph(self.nodes, self.name, self.inputs, self.outputs, self.inits)
        model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET),
                                                       helper.make_opsetid("com.microsoft", MS_OPSET)],
                                  producer_name="models.convert")
        model.ir_version = 8
        with open(self.path, "wb") as fh:
            fh.write(model.SerializeToString())
            fh.flush()
            os.fsync(fh.fileno())
        if self._offset == 0:
            self.data_path.unlink()
            return []
        return [self.data_path.name]

    def close(self) -> None:
        if not self._fh.closed:
            self._fh.close()


class StreamedInit:
    """One external initializer written chunk by chunk; `end()` checks the byte count and registers it."""

    def __init__(self, w: GraphWriter, name: str, dtype: np.dtype, shape: list[int]) -> None:
        self.w, self.name, self.dtype, self.shape = w, name, dtype, list(shape)
        self.start, self.written = w._offset, 0
        self.expect = int(np.prod(shape)) * dtype.itemsize

    def write(self, chunk: np.ndarray) -> None:
        chunk = np.ascontiguousarray(chunk, dtype=self.dtype)
        self.w._fh.write(memoryview(chunk).cast("B"))
        self.written += chunk.nbytes
        self.w._offset += chunk.nbytes

    def end(self) -> str:
        if self.written != self.expect:
            raise RuntimeError(f"initializer {self.name}: wrote {self.written} bytes, expected {self.expect}")
        t = TensorProto(name=self.name, data_type=NP_TO_ONNX[self.dtype], dims=self.shape)
        t.data_location = TensorProto.EXTERNAL
        for k, v in (("location", self.w.data_path.name), ("offset", str(self.start)), ("length", str(self.expect))):
            e = t.external_data.add()
            e.key, e.value = k, v
        self.w.external_bytes += self.expect
        self.w.inits.append(t)
        return self.name
