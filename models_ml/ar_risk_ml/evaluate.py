"""Validation metrics of a probability model (definitions in docs/model.md, "Metrics")."""

from __future__ import annotations

import numpy as np
from sklearn.metrics import average_precision_score, brier_score_loss, f1_score, roc_auc_score, roc_curve


def calibration_table(y: np.ndarray, p: np.ndarray, bins: int = 10) -> list[dict]:
    """Equal-width probability bins: rows, mean predicted, observed late share."""
    edges = np.linspace(0, 1, bins + 1)
    which = np.clip(np.digitize(p, edges[1:-1]), 0, bins - 1)
    table = []
    for b in range(bins):
        mask = which == b
        if mask.any():
            table.append({"bin": b, "rows": int(mask.sum()), "predicted": float(p[mask].mean()),
                          "observed": float(y[mask].mean())})  # fmt: skip
    return table


def expected_calibration_error(y: np.ndarray, p: np.ndarray, bins: int = 10) -> float:
    table = calibration_table(y, p, bins)
    return float(sum(r["rows"] * abs(r["predicted"] - r["observed"]) for r in table) / max(len(y), 1))


def ks_statistic(y: np.ndarray, p: np.ndarray) -> float:
    fpr, tpr, _ = roc_curve(y, p)
    return float(np.max(tpr - fpr))


def top_decile_lift(y: np.ndarray, p: np.ndarray) -> float:
    """Late share among the 10% highest scores divided by the overall late share."""
    n = max(len(y) // 10, 1)
    top = np.argsort(-p, kind="stable")[:n]
    base = y.mean()
    return float(y[top].mean() / base) if base > 0 else float("nan")


def best_f1_threshold(y: np.ndarray, p: np.ndarray) -> float:
    """The threshold that maximises late-class F1 (chosen on calibration rows, applied on validation)."""
    grid = np.linspace(0.05, 0.95, 91)
    scores = [f1_score(y, p >= t, zero_division=0) for t in grid]
    return float(grid[int(np.argmax(scores))])


def evaluate(y: np.ndarray, p: np.ndarray, threshold: float) -> dict[str, float]:
    y = np.asarray(y, dtype=int)
    p = np.asarray(p, dtype=float)
    base_rate = float(y.mean())
    return {
        "roc_auc": float(roc_auc_score(y, p)),
        "pr_auc": float(average_precision_score(y, p)),
        "ks": ks_statistic(y, p),
        "brier": float(brier_score_loss(y, p)),
        "brier_base_rate": float(brier_score_loss(y, np.full_like(p, base_rate))),
        "calibration_error": expected_calibration_error(y, p),
        "top_decile_lift": top_decile_lift(y, p),
        "f1_late": float(f1_score(y, p >= threshold, zero_division=0)),
        "threshold": threshold,
        "late_share": base_rate,
        "rows": float(len(y)),
    }
