"""The image embedding and the out-of-distribution guard (models/ort_signals.py, models/ood.py, models/nano/ood.json)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from models import ood
from models.ort_pipeline import OrtSlime
from models.ort_signals import encode, image_embedding, load_image

ROOT = Path(__file__).resolve().parents[2]
NANO = ROOT / "models/nano"
TINY = ROOT / "test/fixtures/slime-tiny"


@pytest.fixture(scope="module")
def nano() -> OrtSlime:
    return OrtSlime(NANO, threads=1)


def test_embedding_is_the_normalised_mean_of_the_global_rows(nano: OrtSlime) -> None:
    image = load_image(sorted((NANO / "samples").glob("*.png"))[0])
    feats = encode(nano, image)
    g = feats.projector["global_tokens"]
    assert g.shape == (64, 256)
    e = image_embedding(nano, feats)
    assert e.dtype == np.float32 and e.shape == (256,)
    assert abs(float(np.linalg.norm(e)) - 1) < 1e-6
    want = g.astype(np.float64).mean(0)
    np.testing.assert_allclose(e, want / np.linalg.norm(want), atol=1e-7)
    np.testing.assert_array_equal(image_embedding(nano, image), e)  # deterministic from the image


def test_knn_score_is_one_minus_mean_cosine_of_the_k_nearest() -> None:
    rng = np.random.default_rng(1)
    ref = rng.normal(size=(50, 16))
    ref /= np.linalg.norm(ref, axis=1, keepdims=True)
    q = rng.normal(size=(5, 16))
    q /= np.linalg.norm(q, axis=1, keepdims=True)
    got = ood.ood_scores(ref, q, 7)
    for i in range(5):
        sims = sorted((float(q[i] @ r) for r in ref), reverse=True)[:7]
        assert got[i] == pytest.approx(1 - sum(sims) / 7, abs=1e-12)
    assert ood.ood_scores(ref, ref[:3], 1) == pytest.approx(np.zeros(3), abs=1e-12)  # a reference row is its own NN


def test_mahalanobis_equals_the_shrunk_inverse_covariance_form() -> None:
    rng = np.random.default_rng(2)
    ref = rng.normal(size=(200, 8)) @ rng.normal(size=(8, 8))
    q = rng.normal(size=(4, 8)) * 3
    c = np.cov(ref, rowvar=False)
    lam = 1e-3 * np.trace(c) / 8
    d = q - ref.mean(0)
    full = ood.mahalanobis_fit(ref)
    want = np.einsum("ij,jk,ik->i", d, np.linalg.inv(c + lam * np.eye(8)), d)
    np.testing.assert_allclose(ood.mahalanobis_scores(full, q), want, rtol=1e-9)
    # Truncated: the axes past the rank count as variance 0 (weight 1/λ).
    low = ood.mahalanobis_fit(ref, max_rank=3)
    w, v = np.linalg.eigh(c)
    w = w[::-1].copy()
    v = v[:, ::-1]
    w[3:] = 0
    want_low = np.einsum("ij,jk,ik->i", d, v @ np.diag(1 / (w + lam)) @ v.T, d)
    np.testing.assert_allclose(ood.mahalanobis_scores(low, q), want_low, rtol=1e-6)


def test_shipped_nano_ood_json_matches_the_model_and_flags_real_photos(nano: OrtSlime) -> None:
    doc = json.loads((NANO / ood.FILE).read_text())
    assert doc["version"] == 1 and doc["embedding"] == "global-mean-l2" and doc["k"] == 10
    assert doc["n"] == 512 and doc["dim"] == 256 and doc["recommended"] == "mahalanobis"
    guards = {m: ood.OodGuard.load(NANO, nano.manifest, m) for m in ood.METHODS}
    ref = guards["knn-cosine"].reference
    assert ref.shape == (512, 256)
    # The reference rows are the embeddings of train scenes 0.. (the stage I-III training scenes) by these graphs.
    np.testing.assert_allclose(ood.embed_all(nano, ood.nano_scenes("train", 0, 3)), ref[:3], atol=1e-5)
    cal = doc["mahalanobis"]["calibration"]
    assert cal["validation_flagged"] <= 0.02 and cal["rates"]["real_photos"]["n"] == 20
    g = guards["mahalanobis"]
    skimage_data = Path(__import__("skimage").__file__).parent / "data"
    # colour and grey photos; chelsea.png and immunohistochemistry.png are the two of the 20 photos the guard shipped
    # 2026-12-07 lets through (results.json ood_guard), so they are not asked here
    for name in ("astronaut.png", "coffee.png", "camera.png"):
        s, in_dist = g.score(image_embedding(nano, load_image(skimage_data / name)))
        assert not in_dist and s > g.threshold, name
    scenes = ood.embed_all(nano, ood.nano_scenes("heldout", 0, 8))
    assert int((g.scores(scenes) > g.threshold).sum()) <= 1


def _tiny_copy(tmp: Path) -> Path:
    out = tmp / "model"
    out.mkdir()
    for f in TINY.iterdir():
        if f.is_file():
            os.symlink(f, out / f.name)
    return out


def _images(tmp: Path, n: int, seed: int) -> list[Path]:
    rng = np.random.default_rng(seed)
    paths = []
    for i in range(n):
        base = rng.integers(0, 256, 3)
        img = np.clip(base + rng.normal(0, 12, (48, 64, 3)), 0, 255).astype(np.uint8)
        p = tmp / f"img-{seed}-{i}.png"
        Image.fromarray(img).save(p)
        paths.append(p)
    return paths


def test_build_and_score_cli_on_a_folder_of_images(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    model = _tiny_copy(tmp_path)
    train = _images(tmp_path, 24, 0)
    assert ood.main(["build", str(model), "--images", *map(str, train), "--k", "3"]) == 0
    doc = json.loads((model / ood.FILE).read_text())
    assert doc["n"] == 20 and doc["k"] == 3  # 20% of 24 held out for the threshold
    assert doc["calibration"]["validation_n"] == 4
    capsys.readouterr()
    odd = tmp_path / "odd.png"
    Image.fromarray(np.tile(np.arange(64, dtype=np.uint8) * 4, (48, 1))).save(odd)
    assert ood.main(["score", str(model), str(train[0]), str(odd), "--method", "knn-cosine"]) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [r["method"] for r in rows] == ["knn-cosine"] * 2 and rows[0]["threshold"] == doc["threshold"]
    assert rows[0]["ood_score"] < rows[1]["ood_score"]  # a training image is nearer its reference than a gradient
    # A guard built for other graphs is refused by name instead of scoring with the wrong reference.
    doc["graphs"]["projector"] = "0" * 64
    (model / ood.FILE).unlink()
    (model / ood.FILE).write_text(json.dumps(doc))
    rt = OrtSlime(model)
    with pytest.raises(ValueError, match="rebuild it"):
        ood.OodGuard.load(model, rt.manifest)
    assert ood.OodGuard.load(tmp_path, rt.manifest) is None  # no ood.json: guard unavailable
