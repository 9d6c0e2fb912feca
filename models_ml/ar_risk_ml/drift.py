"""Population stability (PSI) between the training population and today's scoring population.

PSI = sum over bins of (actual% - expected%) * ln(actual% / expected%), bins are the
training population's deciles (plus one bin for missing values); shares are floored at
0.0001 so an empty bin does not divide by zero. Below 0.10 stable, 0.10-0.25 watch,
above 0.25 alert (docs/model.md, "Drift").
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

FLOOR = 1e-4


def _edges(values: np.ndarray, bins: int = 10) -> np.ndarray:
    finite = values[~np.isnan(values)]
    if finite.size == 0:
        return np.array([])
    return np.unique(np.quantile(finite, np.linspace(0, 1, bins + 1)[1:-1]))


def _shares(values: np.ndarray, edges: np.ndarray) -> np.ndarray:
    missing = np.isnan(values)
    counts = np.bincount(np.searchsorted(edges, values[~missing], side="right"), minlength=len(edges) + 1)
    counts = np.append(counts, missing.sum()).astype(float)
    return counts / max(counts.sum(), 1.0)


def psi(expected: np.ndarray, actual: np.ndarray) -> float:
    e, a = np.maximum(expected, FLOOR), np.maximum(actual, FLOOR)
    return float(np.sum((a - e) * np.log(a / e)))


@dataclass
class Reference:
    edges: dict[str, np.ndarray] = field(default_factory=dict)
    shares: dict[str, np.ndarray] = field(default_factory=dict)

    @classmethod
    def from_population(cls, columns: dict[str, np.ndarray]) -> Reference:
        ref = cls()
        for name, values in columns.items():
            values = np.asarray(values, dtype=float)
            ref.edges[name] = _edges(values)
            ref.shares[name] = _shares(values, ref.edges[name])
        return ref

    def compare(self, columns: dict[str, np.ndarray]) -> pd.DataFrame:
        rows = []
        for name, values in columns.items():
            if name not in self.edges:
                continue
            actual = _shares(np.asarray(values, dtype=float), self.edges[name])
            rows.append({"feature": name, "psi": psi(self.shares[name], actual)})
        return pd.DataFrame(rows, columns=["feature", "psi"])
