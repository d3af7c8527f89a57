"""Report sections of results.json: the claims verdict rule, the fair comparison's cost, the OOS 'began the sentence'
figure, and that RESULTS.md shows the guard, out-of-scope and claims sections of the committed results.json."""

from __future__ import annotations

import json
from pathlib import Path

from models.nano import claims, oos, oos_report
from models.nano.report import write_report

NANO = Path(__file__).resolve().parents[1]


def test_verdicts() -> None:
    assert claims._verdict(0.7, 1.8, False) == "no difference measured"
    assert claims._verdict(19.5, 1.8, True) == "not tested fairly"
    assert claims._verdict(6.0, 1.7, False) == "holds (single run)"
    assert claims._verdict(4.0, 1.7, False) == "weak (2-3 SE, single run)"
    assert claims._verdict(-6.0, 1.7, True) == "not tested fairly"


def test_cost_per_seed_adds_up_and_scales_with_budget() -> None:
    c = claims.cost()["per_seed"]
    for s in c.values():
        parts = sum(v for k, v in s.items() if k != "total")
        assert abs(parts - s["total"]) <= 5
    assert c["1600"]["staged"] > 9 * c["160"]["staged"]


def test_began_sentence_needs_every_miss() -> None:
    miss = [{"answer": oos.SENTENCE[:12] + "x"}, {"answer": "circle"}]
    assert oos_report.began_sentence({"rate": 50.0, "questions": 4, "misses": miss}) == 75.0
    assert oos_report.began_sentence({"rate": 0.0, "questions": 4, "misses": miss}) is None


def test_results_md_renders_the_sections(tmp_path: Path) -> None:
    results = json.loads((NANO / "results.json").read_text())
    out = tmp_path / "RESULTS.md"
    write_report(results, out, tmp_path)
    text = out.read_text()
    for heading in ("## Out-of-scope questions", "## Out-of-distribution guard", "## The paper's claims"):
        assert heading in text
    assert text == (NANO / "RESULTS.md").read_text()  # the committed RESULTS.md is what results.json renders to
