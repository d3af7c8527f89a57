"""Tensor sources (name -> float32 numpy, row/column slices) and the per-weight writers: fp32, fp16 by cast, int4 MatMulNBits."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Protocol

import numpy as np
from onnxruntime.capi._pybind_state import quantize_matmul_4bits

from .graph_writer import GraphWriter

# MatMulNBits block size: one fp32 scale per 64 int4 weights, i.e. 4.5 bits per weight (llama.cpp's Q4_0 also reads
# 4.5). Block 32 made onnxruntime's accuracy_level-4 prepack hold ~44% more than the decoder file (packed scales and
# block sums beside the mapped originals: the 8B rehearsal missed its load budget by 445 MB); measured at the 1B shape
# with models/rehearsal/session_probe.ts, decoder RSS after load / decoder file: block 32 683 / 474 MB, block 64
# 533 / 426 MB, block 128 458 / 402 MB (models/rehearsal/SESSION_PROBE.md).
BLOCK = 64
ACCURACY_LEVEL = 4  # int8 compute of activations on CPU
CHUNK_ELEMS = 1 << 24  # weights above this many elements are converted in slices (16M fp32 = 64 MB)


class TensorSource(Protocol):
    """name -> array. `rows`/`cols` give a [r0:r1, :] or [:, c0:c1] slice; every array comes back float32."""

    def keys(self) -> list[str]: ...

    def shape(self, key: str) -> list[int]: ...

    def get(self, key: str, rows: tuple[int, int] | None = None, cols: tuple[int, int] | None = None) -> np.ndarray: ...


class DictSource:
    """In-memory source (tests, v1 upgrade)."""

    def __init__(self, tensors: dict[str, np.ndarray]) -> None:
        self.t = tensors

    def keys(self) -> list[str]:
        return list(self.t)

    def shape(self, key: str) -> list[int]:
        return list(self.t[key].shape)

    def get(self, key: str, rows: tuple[int, int] | None = None, cols: tuple[int, int] | None = None) -> np.ndarray:
        a = self.t[key]
        if rows:
            a = a[rows[0]:rows[1]]
        if cols:
            a = a[:, cols[0]:cols[1]]
        return np.asarray(a, dtype=np.float32)


class SafetensorsSource:
    """Released shards read tensor by tensor (or slice by slice). Each read opens the shard memory-mapped and closes it
    again, so no mapping of a multi-GB shard stays resident between reads."""

    def __init__(self, files: dict[str, Path], error: type[Exception] = ValueError) -> None:
        self.files, self.error = files, error

    def keys(self) -> list[str]:
        return list(self.files)

    def _open(self, key: str) -> Any:
        from safetensors import safe_open

        if key not in self.files:
            raise self.error(f"checkpoint lacks tensor {key!r}")
        return safe_open(str(self.files[key]), "pt")

    def shape(self, key: str) -> list[int]:
        with self._open(key) as f:
            return list(f.get_slice(key).get_shape())

    def get(self, key: str, rows: tuple[int, int] | None = None, cols: tuple[int, int] | None = None) -> np.ndarray:
        try:
            with self._open(key) as f:
                sl = f.get_slice(key)
                if rows:
                    t = sl[rows[0]:rows[1]]
                elif cols:
                    t = sl[:, cols[0]:cols[1]]
                else:
                    t = f.get_tensor(key)
                return t.float().numpy()
        except self.error:
            raise
        except Exception as e:  # noqa: BLE001 - re-raised naming the shard
            raise self.error(f"{self.files[key]}: cannot read tensor {key!r}: {e}") from e


def quantize_int4(w_kn: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """[K,N] float32 -> (packed uint8 [N, K/BLOCK, BLOCK/2], scales float32 [N, K/BLOCK]), onnxruntime's own symmetric
    quantiser."""
    k, n = w_kn.shape
    if k % BLOCK:
        w_kn = np.pad(w_kn, ((0, BLOCK - k % BLOCK), (0, 0)))
    kb = w_kn.shape[0] // BLOCK
    packed = np.zeros((n, kb, BLOCK // 2), np.uint8)
    scales = np.zeros((n, kb), np.float32)
    zp = np.zeros((n, (kb + 1) // 2), np.uint8)
    quantize_matmul_4bits(packed, np.ascontiguousarray(w_kn, np.float32), scales, zp, BLOCK, n, k, True)
    return packed, scales


class Linear:
    """Writes y = x @ W.T for W [out,in] given as parts [(key, rows)] stacked along `out` (packed QKV = [q,k,v])."""

    def __init__(self, g: GraphWriter, src: TensorSource, dtype: str) -> None:
        self.g, self.src, self.dtype = g, src, dtype

    def _rows(self, parts: list[str]) -> list[tuple[str, int, int]]:
        return [(k, *self.src.shape(k)) for k in parts]

    def __call__(self, x: str, parts: list[str], name: str, gemm: bool = False) -> str:
        """gemm=True (2-D x only, used for lm_head): float weights are kept as W [out,in] and streamed in row slices
        into Gemm(transB=1), so the largest matrix never needs a transposed copy or a strided read."""
        shapes = self._rows(parts)
        k = shapes[0][2]
        if any(s[2] != k for s in shapes):
            raise ValueError(f"{name}: parts {parts} disagree on in_features")
        n = sum(s[1] for s in shapes)
        if self.dtype == "int4":
            return self._nbits(x, parts, name, k, n)
        fdt = np.float16 if self.dtype == "fp16" else np.float32
        if gemm:
            s = self.g.begin(f"{name}.weight", fdt, [n, k])
            for p, rows, _ in shapes:
                step = max(1, CHUNK_ELEMS // k)
                for r0 in range(0, rows, step):
                    s.write(self.src.get(p, rows=(r0, min(rows, r0 + step))).astype(fdt))
            return self.g.one("Gemm", [x, s.end()], name=f"{name}/Gemm", transB=1)
        w = np.concatenate([self.src.get(p) for p in parts], axis=0)  # [n, k]: one layer matrix, read whole
        s = self.g.begin(f"{name}.weight", fdt, [k, n])
        step = max(1, CHUNK_ELEMS // n)
        for c0 in range(0, k, step):
            s.write(w[:, c0:c0 + step].T.astype(fdt))
        return self.g.one("MatMul", [x, s.end()], name=f"{name}/MatMul")

    def _nbits(self, x: str, parts: list[str], name: str, k: int, n: int) -> str:
        kb = (k + BLOCK - 1) // BLOCK
        s = self.g.begin(f"{name}.weight_Q4", np.uint8, [n, kb, BLOCK // 2])
        scales = []
        for p in parts:
            rows = self.src.shape(p)[0]
            step = max(1, CHUNK_ELEMS // k)
            for r0 in range(0, rows, step):
                packed, sc = quantize_int4(self.src.get(p, rows=(r0, min(rows, r0 + step))).T)
                s.write(packed)
                scales.append(sc)
        qname = s.end()
        sname = self.g.add_init(f"{name}.weight_scales", np.concatenate(scales, axis=0).reshape(-1))
        return self.g.one("MatMulNBits", [x, qname, sname], name=f"{name}/MatMulNBits", domain="com.microsoft",
                          K=k, N=n, bits=4, block_size=BLOCK, accuracy_level=ACCURACY_LEVEL)
