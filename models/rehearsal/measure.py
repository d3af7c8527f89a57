"""Measurement helpers: a command under /usr/bin/time -v, `slime ask` with its process tree's RSS, a test image."""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from .shapes import ROOT

NODE = ROOT / "node_modules" / ".bin" / "node"
PYTHON = ROOT / ".venv" / "bin" / "python"


def folder_bytes(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


def timed(cmd: list[str], log_path: Path, cwd: Path = ROOT) -> dict:
    """Runs cmd under GNU time -v; returns wall seconds, peak RSS (MB) and the exit code. Output goes to log_path."""
    t0 = time.time()
    with open(log_path, "w") as log:
        proc = subprocess.run(["/usr/bin/time", "-v", *cmd], cwd=cwd, stdout=log, stderr=subprocess.STDOUT)
    text = log_path.read_text(errors="replace")
    rss = re.search(r"Maximum resident set size \(kbytes\): (\d+)", text)
    return {"returncode": proc.returncode, "wall_s": round(time.time() - t0, 1),
            "peak_rss_mb": round(int(rss.group(1)) / 1024, 1) if rss else None, "log": str(log_path),
            "command": shlex.join(str(c) for c in cmd)}


def _children(pid: int) -> list[int]:
    out = []
    for p in Path("/proc").iterdir():
        if not p.name.isdigit():
            continue
        try:
            fields = (p / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            out.append(int(p.name))
    return out


def _status_kb(pid: int, key: str) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


class TreeRss:
    """Polls the peak RSS (VmHWM) of every process under a root pid until stopped; keeps the largest child's."""

    def __init__(self, root: int, every: float = 0.1) -> None:
        self.root, self.every, self.peak_kb, self._stop = root, every, 0, threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            todo, seen = [self.root], []
            while todo:
                pid = todo.pop()
                seen.append(pid)
                todo.extend(_children(pid))
            for pid in seen[1:]:  # the inference process is a descendant of the CLI
                self.peak_kb = max(self.peak_kb, _status_kb(pid, "VmHWM"))
            time.sleep(self.every)

    def stop(self) -> float:
        self._stop.set()
        self.thread.join()
        return round(self.peak_kb / 1024, 1)


def slime_ask(model: Path, image: Path, question: str, max_tokens: int) -> dict:
    """`slime ask --json` on model/image; returns its summary plus the CLI wall time and the inference child's
    peak RSS. Decode tok/s counts the steps after the first token (generate + sample + detokenize time)."""
    with tempfile.TemporaryDirectory() as data:
        cmd = [str(NODE), "electron/cli/main.ts", "ask", "--json", "--data-dir", data, "--model-dir", str(model),
               "--image", str(image), "--question", question, "--max-tokens", str(max_tokens)]
        t0 = time.time()
        proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        rss = TreeRss(proc.pid)
        out, err = proc.communicate()
        wall = time.time() - t0
        peak = rss.stop()
    lines = [ln for ln in out.splitlines() if ln.startswith("{")]
    if proc.returncode != 0 or not lines:
        return {"error": (out + err)[-2000:], "returncode": proc.returncode, "command": shlex.join(cmd)}
    summary = json.loads(lines[-1])
    t, tok = summary["timings"], summary["tokens"]
    steps = tok["generated"] - 1
    decode_ms = t["generate"] + t["sample"] + t["detokenize"]
    return {"command": shlex.join(cmd), "cli_wall_s": round(wall, 2), "inference_peak_rss_mb": peak,
            "ttft_ms": round(t["ttft"], 1), "prefill_ms": round(t["prefill"], 1), "prefill_rows": tok["prefill"],
            "generated": tok["generated"], "decode_tok_s": round(steps / (decode_ms / 1e3), 2) if steps > 0 else None,
            "grid": f"{summary['grid']['cols']}x{summary['grid']['rows']}",
            "timings_ms": {k: round(v, 1) for k, v in t.items() if isinstance(v, (int, float))},
            "answer": summary["answer"][:200], "provider": summary["provider"]}


def load_probe(model: Path) -> dict:
    """Loads the folder with the inference process's Engine (models/rehearsal/load_probe.ts): load ms and RSS."""
    proc = subprocess.run([str(NODE), str(Path(__file__).with_name("load_probe.ts")), str(model)], cwd=ROOT,
                          capture_output=True, text=True)
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("{")]
    if proc.returncode != 0 or not lines:
        return {"error": (proc.stdout + proc.stderr)[-2000:], "returncode": proc.returncode}
    return json.loads(lines[-1])


def make_image(path: Path, width: int = 1024, height: int = 1024) -> Path:
    """A deterministic 1024×1024 picture (bands, boxes and text); SliME tiles it 2×3 (6 tiles, ~1,400 rows)."""
    from PIL import Image, ImageDraw

    img = Image.new("RGB", (width, height), (235, 232, 220))
    d = ImageDraw.Draw(img)
    for i in range(0, width, 64):
        d.rectangle([i, 0, i + 31, height], fill=(40 + i % 200, 90, 160 - i % 120))
    for j in range(12):
        x, y = (j * 137) % (width - 160), (j * 251) % (height - 100)
        d.rectangle([x, y, x + 150, y + 90], outline=(0, 0, 0), width=4, fill=(250, 250, 250))
        d.text((x + 12, y + 35), f"label {j}: {j * 17}", fill=(10, 10, 10))
    path.parent.mkdir(parents=True, exist_ok=True)
    img.save(path)
    return path


def rss_now_mb() -> float:
    return round(_status_kb(os.getpid(), "VmRSS") / 1024, 1)


if __name__ == "__main__":  # python -m models.rehearsal.measure MODEL IMAGE: one ask, for debugging
    print(json.dumps(slime_ask(Path(sys.argv[1]), Path(sys.argv[2]), "What is written here?", 8), indent=2))
