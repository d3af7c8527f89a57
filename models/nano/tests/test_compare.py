"""The fair comparison's bookkeeping (models.nano.compare / compare_report): mean ± SE over seeds, the claim verdicts,
and the queue's run claims that let one queue process per core share the list."""

from __future__ import annotations

import hashlib
import json
import math
import os
import subprocess
import sys
from pathlib import Path

from models.nano import compare, compare_report, data


def _run(variant: str, seed: int, acc: float, glyph: float = 50.0) -> dict:
    fam = {f: acc for f in data.FAMILIES} | {"glyph": glyph}
    split = {"accuracy": acc, "accuracy_by_family": fam, "questions": 600}
    return {"variant": variant, "seed": seed, "budget": 160, "steps": {"x": 160}, "train_seconds": 1,
            "val": split, "heldout": split, "hard": split}


def test_aggregate_gives_mean_and_standard_error_over_seeds() -> None:
    runs = [_run("staged", s, a) for s, a in enumerate((70.0, 72.0, 74.0))]
    agg = compare_report.aggregate(runs)
    h = agg["staged"]["heldout"]
    assert h["mean"] == 72.0 and h["n"] == 3
    assert math.isclose(h["se"], 2.0 / math.sqrt(3), abs_tol=0.01)  # s.d. 2 over 3 seeds


def test_claim_verdicts_follow_the_two_se_rule() -> None:
    staged = [_run("staged", s, a, glyph=g) for s, (a, g) in enumerate(((80, 60), (81, 62), (79, 61)))]
    joint = [_run("joint", s, a) for s, a in enumerate((75.0, 76.0, 74.0))]
    glob = [_run("global_only", s, a, glyph=g) for s, (a, g) in enumerate(((80, 10), (70, 12), (90, 11)))]
    hd = [_run("hd_uncompressed", s, a) for s, a in enumerate((83.0, 84.0, 82.0))]
    runs = staged + joint + glob + hd
    out = {(c["a"], c["b"], c["family"]): c for c in compare_report.claims(compare_report.aggregate(runs), runs)}
    assert out[("staged", "joint", None)]["verdict"] == "holds"  # +5 with SE(Δ) ~0.8
    assert out[("staged", "global_only", None)]["verdict"] == "not resolved"  # +0 with a wide global_only spread
    assert out[("staged", "global_only", "glyph")]["verdict"] == "holds"  # per-family figures, not overall
    assert out[("staged", "hd_uncompressed", None)]["verdict"] == "does not hold"  # −3, beyond its error
    assert ("alternating", "joint", None) not in out  # a variant without runs makes no claim


def test_queue_claims_a_run_once_and_takes_over_a_dead_claimers(tmp_path: Path) -> None:
    run_dir = tmp_path / "joint-b160-s0"
    assert compare._claim(run_dir)
    assert compare._claim(run_dir)  # the claimer itself may go on (a resumed queue in the same process)
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    (run_dir / "claim").write_text(dead.stdout.strip())
    assert compare._claim(run_dir)  # its claimer exited: taken over
    assert (run_dir / "claim").read_text() == str(os.getpid())
    other = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        (run_dir / "claim").write_text(str(other.pid))
        assert not compare._claim(run_dir)  # a live queue process owns it
    finally:
        other.kill()
        other.wait()
    (run_dir / "eval.json").write_text("{}")
    (run_dir / "claim").unlink()
    assert not compare._claim(run_dir)  # finished runs are never claimed


def test_one_seed_gives_no_verdict() -> None:
    runs = [_run("staged", 0, 80.0), _run("joint", 0, 70.0)]
    (c,) = [c for c in compare_report.claims(compare_report.aggregate(runs), runs) if c["b"] == "joint"]
    assert c["verdict"] == "needs ≥ 2 seeds" and c["se_delta"] is None


def test_update_reports_every_comparison_folder(tmp_path: Path) -> None:
    nano = Path(compare.__file__).parent
    results = tmp_path / "results.json"
    results.write_text((nano / "results.json").read_text())
    for folder, llm_steps, acc in (("cmp", 600, 50.0), ("cmp-long", 1500, 70.0)):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "stage0.json").write_text(json.dumps({"llm_steps": llm_steps, "connector_steps": 10}))
        for v in ("staged", "joint"):
            for s in range(3):
                d = tmp_path / folder / f"{v}-b160-s{s}"
                d.mkdir()
                (d / "eval.json").write_text(json.dumps(_run(v, s, acc + s + (5 if v == "staged" else 0))))
    fc = compare_report.update(results, cmp_root=tmp_path)
    assert list(fc["budgets"]) == ["cmp: stage 0b 600 + 160", "cmp-long: stage 0b 1500 + 160"]
    assert fc["budgets"]["cmp-long: stage 0b 1500 + 160"]["variants"]["staged"]["heldout"]["mean"] == 76.0
    text = (tmp_path / "RESULTS.md").read_text()
    assert "Verdict per comparison" in text and "### cmp-long: stage 0b 1500 + 160" in text


def test_llm_file_meta_records_origin_and_steps(tmp_path: Path) -> None:
    own = tmp_path / "stage0_llm_own-head.pt"
    own.write_bytes(b"weights")
    (tmp_path / "train_own-head.json").write_text(json.dumps({"steps": 600, "seconds": 1532}))
    meta = compare.llm_file_meta(own)
    assert meta["llm_file"] == str(own.resolve())  # outside work/: the absolute path
    assert meta["llm_file_sha256"] == hashlib.sha256(b"weights").hexdigest()
    assert meta["llm_steps"] == 600 and meta["llm_seconds"] == 1532 and "own-head" in meta["routes"]
    plain = tmp_path / "other" / "stage0_llm.pt"
    plain.parent.mkdir()
    plain.write_bytes(b"x")
    (plain.parent / "stage0.json").write_text(json.dumps({"llm_steps": 1500, "connector_steps": 10}))
    assert compare.llm_file_meta(plain)["llm_steps"] == 1500 and "routes" not in compare.llm_file_meta(plain)
