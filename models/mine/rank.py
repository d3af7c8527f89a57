"""The combined "needs local detail" rank (SESSION2-PLAN.md; TypeScript twin: electron/shared/mining/rank.ts).

needs = 0.5·d + 0.35·u + 0.15·m, minus 1 when out of distribution, d = 1 − exp(−max(0, detail)), u = instability,
m = 1 − margin. Each term is in [0, 1], so every in-distribution row (≥ 0) sorts above every OOD row (< 0). A missing
signal counts as 0 and is named in `missing`; a missing OOD verdict (no ood.json) counts as in distribution.
"""

from __future__ import annotations

import math


def needs_detail(detail: float | None, instability: float | None, margin: float | None,
                 in_dist: bool | None) -> tuple[float, list[str]]:
    missing = [name for name, v in (("detail", detail), ("instability", instability), ("margin", margin),
                                    ("ood", in_dist)) if v is None]
    d = 0.0 if detail is None else 1 - math.exp(-max(0.0, detail))
    u = instability or 0.0
    m = 0.0 if margin is None else 1 - margin
    score = 0.5 * d + 0.35 * u + 0.15 * m
    return (score - 1 if in_dist is False else score), missing
