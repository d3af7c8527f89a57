"""python -m models.mine: a local Ray cluster with 2 workers gives the single-process answers and signals, and both
equal the app's own ask-folder job (`slime dataset ask-folder`, the TypeScript engine) on the same images.

Tolerances: Ray vs single process run the same code and graphs with one onnxruntime thread each, so answers, sweep
texts and verdicts are equal and numbers agree to 1e-9. Python vs the app: answers, sweep answers, kept counts,
divergence indices, instability and the OOD verdict are equal; the float signals come from two onnxruntime builds
(Python wheel vs onnxruntime-node) and two float64 code paths: detail, margin and needs_detail to 1e-5 abs, the OOD
score to 1e-5 relative, the embedding to 1e-4 abs (SESSION2-PLAN.md). Measured on Nano: every difference <= 1e-15,
embeddings bit-identical."""

from __future__ import annotations

import json
import math
import shutil
import sqlite3
import subprocess
from pathlib import Path

import numpy as np
import pytest

from models.mine.cli import load_items, main
from models.mine.rank import needs_detail
from models.mine.run import run_local, run_ray
from models.mine.shards import read_shards, write_shards
from models.mine.worker import MineConfig

ROOT = Path(__file__).resolve().parents[2]
NANO = ROOT / "models" / "nano"
MIXED = ROOT / "test" / "fixtures" / "mining"
NODE = ROOT / "node_modules" / ".bin" / "node"
QUESTIONS = ["What colour is the star?", "How many objects are there?"]
FLOATS = ("detail", "detail_full", "detail_global_only", "instability", "margin", "ood_score", "needs_detail")


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Three Nano heldout scenes and one real photo (which the guard flags)."""
    d = tmp_path_factory.mktemp("mine-folder")
    for name in ("heldout-000.png", "heldout-001.png", "heldout-002.png"):
        shutil.copy(MIXED / "scenes" / name, d / name)
    shutil.copy(MIXED / "photos" / "camera.png", d / "photo-camera.png")
    return d


@pytest.fixture(scope="module")
def cfg() -> MineConfig:
    return MineConfig(model_dir=str(NANO))


@pytest.fixture(scope="module")
def local(folder: Path, cfg: MineConfig) -> dict:
    return run_local(load_items([folder], QUESTIONS, None), cfg)


@pytest.fixture(scope="module")
def ray2(folder: Path, cfg: MineConfig) -> dict:
    return run_ray(load_items([folder], QUESTIONS, None), cfg, workers=2)


def test_two_ray_workers_equal_the_single_process_run(local: dict, ray2: dict) -> None:
    assert len(local["rows"]) == len(ray2["rows"]) == 8 and not local["failed"] and not ray2["failed"]
    for a, b in zip(local["rows"], ray2["rows"]):
        for k in ("image_sha256", "question", "answer", "diverge_at", "sweep", "missing", "in_dist", "image"):
            assert a[k] == b[k], k
        for k in FLOATS:
            assert a[k] == pytest.approx(b[k], abs=1e-9), k
        np.testing.assert_allclose(a["embedding"], b["embedding"], atol=1e-9)
        assert json.loads(b["provenance"])["workers"] == 2 and json.loads(a["provenance"])["workers"] == 0
    # The photo is out of distribution and ranks below every scene.
    photo = [r for r in ray2["rows"] if r["image"]["path"] == "photo-camera.png"]
    scenes = [r for r in ray2["rows"] if r["image"]["path"] != "photo-camera.png"]
    assert all(r["in_dist"] is False and r["needs_detail"] < 0 for r in photo)
    assert all(r["in_dist"] is True and r["needs_detail"] >= 0 for r in scenes)


def app_job(folder: Path, tmp: Path) -> dict[tuple[str, str], dict]:
    """Runs `slime dataset ask-folder` (the app's mining job) and reads its rows back from the dataset file."""
    db = tmp / "dataset.sqlite"
    args = [str(NODE), str(ROOT / "electron/cli/main.ts"), "dataset", "ask-folder", str(folder), "--db", str(db),
            "--model-dir", str(NANO), "--json"]
    for q in QUESTIONS:
        args += ["--question", q]
    done = subprocess.run(args, cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    c = sqlite3.connect(db)
    c.row_factory = sqlite3.Row
    rows = c.execute("""SELECT p.image_sha256, p.question, t.answer, e.detail_score, e.detail_full, e.detail_global,
                               s.instability, s.diverge_at, s.margin, s.ood_score, s.in_dist, s.needs_detail, s.missing,
                               v.vector
                        FROM mining_pairs p JOIN examples e ON e.id = p.example_id
                        JOIN turns t ON t.example_id = e.id AND t.position = 0
                        JOIN example_signals s ON s.example_id = e.id
                        LEFT JOIN image_embeddings v ON v.image_sha256 = p.image_sha256""").fetchall()
    return {(r["image_sha256"], r["question"]): dict(r) for r in rows}


@pytest.mark.skipif(not NODE.exists(), reason="node_modules is not installed (npm ci); the app side cannot run")
def test_the_ray_job_equals_the_apps_ask_folder_job(folder: Path, ray2: dict, tmp_path: Path) -> None:
    app = app_job(folder, tmp_path)
    assert len(app) == len(ray2["rows"]) == 8
    for r in ray2["rows"]:
        a = app[(r["image_sha256"], r["question"])]
        where = f"{r['image']['path']} / {r['question']}"
        assert r["answer"] == a["answer"], where
        assert r["detail"] == pytest.approx(a["detail_score"], abs=1e-5), where
        assert r["detail_full"] == pytest.approx(a["detail_full"], abs=1e-5), where
        ts_sweep = [{k: s[k] for k in ("id", "answer", "keptLocal", "divergeAt")} for s in json.loads(a["diverge_at"])]
        assert json.loads(r["sweep"]) == ts_sweep, where
        assert r["instability"] == a["instability"], where
        assert r["margin"] == pytest.approx(a["margin"], abs=1e-5), where
        assert r["in_dist"] == bool(a["in_dist"]), where
        assert r["ood_score"] == pytest.approx(a["ood_score"], rel=1e-5), where
        assert r["needs_detail"] == pytest.approx(a["needs_detail"], abs=1e-5), where
        assert r["missing"] == json.loads(a["missing"]), where
        np.testing.assert_allclose(r["embedding"], np.frombuffer(a["vector"], "<f4"), atol=1e-4, err_msg=where)


def test_parquet_input_and_shards_round_trip(folder: Path, local: dict, tmp_path: Path) -> None:
    """Shards written from a run are a valid input: mining them again (one question column per row) in this process
    gives the same answers; the CLI writes part-00000.parquet with provenance."""
    rows = [r for r in local["rows"] if r["question"] == QUESTIONS[0]][:2]
    src = tmp_path / "in"
    write_shards(rows, src)
    out = tmp_path / "out"
    assert main([str(src), "--out", str(out), "--local", "--json"]) == 2  # no --question: refused
    assert main([str(src), "--out", str(out), "--local", "--question", QUESTIONS[1], "--json"]) == 0
    back = read_shards(out)
    assert [(r["image_sha256"], r["question"]) for r in back] == [
        (r["image_sha256"], q) for r in rows for q in (QUESTIONS[1], QUESTIONS[0])]
    by_key = {(r["image_sha256"], r["question"]): r for r in local["rows"]}
    for r in back:
        assert r["answer"] == by_key[(r["image_sha256"], r["question"])]["answer"]
        prov = json.loads(r["provenance"])
        assert prov["tool"] == "models.mine" and prov["workers"] == 0 and len(prov["manifestSha256"]) == 64
    with pytest.raises(FileExistsError):
        write_shards(back, out)


def test_needs_detail_is_the_shared_formula() -> None:
    got, missing = needs_detail(1.2, 0.5, 0.3, True)
    assert got == pytest.approx(0.5 * (1 - math.exp(-1.2)) + 0.35 * 0.5 + 0.15 * 0.7) and missing == []
    assert needs_detail(-3.0, 0.0, 1.0, True) == (0.0, [])
    low, _ = needs_detail(5.0, 1.0, 0.0, False)
    assert -1 < low < 0
    assert needs_detail(None, None, None, None) == (0.0, ["detail", "instability", "margin", "ood"])


@pytest.mark.skipif(not NODE.exists() or not (ROOT / "database/importers/parquetRows.ts").exists(),
                    reason="needs node_modules and the app's Parquet import (database/importers/parquetRows.ts)")
def test_slime_dataset_import_reads_the_shards_back_with_provenance(local: dict, tmp_path: Path) -> None:
    out = tmp_path / "shards"
    write_shards(local["rows"], out, rows_per_shard=5)  # two shards
    db = tmp_path / "imported" / "dataset.sqlite"
    done = subprocess.run([str(NODE), str(ROOT / "electron/cli/main.ts"), "dataset", "import", str(out), "--db", str(db),
                           "--json"], cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    assert json.loads(done.stdout.strip().splitlines()[-1])["imported"] == len(local["rows"])
    c = sqlite3.connect(db)
    got = {(sha, q): json.loads(p) for sha, q, p in c.execute(
        "SELECT e.image_sha256, t.question, e.provenance FROM examples e JOIN turns t ON t.example_id = e.id")}
    for r in local["rows"]:
        mining = got[(r["image_sha256"], r["question"])]["mining"]
        assert mining["detail"] == r["detail"] and mining["needs_detail"] == r["needs_detail"]
        assert mining["provenance"]["tool"] == "models.mine" and mining["in_dist"] == r["in_dist"]
