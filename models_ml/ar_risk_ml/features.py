"""Which features a model may use: only those the data it trains on can support.

A feature is left out, with its reason, when
* its column is not in ``ml.invoice_features`` (not built),
* an optional source table it is computed from holds no rows (``source_tables`` in
  seeds/ml_features.csv; the contract lets an ERP/CRM leave such tables out),
* it is null on every training row, or
* it takes one value on every training row (constant: nothing to learn from).

The chosen list travels with the model (its signature and feature_list.json), so
scoring uses exactly the features the model was trained on.
"""

from __future__ import annotations

import logging

import pandas as pd

from ar_risk_ml.config import Feature

log = logging.getLogger(__name__)


def staging_table(source_table: str) -> str:
    """crm_promises -> staging.stg_crm__promises (the staging model of a contract table)."""
    system, _, name = source_table.partition("_")
    return f"staging.stg_{system}__{name}"


def empty_source_tables(con, features: tuple[Feature, ...]) -> set[str]:
    """The optional source tables the features name that hold no rows (or were never built)."""
    empty = set()
    for table in sorted({t for f in features for t in f.source_tables}):
        schema, name = staging_table(table).split(".")
        exists = con.execute(
            "select count(*) from information_schema.tables where table_schema = ? and table_name = ?", [schema, name]
        ).fetchone()[0]
        if not exists or con.execute(f"select count(*) from {schema}.{name}").fetchone()[0] == 0:
            empty.add(table)
    return empty


def select_features(
    frame: pd.DataFrame, features: tuple[Feature, ...], empty_tables: set[str] = frozenset()
) -> tuple[list[Feature], dict[str, str]]:
    """(features to use, {left-out feature: reason}) for the training rows ``frame``."""
    used, dropped = [], {}
    for feature in features:
        absent = [t for t in feature.source_tables if t in empty_tables]
        if feature.name not in frame.columns:
            dropped[feature.name] = "column not built in ml.invoice_features"
        elif absent:
            dropped[feature.name] = f"source table {', '.join(absent)} has no rows"
        else:
            values = frame[feature.name]
            present = values.dropna()
            if present.empty:
                dropped[feature.name] = "null on every training row"
            elif present.nunique() == 1:
                dropped[feature.name] = f"constant on every training row ({present.iloc[0]:g})"
            else:
                used.append(feature)
    return used, dropped


def describe_dropped(dropped: dict[str, str]) -> str:
    return "; ".join(f"{name}: {reason}" for name, reason in dropped.items())
