"""The two candidate models behind one interface: probability of a target's event, and per-row reasons.

Each is built for one target (ar_risk_ml.targets) on the features chosen for it
(ar_risk_ml.features). ``risk_direction`` in seeds/ml_features.csv says how a feature
moves the *risk*; for a target whose event is the good outcome (paid within 30 days,
``sign`` -1) every direction flips.

* ``ScorecardModel``: monotonic WoE binning (optbinning) + logistic regression, scaled to
  points (PDO); its probability recalibrated (Platt) on held-out newer rows. Reasons: the
  features whose bin costs the most points against the feature's best bin.
* ``ChallengerModel``: HistGradientBoosting with monotonic constraints from
  ``ml_features.risk_direction``, probabilities calibrated (isotonic) on held-out newer
  rows. Reasons: the features whose value, set back to the population median, lowers
  the log-odds most (one-at-a-time, on the most important features).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from optbinning import BinningProcess, Scorecard
from sklearn.calibration import CalibratedClassifierCV
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.frozen import FrozenEstimator
from sklearn.linear_model import LogisticRegression

from ar_risk_ml.config import Feature, ModelConfig

_TRENDS = {1: "ascending", -1: "descending", 0: "auto_asc_desc"}


def _as_frame(X: pd.DataFrame, names: list[str]) -> pd.DataFrame:
    return X[names].astype("float64")


class ScorecardModel:
    model_type = "scorecard"

    def __init__(self, config: ModelConfig, features: list[Feature], sign: int = 1):
        self.config = config
        self.features = list(features)
        self.names = [f.name for f in self.features]
        self.directions = {f.name: f.risk_direction * sign for f in self.features}

    def fit(self, X: pd.DataFrame, y: np.ndarray, X_cal: pd.DataFrame, y_cal: np.ndarray) -> ScorecardModel:
        binning = BinningProcess(
            variable_names=self.names,
            max_n_bins=self.config.max_bins,
            min_bin_size=self.config.min_bin_share,
            binning_fit_params={n: {"monotonic_trend": _TRENDS[d]} for n, d in self.directions.items()},
        )
        self.scorecard_ = Scorecard(
            binning_process=binning,
            estimator=LogisticRegression(max_iter=2000),
            scaling_method="pdo_odds",
            scaling_method_params={
                "pdo": self.config.pdo,
                "odds": self.config.base_odds,
                "scorecard_points": self.config.base_points,
            },
        )
        self.scorecard_.fit(_as_frame(X, self.names), y)
        # The points rank; the probability is recalibrated (Platt: a logistic regression on the
        # scorecard's log-odds) on the newer held-out rows, as the challenger's is, so that a
        # base rate that moved between the training and the newest months does not bias it.
        self.platt_ = fit_platt(y_cal, self.scorecard_.predict_proba(_as_frame(X_cal, self.names))[:, 1])
        self.points_table_ = self.scorecard_.table(style="detailed")
        # Points are linear in WoE per feature: points = a + b * woe. Keep (a, b, best points).
        self._linear = {}
        for name, rows in self.points_table_.groupby("Variable"):
            woe, points = rows["WoE"].to_numpy(float), rows["Points"].to_numpy(float)
            spread = np.ptp(woe)
            slope = 0.0 if spread == 0 else (points[woe.argmax()] - points[woe.argmin()]) / (woe.max() - woe.min())
            self._linear[name] = (points[0] - slope * woe[0], slope, points.max())
        return self

    def params(self) -> dict:
        c = self.config
        return {"base_points": c.base_points, "base_odds": c.base_odds, "pdo": c.pdo, "max_bins": c.max_bins,
                "min_bin_share": c.min_bin_share, "calibration": "platt"}  # fmt: skip

    def predict_proba(self, X: pd.DataFrame) -> np.ndarray:
        raw = self.scorecard_.predict_proba(_as_frame(X, self.names))[:, 1]
        platt = getattr(self, "platt_", None)  # None: one class in the calibration rows, or a model pickled before
        return raw if platt is None else platt.predict_proba(logit(raw))[:, 1]

    def score_points(self, X: pd.DataFrame) -> np.ndarray:
        return self.scorecard_.score(_as_frame(X, self.names))

    def risk_contributions(self, X: pd.DataFrame) -> pd.DataFrame:
        """Points lost per feature against its best bin (0 = the safest bin)."""
        woe = self.scorecard_.binning_process_.transform(_as_frame(X, self.names), metric="woe")
        lost = {}
        for name in self.names:
            intercept, slope, best = self._linear[name]
            lost[name] = best - (intercept + slope * woe[name].to_numpy(float))
        return pd.DataFrame(lost, index=X.index)

    def points_table(self) -> pd.DataFrame:
        table = self.points_table_[["Variable", "Bin id", "Bin", "Count", "Event rate", "WoE", "IV", "Points"]]
        return table.rename(columns=lambda c: c.lower().replace(" ", "_")).assign(bin=lambda t: t["bin"].astype(str))

    def importances(self) -> pd.Series:
        iv = self.points_table_.groupby("Variable")["IV"].sum()
        return iv.reindex(self.names).fillna(0.0).sort_values(ascending=False)


class ChallengerModel:
    model_type = "gradient_boosting"
    reason_candidates = 8  # one-at-a-time reasons on this many most important features (cost: 1 M rows ~4 s each)
    reason_block_rows = 200_000  # re-scored rows per booster pass (x 50 features x 8 bytes: 80 MB)

    def __init__(self, config: ModelConfig, features: list[Feature], sign: int = 1):
        self.config = config
        self.features = list(features)
        self.names = [f.name for f in self.features]
        self.directions = {f.name: f.risk_direction * sign for f in self.features}

    def fit(self, X: pd.DataFrame, y: np.ndarray, X_cal: pd.DataFrame, y_cal: np.ndarray) -> ChallengerModel:
        booster = HistGradientBoostingClassifier(
            **self.config.challenger,
            monotonic_cst=[self.directions[n] for n in self.names],
            # stops when 20 more trees no longer lower the loss on 10 % of the training rows
            # (seeded: the same rows every run), usually well before max_iter
            early_stopping=True,
            validation_fraction=0.1,
            n_iter_no_change=20,
            random_state=self.config.random_seed,
        )
        booster.fit(_as_frame(X, self.names), y)
        self.booster_ = booster
        # Calibrate on newer held-out rows: the booster never saw them.
        self.calibrated_ = CalibratedClassifierCV(FrozenEstimator(booster), method="isotonic")
        self.calibrated_.fit(_as_frame(X_cal, self.names), y_cal)
        self.reference_ = _as_frame(X, self.names).median()
        self.importances_ = self._permutation_importances(X_cal, y_cal)
        return self

    def _permutation_importances(self, X_cal: pd.DataFrame, y_cal: np.ndarray) -> pd.Series:
        """Permutation importance (ROC-AUC drop) on up to 10,000 calibration rows."""
        from sklearn.inspection import permutation_importance

        sample = X_cal.sample(min(len(X_cal), 10_000), random_state=self.config.random_seed)
        result = permutation_importance(
            self.booster_,
            _as_frame(sample, self.names),
            pd.Series(y_cal, index=X_cal.index).loc[sample.index],
            scoring="roc_auc",
            n_repeats=2,
            random_state=self.config.random_seed,
        )
        return pd.Series(result.importances_mean, index=self.names).sort_values(ascending=False)

    def params(self) -> dict:
        return {f"challenger_{k}": v for k, v in self.config.challenger.items()} | {"calibration": "isotonic"}

    def predict_proba(self, X: pd.DataFrame) -> np.ndarray:
        return self.calibrated_.predict_proba(_as_frame(X, self.names))[:, 1]

    def risk_contributions(self, X: pd.DataFrame) -> pd.DataFrame:
        """Drop in late log-odds when the feature is set to the population median.

        Log-odds, not probability: near 0 or 1 the probability hardly moves, so an
        extreme-risk invoice would show no reason at all. With the monotonic
        constraints, a feature can only raise the risk of rows on its risky side of
        the median (above it when higher is riskier, below when lower is): only those
        rows are re-scored, which at 1 M open invoices halves the work or better. The
        re-scored copies of every feature are stacked and predicted together, in blocks
        of ``reason_block_rows`` (one booster pass per block, not one per feature).
        """
        values = _as_frame(X, self.names).to_numpy(dtype="float64", copy=True)
        base = self._log_odds(values)
        rows_of, columns_of = [], []
        for name in self.importances_.index[: self.reason_candidates]:
            j = self.names.index(name)
            column, reference = values[:, j], self.reference_[name]
            if self.directions[name] > 0:
                rows = column > reference
            elif self.directions[name] < 0:
                rows = column < reference
            else:
                rows = column != reference
            rows = np.flatnonzero(rows | np.isnan(column))
            rows_of.append(rows)
            columns_of.append(np.full(rows.size, j))
        contributions = np.zeros_like(values)
        rows, columns = (np.concatenate(parts) if parts else np.empty(0, int) for parts in (rows_of, columns_of))
        references = self.reference_.reindex(self.names).to_numpy(float)
        for start in range(0, rows.size, self.reason_block_rows):
            r, c = rows[start : start + self.reason_block_rows], columns[start : start + self.reason_block_rows]
            changed = values[r]
            changed[np.arange(r.size), c] = references[c]
            contributions[r, c] = base[r] - self._log_odds(changed)
        return pd.DataFrame(contributions, index=X.index, columns=self.names)

    def _log_odds(self, values: np.ndarray) -> np.ndarray:
        # named columns, as the booster was fitted with (a view: no copy)
        return self.booster_.decision_function(pd.DataFrame(values, columns=self.names, copy=False))

    def importances(self) -> pd.Series:
        return self.importances_


def top_reasons(contributions: pd.DataFrame, k: int, min_value: float) -> pd.DataFrame:
    """Columns reason_code_1..k: the features with the largest contribution per row, over min_value."""
    values = np.nan_to_num(contributions.to_numpy(float), nan=-np.inf)
    order = np.argsort(-values, axis=1, kind="stable")[:, :k]
    names = np.asarray(contributions.columns, dtype=object)
    out = {}
    for i in range(k):
        picked = np.take_along_axis(values, order[:, i : i + 1], axis=1)[:, 0]
        out[f"reason_code_{i + 1}"] = np.where(picked > min_value, names[order[:, i]], None)
    return pd.DataFrame(out, index=contributions.index)


def logit(p: np.ndarray) -> np.ndarray:
    """Log-odds as one column (the input of a Platt map); p clipped away from 0 and 1."""
    p = np.clip(np.asarray(p, dtype=float), 1e-6, 1 - 1e-6)
    return np.log(p / (1 - p)).reshape(-1, 1)


def fit_platt(y: np.ndarray, p: np.ndarray) -> LogisticRegression | None:
    """A logistic regression on the log-odds (slope, intercept); None unless it keeps the order."""
    if len(np.unique(y)) < 2:
        return None
    platt = LogisticRegression(C=1e6, max_iter=1000).fit(logit(p), np.asarray(y, dtype=int))
    return platt if platt.coef_[0, 0] > 0 else None


class RecalibratedModel:
    """A candidate whose probabilities are mapped (Platt) onto the newest settled window's outcomes.

    Used when a candidate ranks well but its probabilities are off on the validation window
    because the default rate moved since the training months (ar_risk_ml.train,
    ``recalibrate_on_window``). The ranking, the reasons and the points are the base model's:
    the map is increasing, so ROC-AUC does not change.
    """

    def __init__(self, base, platt: LogisticRegression):
        self.base = base
        self.platt = platt
        self.model_type = base.model_type
        self.features = base.features
        self.names = base.names

    def params(self) -> dict:
        return self.base.params() | {"recalibrated_on": "validation window (Platt)"}

    def predict_proba(self, X: pd.DataFrame) -> np.ndarray:
        return self.platt.predict_proba(logit(self.base.predict_proba(X)))[:, 1]

    def risk_contributions(self, X: pd.DataFrame) -> pd.DataFrame:
        return self.base.risk_contributions(X)

    def importances(self) -> pd.Series:
        return self.base.importances()

    def points_table(self) -> pd.DataFrame:
        return self.base.points_table()
