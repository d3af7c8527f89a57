"""One image of a mining job: decode, encode once, embedding and OOD verdict, then per question the sweep (whose
shipped setting is the answer unless the job sets another top-p), the detail score of the trimmed answer, the
shipped setting's first-token margin and the combined rank — as electron/node/mining/pairWork.ts does."""

from __future__ import annotations

import hashlib
import io
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PIL import Image

from ..ood import OodGuard
from ..ort_pipeline import OrtSlime
from ..ort_signals import PromptError, ask, detail_score, encode, image_embedding, load_image, run_sweep
from .rank import needs_detail
from .sources import Item, sha256

DEFAULT_MAX_NEW_TOKENS = 64  # the app's ask-folder default (pairWork.ts), not the manifest's


@dataclass
class MineConfig:
    model_dir: str
    max_new_tokens: int = DEFAULT_MAX_NEW_TOKENS
    top_p: float | None = None  # the job's selector top-p (None: the manifest's)
    ood_method: str | None = None  # None: ood.json's `recommended`
    threads: int = 1
    embed_images: bool = True  # write the image bytes into the shard's `image` struct
    workers: int = 0  # recorded in provenance


class Miner:
    """Holds one loaded model and its OOD guard; `mine(item)` returns the item's rows and failures."""

    def __init__(self, cfg: MineConfig) -> None:
        self.cfg = cfg
        self.rt = OrtSlime(cfg.model_dir, threads=cfg.threads)
        self.guard = OodGuard.load(cfg.model_dir, self.rt.manifest, cfg.ood_method)
        manifest_bytes = (Path(cfg.model_dir) / "manifest.json").read_bytes()
        sel = self.rt.manifest["selector"]
        self.provenance = {
            "modelDir": str(Path(cfg.model_dir).resolve()), "manifestSha256": hashlib.sha256(manifest_bytes).hexdigest(),
            "selector": {"mode": sel["mode"], "topP": sel["top_p"] if cfg.top_p is None else cfg.top_p,
                         "temperature": sel["temperature"]},
            "sampling": {"temperature": 0, "maxNewTokens": cfg.max_new_tokens},
            "tool": "models.mine", "workers": cfg.workers,
            "ood": None if self.guard is None else {"method": self.guard.method, "threshold": self.guard.threshold},
        }

    def mine(self, item: Item) -> dict[str, Any]:
        try:
            data = item.read()
            image = load_image(io.BytesIO(data))
        except (OSError, ValueError, Image.DecompressionBombError) as e:
            return {"rows": [], "failed": [{"key": item.key, "question": None, "reason": f"image: {e}"}]}
        feats = encode(self.rt, image)
        emb = image_embedding(self.rt, feats)
        verdict = self.guard.score(emb) if self.guard is not None else None
        rows, failed = [], []
        for q in item.questions:
            try:
                rows.append(self._pair(item, data, feats, emb, verdict, q))
            except PromptError as e:
                failed.append({"key": item.key, "question": q, "reason": f"{e.code}: {e}"})
        return {"rows": rows, "failed": failed}

    def _pair(self, item: Item, data: bytes, feats: Any, emb: Any, verdict: tuple[float, bool] | None,
              question: str) -> dict[str, Any]:
        cfg = self.cfg
        sw = run_sweep(self.rt, feats, question, cfg.max_new_tokens)
        shipped = next(s for s in sw["settings"] if s["id"] == sw["shipped"])
        if cfg.top_p is None or cfg.top_p == self.rt.cfg.topp:
            answer = shipped["answer"].strip()
        else:
            answer = ask(self.rt, feats, question, cfg.max_new_tokens, top_p=cfg.top_p)["answer"].strip()
        d = detail_score(self.rt, feats, question, answer) if answer else None
        detail = d["detail"] if d else None
        in_dist = verdict[1] if verdict else None
        needs, missing = needs_detail(detail, sw["instability"], sw["margin"], in_dist)
        sweep = [{"id": s["id"], "answer": s["answer"], "keptLocal": s["keptLocal"], "divergeAt": s["divergeAt"]}
                 for s in sw["settings"]]
        return {
            "image": {"bytes": data if cfg.embed_images else None, "path": item.key},
            "image_sha256": sha256(data), "question": question, "answer": answer,
            "detail": detail, "detail_full": d["full"] if d else None, "detail_global_only": d["global_only"] if d else None,
            "instability": sw["instability"],
            "diverge_at": json.dumps({s["id"]: s["divergeAt"] for s in sweep}),
            "margin": sw["margin"], "ood_score": verdict[0] if verdict else None, "in_dist": in_dist,
            "needs_detail": needs, "embedding": [float(x) for x in emb],
            "sweep": json.dumps(sweep), "missing": missing,
            "provenance": json.dumps({**self.provenance, "source": item.meta.get("source", item.key),
                                      "missing": missing}),
        }
