"""models_ml/model_config.yml, loaded and checked: a bad value names its key."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from ar_risk.errors import DataError

MODELS_ML_DIR = Path(__file__).resolve().parents[1]
CONFIG_PATH = MODELS_ML_DIR / "model_config.yml"
FEATURES_SEED = MODELS_ML_DIR.parent / "dbt_project" / "seeds" / "ml_features.csv"
RISK_LEVELS_SEED = MODELS_ML_DIR.parent / "dbt_project" / "seeds" / "risk_levels.csv"
TARGET_NAMES = ("p_late", "p_paid_30d", "pd_default")


class ModelConfigError(DataError, ValueError):
    """model_config.yml or ml_features.csv has a value the model cannot use."""


@dataclass(frozen=True)
class Feature:
    name: str
    family: str
    risk_direction: int  # 1: higher means riskier, -1: safer, 0: no fixed direction
    description_en: str
    description_zh: str
    reason_en: str
    reason_zh: str
    # optional contract tables the feature is computed from (empty: required tables only)
    source_tables: tuple[str, ...] = ()


@dataclass(frozen=True)
class ModelConfig:
    window_end_offset_days: int
    history_months: int
    validation_months: int
    calibration_share: float
    random_seed: int
    max_training_rows: int
    base_points: float
    base_odds: float
    pdo: float
    max_bins: int
    min_bin_share: float
    challenger: dict[str, Any]
    min_auc_gain: float
    min_roc_auc: float
    max_calibration_error: float
    # target -> {floor name: value}: a target's own floors where it differs from the common ones
    target_floors: dict[str, dict[str, float]]
    reason_codes: int
    psi_alert: float
    psi_watch: float
    features: tuple[Feature, ...]
    # pd_default's reason codes are computed only for documents at this risk level or above
    # (seeds/risk_levels.csv): the level's min_pd_default, resolved when the config is loaded
    reasons_from_level: str = "low"
    reasons_min_pd_default: float = 0.0
    # p_paid_30d's pay-date quantile models: at most this many paid training rows (a seeded
    # sample), this many boosting iterations each
    pay_date_max_rows: int = 30000
    pay_date_max_iter: int = 100

    @property
    def feature_names(self) -> list[str]:
        return [f.name for f in self.features]

    def floors(self, target: str) -> dict[str, float]:
        common = {"min_roc_auc": self.min_roc_auc, "max_calibration_error": self.max_calibration_error}
        return common | self.target_floors.get(target, {})


def _get(data: dict, path: str, kind: type, low: float | None = None, high: float | None = None, source=CONFIG_PATH):
    node: Any = data
    for part in path.split("."):
        if not isinstance(node, dict) or part not in node:
            raise ModelConfigError(f"{source}: missing key {path}")
        node = node[part]
    if kind is float and isinstance(node, int) and not isinstance(node, bool):
        node = float(node)
    if not isinstance(node, kind) or isinstance(node, bool):
        raise ModelConfigError(f"{source}: {path}={node!r} must be {'a number' if kind is float else 'a whole number'}")
    if (low is not None and node < low) or (high is not None and node > high):
        raise ModelConfigError(f"{source}: {path}={node!r} must be between {low} and {high}")
    return node


def load_features(path: Path = FEATURES_SEED) -> tuple[Feature, ...]:
    """The described features (the dbt test assert_ml_features_described keeps them equal to the columns)."""
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    features = []
    for line, row in enumerate(rows, start=2):
        try:
            direction = int(row["risk_direction"])
        except (KeyError, TypeError, ValueError):
            raise ModelConfigError(f"{path}, line {line}: risk_direction must be -1, 0 or 1") from None
        if direction not in (-1, 0, 1) or not row.get("feature"):
            raise ModelConfigError(f"{path}, line {line}: feature needs a name and risk_direction -1, 0 or 1")
        tables = tuple(t.strip() for t in (row.get("source_tables") or "").split(";") if t.strip())
        unknown = [t for t in tables if not t.startswith(("erp_", "crm_"))]
        if unknown:
            raise ModelConfigError(f"{path}, line {line}: source_tables {unknown} are not contract tables")
        features.append(
            Feature(
                row["feature"], row["family"], direction, row["description_en"], row["description_zh"],
                row["reason_en"], row["reason_zh"], tables,
            )
        )  # fmt: skip
    if not features:
        raise ModelConfigError(f"{path}: no features")
    return tuple(features)


def risk_level_cutoff(level: str, key: str, source: Path, levels_path: Path = RISK_LEVELS_SEED) -> float:
    """min_pd_default of ``level`` in seeds/risk_levels.csv; ModelConfigError names the key and the levels."""
    with levels_path.open(encoding="utf-8", newline="") as handle:
        cutoffs = {row["risk_level"]: row["min_pd_default"] for row in csv.DictReader(handle)}
    if level not in cutoffs:
        raise ModelConfigError(
            f"{source}: {key}={level!r} is not a risk level of {levels_path.name}: one of {sorted(cutoffs)}"
        )
    try:
        return float(cutoffs[level])
    except ValueError:
        raise ModelConfigError(f"{levels_path}: min_pd_default of {level} must be a number") from None


def load_model_config(
    path: Path = CONFIG_PATH, features_path: Path = FEATURES_SEED, levels_path: Path = RISK_LEVELS_SEED
) -> ModelConfig:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise ModelConfigError(f"{path}: not valid YAML: {exc}") from None

    def get(key, kind, low=None, high=None):
        return _get(data, key, kind, low, high, source=path)

    target_floors: dict[str, dict[str, float]] = {}
    for target, floors in ((data.get("promotion") or {}).get("targets") or {}).items():
        if target not in TARGET_NAMES or not isinstance(floors, dict):
            raise ModelConfigError(
                f"{path}: promotion.targets.{target} must be one of {list(TARGET_NAMES)} with floors"
            )
        target_floors[target] = {}
        for floor in floors:
            if floor not in ("min_roc_auc", "max_calibration_error"):
                raise ModelConfigError(f"{path}: promotion.targets.{target}.{floor}: unknown floor")
            target_floors[target][floor] = get(f"promotion.targets.{target}.{floor}", float, 0.0, 1.0)
    challenger = data.get("challenger")
    if not isinstance(challenger, dict):
        raise ModelConfigError(f"{path}: missing section challenger")
    psi_watch, psi_alert = get("scoring.psi_watch", float, 0.0, 10.0), get("scoring.psi_alert", float, 0.0, 10.0)
    reasons_from_level = (data.get("scoring") or {}).get("reasons_from_level", "low")
    reasons_min_pd = risk_level_cutoff(str(reasons_from_level), "scoring.reasons_from_level", path, levels_path)
    if psi_watch > psi_alert:
        raise ModelConfigError(f"{path}: scoring.psi_watch={psi_watch} must not exceed scoring.psi_alert={psi_alert}")
    return ModelConfig(
        window_end_offset_days=get("training.window_end_offset_days", int, 0, 3650),
        history_months=get("training.history_months", int, 3, 240),
        validation_months=get("training.validation_months", int, 1, 24),
        calibration_share=get("training.calibration_share", float, 0.01, 0.5),
        random_seed=get("training.random_seed", int, 0),
        max_training_rows=get("training.max_training_rows", int, 1000),
        base_points=get("scorecard.base_points", float, 0.0),
        base_odds=get("scorecard.base_odds", float, 0.0001),
        pdo=get("scorecard.pdo", float, 1.0),
        max_bins=get("scorecard.max_bins", int, 2, 50),
        min_bin_share=get("scorecard.min_bin_share", float, 0.001, 0.5),
        challenger={
            "max_iter": get("challenger.max_iter", int, 10, 5000),
            "learning_rate": get("challenger.learning_rate", float, 0.001, 1.0),
            "max_leaf_nodes": get("challenger.max_leaf_nodes", int, 2, 1024),
            "min_samples_leaf": get("challenger.min_samples_leaf", int, 1),
            "l2_regularization": get("challenger.l2_regularization", float, 0.0),
        },
        min_auc_gain=get("promotion.min_auc_gain", float, 0.0, 1.0),
        min_roc_auc=get("promotion.min_roc_auc", float, 0.5, 1.0),
        max_calibration_error=get("promotion.max_calibration_error", float, 0.0, 1.0),
        target_floors=target_floors,
        reason_codes=get("scoring.reason_codes", int, 1, 10),
        psi_alert=psi_alert,
        psi_watch=psi_watch,
        features=load_features(features_path),
        reasons_from_level=str(reasons_from_level),
        reasons_min_pd_default=reasons_min_pd,
        pay_date_max_rows=get("pay_date.max_training_rows", int, 1000),
        pay_date_max_iter=get("pay_date.max_iter", int, 10, 5000),
    )
