"""Report sections of results.json: the claims verdict rule, the fair comparison's cost, the OOS 'began the sentence'
figure, and that RESULTS.md shows the guard, out-of-scope and claims sections of the committed results.json."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

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


def _val(acc: float, oos_rate: float) -> dict:
    return {"val": {"accuracy": acc}, "out_of_scope_val": {"rate": oos_rate}}


def test_retrain_rule_prefers_an_out_of_scope_candidate_then_the_plain_model() -> None:
    from models.nano import retrain_report as rr

    base = rr.BASELINE_VAL
    assert rr.pick({"A": _val(87.1, 0), "B": _val(87.5, 0), "C": _val(90.0, 99.5)}) == "C"
    assert rr.pick({"A": _val(87.1, 0), "B": _val(87.5, 96.0), "C": _val(90.0, 94.0)}) == "B"
    assert rr.pick({"A": _val(87.1, 0), "B": _val(87.5, 0), "C": _val(base, 99.5)}) == "A"  # C not above the bar
    assert rr.pick({"A": _val(base, 0), "C": _val(80.0, 100.0)}) is None


def test_retrain_section_renders_with_the_shipped_figures() -> None:
    from models.nano import retrain_report as rr

    r = json.loads((NANO / "results.json").read_text())["retrain"]
    text = "\n".join(rr.render(r))
    assert f"heldout **{r['picked_heldout']['heldout_accuracy']:.2f}**" in text
    assert all(f"| {k}" in text for k in r["candidates"]) and text.count("(picked)") == 1


def test_fine_tune_options_can_drop_only_the_router_noise() -> None:
    from models.nano.finetune_oos import stage_options
    from models.nano.train import FULL

    assert stage_options() == FULL
    off = stage_options(router_noise=False)
    assert off["router_noise"] is False and {k: v for k, v in off.items() if k != "router_noise"} == {
        k: v for k, v in FULL.items() if k != "router_noise"}


def test_sizes_rule_needs_small_objects_better_val_kept_and_the_sentence() -> None:
    from models.nano import sizes_report as sr

    def cand(val: float, small: float, oos_rate: float) -> dict:
        return {"val_accuracy": val, "val_small_accuracy": small, "out_of_scope_rate_val": oos_rate}

    c = cand(90.02, 50.0, 99.5)
    assert sr.meets(c, cand(89.5, 52.0, 98.0))
    assert not sr.meets(c, cand(89.5, 51.9, 98.0))  # not 2 points better on the small objects
    assert not sr.meets(c, cand(88.9, 60.0, 98.0))  # val dropped below 89
    assert not sr.meets(c, cand(90.5, 60.0, 94.0))  # lost the out-of-scope sentence
    assert not sr.meets(c, None)
    assert sr.pick(c, {"D": cand(81.9, 83.6, 100.0), "E": cand(89.5, 60.0, 99.0)}) == "E"
    assert sr.pick(c, {"D": cand(89.5, 60.0, 99.0), "E": cand(89.5, 60.0, 99.0)}) == "D"
    assert sr.pick(c, {"D": cand(81.9, 83.6, 100.0)}) == "C"


def test_shipped_retrain_is_the_newest_shipped_section() -> None:
    from models.nano.report import shipped_retrain

    h = {"heldout_accuracy": 1.0}
    assert shipped_retrain({}) is None
    assert shipped_retrain({"retrain": {"shipped": True, "picked_heldout": h}})[1] is h
    newer = {"heldout_accuracy": 2.0}
    both = {"retrain": {"shipped": True, "picked_heldout": h},
            "retrain_sizes": {"shipped": True, "picked_heldout": newer}}
    assert shipped_retrain(both)[1] is newer
    both["retrain_sizes"]["shipped"] = False
    assert shipped_retrain(both)[1] is h


def test_tower_probe_scores_every_size_on_a_tiny_tower(tmp_path: Path, monkeypatch) -> None:
    import torch

    from models.nano import tower_probe
    from models.slime import SlimeForCausalLM
    from models.slime.config import SlimeConfig

    cfg = SlimeConfig.tiny(image_size=112, patch_size=14, vision_hidden=32, local_queries=16)
    torch.manual_seed(0)
    tower = tmp_path / "stage0_vision.pt"
    torch.save({f"vision.{k}": v for k, v in SlimeForCausalLM(cfg).vision.state_dict().items()}, tower)
    monkeypatch.setattr(tower_probe, "FIT_SCENES", 3)
    monkeypatch.setattr(tower_probe, "EVAL_SCENES", 2)
    monkeypatch.setattr(tower_probe, "FIT_STEPS", 5)
    r = tower_probe.probe(tower, cfg, (13, 14))
    assert list(r["by_size"]) == ["13-14", "10-11", "8-9"]
    assert all(0 <= v <= 100 for s in r["by_size"].values() for v in s.values())


def test_glyph_rule_needs_val_91_the_sentence_and_picks_on_both_sizes() -> None:
    from models.nano import glyph_report as gr

    def cand(val: float, oos_rate: float, in_scope: float = 0.0, small: float | None = None) -> dict:
        c = {"val_accuracy": val, "out_of_scope_rate_val": oos_rate, "in_scope_answered_with_sentence_val": in_scope}
        return c if small is None else {**c, "val_small_accuracy": small}

    assert gr.eligible(cand(91.0, 95.0))
    assert not gr.eligible(cand(90.9, 100.0))  # not a point above the shipped model's 90.02
    assert not gr.eligible(cand(92.0, 94.5))  # lost the out-of-scope sentence
    assert not gr.eligible(cand(92.0, 99.0, in_scope=1.5))  # answers in-scope questions with it
    assert gr.eligible(cand(89.0, 99.0, small=52.25), "S")  # the small-object track: val 89 and small objects better
    assert not gr.eligible(cand(89.0, 99.0, small=52.0), "S") and not gr.eligible(cand(88.9, 99.0, small=80.0), "S")
    assert not gr.eligible(cand(90.0, 99.0), "S")  # not measured at 10-11 px
    assert gr.pick({"g1": cand(87.1, 100.0), "g2": cand(89.5, 100.0)}) == "C"
    assert gr.pick({"g2": cand(91.5, 100.0), "g3": cand(90.0, 100.0)}) == "g2"  # one eligible: no 10-11 px needed
    with pytest.raises(SystemExit, match="10-11 px"):  # several: each needs it
        gr.pick({"g2": cand(91.5, 100.0), "g3": cand(92.0, 100.0, small=50.0)})
    assert gr.pick({"g2": cand(91.5, 100.0, small=60.0), "g3": cand(92.0, 100.0, small=50.0)}) == "g2"
    assert gr.pick({"g3": cand(91.2, 100.0, small=50.0), "s1": cand(89.5, 100.0, small=75.0)}) == "s1"
    h = {"heldout_accuracy": 87.2, "hard_accuracy": 49.24, "out_of_scope_rate": 97.0}
    assert not gr.ships(h, "G") and not gr.ships(h, "S")  # G needs heldout 88; S needs hard above C's
    assert gr.ships({**h, "hard_accuracy": 60.0}, "S") and not gr.ships({**h, "heldout_accuracy": 86.9}, "S")
    assert gr.ships({**h, "heldout_accuracy": 88.0}, "G")
    assert not gr.ships({**h, "heldout_accuracy": 88.0, "out_of_scope_rate": 94.0}, "G")


def test_glyph_section_renders_from_the_work_folders(tmp_path: Path) -> None:
    from models.nano import glyph_report as gr

    def val(acc: float) -> dict:
        fam = {f: acc for f in ("colour", "shape", "glyph", "count", "exist", "position")}
        return {"val": {"accuracy": acc, "accuracy_by_family": fam, "questions": 591},
                "out_of_scope_val": {"rate": 100.0, "questions": 200},
                "in_scope_answered_with_sentence_val": {"rate": 0.0, "questions": 591}}

    for folder, acc in ((gr.REFERENCE, 90.02), (gr.CANDIDATES["g2"][0], 89.5)):
        (tmp_path / folder).mkdir(parents=True)
        (tmp_path / folder / "val.json").write_text(json.dumps(val(acc)))
    (tmp_path / "glyph" / "RULE.txt").write_text("Written before.\n")
    decode = {str(tmp_path / gr.CANDIDATES["g2"][0] / "final.pt"): {"colour": 99.5, "shape": 98.5, "glyph": 92.8}}
    (tmp_path / gr.DECODE).write_text(json.dumps(decode))
    r = gr.build(tmp_path, shipped=False)
    assert r["picked"] == "C" and set(r["candidates"]) == {"C", "g2"}
    assert r["candidates"]["g2"]["val_decode"]["glyph"] == 92.8 and "val_decode" not in r["candidates"]["C"]
    text = "\n".join(gr.render(r))
    assert "| g2: " in text and "| G | 89.50 | – |" in text and "99.5 / 98.5 / 92.8" in text
    assert "> Written before." in text
    assert "keeps the shipped model" in text


def test_fine_tune_refuses_the_attribute_cross_entropy_without_a_trainable_compressor(capsys) -> None:
    from models.nano import finetune_oos

    with pytest.raises(SystemExit):
        finetune_oos.main(["--attr-ce", "1"])  # --trainable llm (the default) leaves the compressor frozen
    assert "--trainable sampler_llm" in capsys.readouterr().err
