"""Machine-readable progress of `python -m models.export --progress-json`: one JSON object per stdout line.

Events (the app's convert job reads them, electron/node/convertJob.ts):
  {"event": "progress", "stage": "load"|"towers"|"llm"|"finish", "fraction": 0..1, "elapsed_s": s,
   "eta_s": s|null, "layer": i|null, "layers": n|null, "message": "<the human log line>"}
  {"event": "done", "out": "<folder>", "elapsed_s": s}
  {"event": "error", "kind": "<kind>", "message": "<what went wrong>"}
Error kinds: CheckpointError.kind (not-a-checkpoint, missing-shard, missing-key, unknown-key, shape, unreadable,
clip, tokenizer, checkpoint), ExportError.kind (out-exists, disk-full, write-failed), config (ConfigError),
not-found (FileNotFoundError), cancelled (SIGTERM/SIGINT), internal (anything else).

The stage comes from the converter's own log lines ("[k/3] …", "decoder layer i/n (…, ETA …s)"), written by
models/convert/stream.py and llm_graph.py; models/tests/test_export_progress.py pins the two together.
"""

from __future__ import annotations

import json
import re
import sys
import time
from typing import Any, Callable, TextIO

# Share of the whole job at the start of each stage (8B rehearsal: towers ~10%, LLM ~80%, hashes/manifest the rest).
STAGE_START = {"load": 0.0, "towers": 0.03, "llm": 0.12, "finish": 0.92}
LLM_SPAN = STAGE_START["finish"] - STAGE_START["llm"]
_STAGE_LINE = re.compile(r"^\[(\d)/3\]")
_LAYER_LINE = re.compile(r"decoder layer (\d+)/(\d+) \(([\d.]+)s, ETA (\d+)s\)")
_STAGES = {1: "towers", 2: "llm", 3: "finish"}


class JsonProgress:
    """A `log` callable for export_checkpoint that writes progress events instead of plain lines."""

    def __init__(self, stream: TextIO | None = None, clock: Callable[[], float] = time.time) -> None:
        self.stream = stream or sys.stdout
        self.clock = clock
        self.t0 = clock()
        self.stage = "load"
        self.fraction = 0.0

    def emit(self, event: dict[str, Any]) -> None:
        self.stream.write(json.dumps(event) + "\n")
        self.stream.flush()

    def __call__(self, line: str) -> None:
        text = line.strip()
        eta: float | None = None
        layer = layers = None
        if m := _STAGE_LINE.match(text):
            self.stage = _STAGES.get(int(m.group(1)), self.stage)
            self.fraction = max(self.fraction, STAGE_START[self.stage])
        elif m := _LAYER_LINE.search(text):
            layer, layers, eta = int(m.group(1)), int(m.group(2)), float(m.group(4))
            self.stage = "llm"
            self.fraction = max(self.fraction, STAGE_START["llm"] + LLM_SPAN * layer / layers)
        self.emit({"event": "progress", "stage": self.stage, "fraction": round(self.fraction, 4),
                   "elapsed_s": round(self.clock() - self.t0, 2), "eta_s": eta, "layer": layer, "layers": layers,
                   "message": text})

    def done(self, out: str) -> None:
        self.emit({"event": "done", "out": out, "elapsed_s": round(self.clock() - self.t0, 2)})

    def error(self, e: BaseException) -> None:
        self.emit({"event": "error", "kind": error_kind(e), "message": str(e) or type(e).__name__})


def error_kind(e: BaseException) -> str:
    """The machine name of a conversion failure (see the module docstring)."""
    from ..slime.checkpoint import CheckpointError
    from ..slime.config import ConfigError
    from .stream import ExportError

    if isinstance(e, (CheckpointError, ExportError)):
        return e.kind
    if isinstance(e, ConfigError):
        return "config"
    if isinstance(e, FileNotFoundError):
        return "not-found"
    if isinstance(e, KeyboardInterrupt):
        return "cancelled"
    return "internal"
