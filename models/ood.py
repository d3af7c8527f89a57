"""Out-of-distribution guard: how unlike a model's training images an image is (ood.json beside manifest.json).

  python -m models.ood build <model_dir> [--images FILE...] [--val-images FILE...] [--n 512] [--k 10]
  python -m models.ood score <model_dir> <image>...

ood score = 1 − mean cosine similarity of the image embedding (models.ort_signals.image_embedding) to its k nearest
reference embeddings; OOD when score > threshold. The reference is the embeddings of the model's training images;
the threshold is the 99th percentile of the scores of an in-distribution validation set disjoint from the
reference (and, for SliME-Nano, from the `heldout` and `hard` evaluation splits).

SliME-Nano (a folder whose manifest name is "SliME-Nano"): the reference is train-split scenes 0..n-1 — the first
of the 3,000 scenes stages I-III train on (models/nano/train.py) — and the validation set is `val`-split scenes
when models/nano/data.py has that split, else train-split scenes from index 5,000,000 on (never drawn by any
training stage: stage 0 draws from [10^7, 3·10^7), stages I-III use 0..2,999). `build` then measures the guard
(models/ood_calibrate.py) and writes the rates into `calibration`. Other models: pass --images (training images);
--val-images, or else a seeded 20% of --images is held out of the reference for the threshold.
"""

from __future__ import annotations

import argparse
import base64
import json
import random
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from .ort_pipeline import OrtSlime
from .ort_signals import EMBEDDING_KIND, image_embedding, load_image

FILE = "ood.json"
VERSION = 1
PERCENTILE = 99.0
NANO_VAL_START = 5_000_000
METHODS = ("knn-cosine", "mahalanobis")
SHRINKAGE = 1e-3
MAX_RANK = 512


def embed_all(rt: OrtSlime, images: Iterable[Image.Image]) -> np.ndarray:
    """[N, D] float32 embeddings."""
    rows = [image_embedding(rt, im) for im in images]
    return np.stack(rows).astype(np.float32) if rows else np.zeros((0, rt.manifest["llm"]["hidden"]), np.float32)


def ood_scores(reference: np.ndarray, queries: np.ndarray, k: int) -> np.ndarray:
    """1 − mean cosine similarity to the k nearest reference rows (rows are unit vectors; float64 arithmetic)."""
    ref = np.asarray(reference, np.float64)
    q = np.atleast_2d(np.asarray(queries, np.float64))
    sims = q @ ref.T
    kk = min(k, ref.shape[0])
    top = -np.sort(-sims, axis=1)[:, :kk]
    return 1.0 - top.mean(axis=1)


def mahalanobis_fit(reference: np.ndarray, shrinkage: float = SHRINKAGE, max_rank: int = MAX_RANK) -> dict[str, Any]:
    """Mean, principal axes and inverse variances of the reference embeddings (covariance shrunk by
    shrinkage·trace/D on every axis); axes past max_rank count with the residual weight 1/λ (0 when all are kept)."""
    ref = np.asarray(reference, np.float64)
    mu = ref.mean(axis=0)
    c = np.cov(ref - mu, rowvar=False)
    w, v = np.linalg.eigh(c)
    order = np.argsort(w)[::-1]
    w, v = np.clip(w[order], 0, None), v[:, order]
    lam = shrinkage * float(np.trace(c)) / c.shape[0]
    r = min(c.shape[0], max_rank)
    return {"mean": mu, "components": v[:, :r].T, "inv_var": 1.0 / (w[:r] + lam),
            "residual_weight": 0.0 if r == c.shape[0] else 1.0 / lam, "shrinkage": shrinkage}


def mahalanobis_scores(m: dict[str, Any], queries: np.ndarray) -> np.ndarray:
    """Σ_i inv_var_i·(c_i·d)² + residual_weight·(‖d‖² − Σ_i (c_i·d)²), d = x − mean (float64)."""
    d = np.atleast_2d(np.asarray(queries, np.float64)) - np.asarray(m["mean"], np.float64)
    p = d @ np.asarray(m["components"], np.float64).T
    resid = np.clip((d * d).sum(axis=1) - (p * p).sum(axis=1), 0, None)
    return (p * p * np.asarray(m["inv_var"], np.float64)).sum(axis=1) + float(m["residual_weight"]) * resid


class OodGuard:
    """A loaded ood.json with one of its METHODS (default: the file's `recommended`); `score` → (score, in_dist)."""

    def __init__(self, doc: dict[str, Any], method: str | None = None) -> None:
        if doc.get("version") != VERSION or doc.get("embedding") != EMBEDDING_KIND:
            raise ValueError(f"ood.json: version {doc.get('version')} / embedding {doc.get('embedding')!r} "
                             f"(expected {VERSION} / {EMBEDDING_KIND!r})")
        self.doc = doc
        self.method = method or doc.get("recommended", "knn-cosine")
        if self.method not in METHODS or (self.method == "mahalanobis" and "mahalanobis" not in doc):
            raise ValueError(f"ood.json has no {self.method!r} guard (it has knn-cosine"
                             f"{', mahalanobis' if 'mahalanobis' in doc else ''})")
        self.dim = int(doc["dim"])
        self.k = int(doc["k"])
        self.reference = decode_f32(doc["reference"], self.dim)
        if self.method == "mahalanobis":
            m = doc["mahalanobis"]
            self.maha = {"mean": decode_f32(m["mean"], self.dim)[0], "components": decode_f32(m["components"], self.dim),
                         "inv_var": decode_f32(m["inv_var"], int(m["rank"]))[0],
                         "residual_weight": float(m["residual_weight"])}
            self.threshold = float(m["threshold"])
        else:
            self.threshold = float(doc["threshold"])

    @classmethod
    def load(cls, model_dir: str | Path, manifest: dict[str, Any] | None = None,
             method: str | None = None) -> OodGuard | None:
        """The guard of a model folder; None when it has no ood.json. A stale file (graphs changed) is an error."""
        path = Path(model_dir) / FILE
        if not path.exists():
            return None
        doc = json.loads(path.read_text())
        if manifest is not None:
            stale = [g for g, sha in doc.get("graphs", {}).items() if manifest["graphs"][g]["sha256"] != sha]
            if stale:
                raise ValueError(f"{path} was built for other {'/'.join(stale)} graphs; rebuild it with "
                                 f"python -m models.ood build {model_dir}")
        return cls(doc, method)

    def doc_calibration(self) -> dict[str, Any]:
        return self.doc["mahalanobis"]["calibration"] if self.method == "mahalanobis" else self.doc["calibration"]

    def scores(self, embeddings: np.ndarray) -> np.ndarray:
        if self.method == "mahalanobis":
            return mahalanobis_scores(self.maha, embeddings)
        return ood_scores(self.reference, embeddings, self.k)

    def score(self, embedding: np.ndarray) -> tuple[float, bool]:
        s = float(self.scores(np.asarray(embedding)[None])[0])
        return s, s <= self.threshold


def encode_f32(x: np.ndarray) -> str:
    """Row-major little-endian float32, base64."""
    return base64.b64encode(np.ascontiguousarray(x, dtype="<f4").tobytes()).decode("ascii")


def decode_f32(text: str, cols: int) -> np.ndarray:
    return np.frombuffer(base64.b64decode(text), dtype="<f4").reshape(-1, cols).astype(np.float32)


def threshold_of(val_scores: np.ndarray) -> float:
    """The 99th percentile of in-distribution validation scores (numpy's default linear interpolation)."""
    return float(np.percentile(val_scores, PERCENTILE))


def _validation(val_scores: np.ndarray, t: float) -> dict[str, Any]:
    return {"method": f"threshold = {PERCENTILE:g}th percentile of the validation set's scores",
            "validation_n": int(len(val_scores)), "validation_flagged": float((val_scores > t).mean()),
            "validation_score_quantiles": {q: float(np.percentile(val_scores, float(q))) for q in ("50", "90", "99")}}


def make_doc(rt: OrtSlime, reference: np.ndarray, val: np.ndarray, k: int, sources: dict[str, Any]) -> dict[str, Any]:
    """Both guards from the reference embeddings and the validation embeddings (see MANIFEST.md, ood.json)."""
    knn_val = ood_scores(reference, val, k)
    m = mahalanobis_fit(reference)
    m32 = {**m, **{key: np.asarray(m[key], np.float32).astype(np.float64) for key in ("mean", "components", "inv_var")}}
    maha_val = mahalanobis_scores(m32, val)  # thresholds from the float32 values the file stores
    t_knn, t_maha = threshold_of(knn_val), threshold_of(maha_val)
    return {
        "version": VERSION, "embedding": EMBEDDING_KIND, "method": "knn-cosine", "k": k, "dim": int(reference.shape[1]),
        "n": int(reference.shape[0]), "reference": encode_f32(reference), "threshold": t_knn,
        "recommended": "mahalanobis",
        "graphs": {g: rt.manifest["graphs"][g]["sha256"] for g in ("vision_encoder", "projector")},
        "calibration": {**sources, **_validation(knn_val, t_knn)},
        "mahalanobis": {
            "mean": encode_f32(m["mean"]), "components": encode_f32(m["components"]), "inv_var": encode_f32(m["inv_var"]),
            "rank": int(len(m["inv_var"])), "residual_weight": m["residual_weight"], "shrinkage": m["shrinkage"],
            "threshold": t_maha, "calibration": {**sources, **_validation(maha_val, t_maha)},
        },
    }


def nano_scenes(split: str, start: int, n: int) -> list[Image.Image]:
    from models.nano import data
    return [data.make_scene(split, start + i).image for i in range(n)]


def nano_val_source() -> tuple[str, int]:
    from models.nano import data
    return ("val", 0) if "val" in data.SPLIT_SIZES else ("train", NANO_VAL_START)


def build_nano(rt: OrtSlime, n: int, n_val: int, k: int) -> dict[str, Any]:
    ref = embed_all(rt, nano_scenes("train", 0, n))
    split, start = nano_val_source()
    val = embed_all(rt, nano_scenes(split, start, n_val))
    return make_doc(rt, ref, val, k, {
        "reference_source": f"models.nano.data train split, scenes 0..{n - 1} (stage I-III training scenes)",
        "validation_source": f"models.nano.data {split} split, scenes {start}..{start + n_val - 1}",
    })


def build_images(rt: OrtSlime, images: list[Path], val_images: list[Path], k: int) -> dict[str, Any]:
    if not val_images:
        shuffled = sorted(images)
        random.Random(0).shuffle(shuffled)
        cut = max(1, len(shuffled) // 5)
        val_images, images = shuffled[:cut], shuffled[cut:]
    if len(images) < k:
        raise ValueError(f"{len(images)} reference images; need at least k={k}")
    ref = embed_all(rt, (load_image(p) for p in images))
    val = embed_all(rt, (load_image(p) for p in val_images))
    return make_doc(rt, ref, val, k, {"reference_source": f"{len(images)} training images given to --images",
                                      "validation_source": f"{len(val_images)} held-out images"})


def build(model_dir: Path, images: list[Path], val_images: list[Path], n: int, n_val: int, k: int,
          measure: bool = True) -> dict[str, Any]:
    rt = OrtSlime(model_dir)
    if images:
        doc = build_images(rt, images, val_images, k)
    elif rt.manifest["name"] == "SliME-Nano":
        doc = build_nano(rt, n, n_val, k)
        if measure:
            from .ood_calibrate import measure_nano
            rates = measure_nano(rt, {m: OodGuard(doc, m) for m in METHODS})
            doc["calibration"].update(rates["knn-cosine"])
            doc["mahalanobis"]["calibration"].update(rates["mahalanobis"])
    else:
        raise SystemExit(f"{model_dir}: pass --images (the model's training images) to build its reference")
    (model_dir / FILE).write_text(json.dumps(doc, indent=1) + "\n")
    return doc


def score_files(model_dir: Path, files: list[Path], method: str | None = None) -> list[dict[str, Any]]:
    rt = OrtSlime(model_dir)
    guard = OodGuard.load(model_dir, rt.manifest, method)
    if guard is None:
        raise SystemExit(f"{model_dir} has no {FILE}: the guard is unavailable (python -m models.ood build {model_dir})")
    out = []
    for f in files:
        s, ok = guard.score(image_embedding(rt, load_image(f)))
        out.append({"image": str(f), "ood_score": s, "in_dist": ok, "threshold": guard.threshold,
                    "method": guard.method})
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m models.ood", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    b = sub.add_parser("build", help="compute the reference and threshold, write <model_dir>/ood.json")
    b.add_argument("model_dir", type=Path)
    b.add_argument("--images", type=Path, nargs="*", default=[])
    b.add_argument("--val-images", type=Path, nargs="*", default=[])
    b.add_argument("--n", type=int, default=512, help="Nano: reference scenes")
    b.add_argument("--n-val", type=int, default=512, help="Nano: validation scenes")
    b.add_argument("--k", type=int, default=10)
    b.add_argument("--no-measure", action="store_true", help="Nano: skip the photo/heldout rates")
    s = sub.add_parser("score", help="print one JSON line per image: ood_score, in_dist, threshold")
    s.add_argument("model_dir", type=Path)
    s.add_argument("images", type=Path, nargs="+")
    s.add_argument("--method", choices=METHODS, default=None, help="default: the file's `recommended`")
    a = ap.parse_args(argv)
    if a.cmd == "build":
        doc = build(a.model_dir, a.images, a.val_images, a.n, a.n_val, a.k, not a.no_measure)
        summary = {m: {"threshold": g.threshold, "rates": g.doc_calibration().get("rates")}
                   for m, g in ((m, OodGuard(doc, m)) for m in METHODS)}
        print(json.dumps({"file": str(a.model_dir / FILE), "n": doc["n"], **summary}, indent=1))
        return 0
    for row in score_files(a.model_dir, a.images, a.method):
        print(json.dumps(row))
    return 0


if __name__ == "__main__":
    sys.exit(main())
