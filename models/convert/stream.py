"""Streaming conversion of a released checkpoint folder: towers in PyTorch (their tensors only), the LLM tensor by tensor."""

from __future__ import annotations

import errno
import os
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any, Callable

Log = Callable[[str], None]


class ExportError(RuntimeError):
    """The conversion could not finish (disk full, unwritable output); the partial output has been removed.
    `kind` names it for machines: out-exists, disk-full, write-failed."""

    def __init__(self, message: str, kind: str = "write-failed") -> None:
        super().__init__(message)
        self.kind = kind


def _disk_need(files: dict[str, Path], dtype: str) -> int:
    """Rough bytes the output needs: source bytes scaled by the target precision (bf16/fp16 source = 2 B/param)."""
    src = sum(p.stat().st_size for p in set(files.values()))
    return int(src * {"fp32": 2.0, "fp16": 1.0, "int4": 0.45}[dtype])


def export_checkpoint(folder: str | Path, out: str | Path, dtype: str = "fp32", clip: str | Path | None = None,
                      use_checkpoint_clip: bool = False, name: str | None = None, log: Log = print,
                      max_new_tokens: int = 256) -> dict[str, Any]:
    """Convert a released-layout folder into a v2 model folder. Nothing is written to `out` until the conversion has
    succeeded: graphs are built in a sibling temporary folder which then replaces `out`; on any failure (a missing
    shard, key or shape is found before any graph is written; a full disk while writing) it is removed."""
    from ..export import export_llm, export_towers, finish_folder, tower_dtype
    from ..slime.checkpoint import CheckpointError, load_checkpoint
    from .weights import SafetensorsSource

    t0 = time.time()
    out = Path(out)
    if out.is_dir() and any(out.iterdir()) and not (out / "manifest.json").exists():
        raise ExportError(f"{out} exists and is not a model folder; refusing to replace it", "out-exists")
    loaded = load_checkpoint(folder, clip, use_checkpoint_clip, tower_dtype(dtype), log=log, include_llm=False)
    cfg, m = loaded.cfg, loaded.model
    if cfg.local_mode != "compressed":
        raise CheckpointError("export: only local_mode='compressed' has a projector graph")
    out.parent.mkdir(parents=True, exist_ok=True)
    need, free = _disk_need(loaded.files, dtype), shutil.disk_usage(out.parent).free
    log(f"converting {cfg.name} to {dtype}: ~{need / 1e9:.2f} GB to write, {free / 1e9:.2f} GB free on {out.parent}")
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.partial-", dir=out.parent))
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp, 0o777 & ~umask)
    try:
        log("[1/3] vision tower and projector (PyTorch, their tensors only)")
        ext = export_towers(m.vision, m.projector, m.sampler, cfg, tmp, dtype, log)
        del m, loaded.model
        log(f"[2/3] LLM: {cfg.layers} layers streamed from {len(set(loaded.files.values()))} shard(s)")
        src = SafetensorsSource(loaded.files, CheckpointError)
        ext.update(export_llm(src, cfg, tmp, dtype, _eta_log(log, t0)))
        log("[3/3] tokenizer, hashes, manifest")
        manifest = finish_folder(cfg, ext, loaded.tokenizer_files, tmp, dtype, name, loaded.source, max_new_tokens,
                                 lambda s: None)
        _replace(tmp, out)
    except OSError as e:
        shutil.rmtree(tmp, ignore_errors=True)
        if e.errno == errno.ENOSPC:
            raise ExportError(f"no space left on the device holding {out.parent} (about {need / 1e9:.2f} GB needed, "
                              f"{free / 1e9:.2f} GB were free); the partial output was removed", "disk-full") from e
        raise ExportError(f"cannot write {out}: {e}; the partial output was removed") from e
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    log(f"wrote {out} in {time.time() - t0:.1f}s")
    return manifest


def _eta_log(log: Log, t0: float) -> Log:
    def f(s: str) -> None:
        log(f"  [{time.time() - t0:6.1f}s] {s}")
    return f


def _replace(tmp: Path, out: Path) -> None:
    """Move the finished folder into place (an existing model folder at `out` is replaced)."""
    if out.is_dir():
        shutil.rmtree(out)
    elif out.exists():
        out.unlink()
    os.replace(tmp, out)
