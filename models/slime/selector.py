"""Text-guided local token selector (spec §2.6): cosine scores, legacy double / single softmax, top-p with the "+1" rule."""

from __future__ import annotations

import torch


def selector_scores(local: torch.Tensor, text: torch.Tensor) -> torch.Tensor:
    """s_j = Σ_t cos(v_j, e_t) = (v_j/‖v_j‖)·Σ_t e_t/‖e_t‖, in float64. local [M, H], text [T, H] → [M]."""
    v = local.detach().double()
    e = text.detach().double()
    u = (e / e.norm(dim=-1, keepdim=True).clamp_min(1e-12)).sum(dim=0)
    return (v / v.norm(dim=-1, keepdim=True).clamp_min(1e-12)) @ u


def selector_probs(scores: torch.Tensor, mode: str, temp: float, noise_std: float = 0.0) -> torch.Tensor:
    """legacy: softmax(softmax(s/0.5) [+noise] / temp); single: softmax((s [+noise]) / temp). float64."""
    s = scores.double()
    if mode == "legacy":
        p = torch.softmax(s / 0.5, dim=0)
    elif mode == "single":
        p = s
    else:
        raise ValueError(f"selector mode {mode!r} (legacy|single)")
    if noise_std > 0:
        p = p + noise_std * torch.randn_like(p)
    return torch.softmax(p / temp, dim=0)


def top_p_keep(probs: torch.Tensor, topp: float) -> torch.Tensor:
    """Indices kept (ascending): stable descending sort, n = #{cumsum ≤ topp}, keep n+1 (all if n ≥ M or topp ≥ 1)."""
    m = probs.shape[0]
    if topp >= 1.0:
        return torch.arange(m)
    order = torch.sort(probs, descending=True, stable=True).indices
    csum = torch.cumsum(probs[order], dim=0)
    n = int((csum <= topp).sum().item())
    k = m if n >= m else n + 1
    return torch.sort(order[:k]).values


def select(
    local: torch.Tensor, text: torch.Tensor, mode: str = "legacy", topp: float = 0.95, temp: float = 1.0,
    noise_std: float = 0.0,
) -> dict[str, torch.Tensor]:
    """Run the selector: returns kept_idx (ascending int64), scores and probs (float64, length M)."""
    scores = selector_scores(local, text)
    probs = selector_probs(scores, mode, temp, noise_std)
    return {"kept_idx": top_p_keep(probs, topp), "scores": scores, "probs": probs}


def raster_order(local_tokens: torch.Tensor, gw: int, gh: int) -> torch.Tensor:
    """[N=gw·gh, Q, H] (tiles row-major, queries row-major) → [N·Q, H] raster over the (g·gh)×(g·gw) grid."""
    n, q, h = local_tokens.shape
    g = int(round(q**0.5))
    if n != gw * gh or g * g != q:
        raise ValueError(f"raster_order: {n} tiles × {q} queries does not fit grid {gw}x{gh}")
    return local_tokens.reshape(gh, gw, g, g, h).permute(0, 2, 1, 3, 4).reshape(n * q, h)
