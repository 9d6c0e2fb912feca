"""The gate's expectation suites: the contract's own rules generated, the others read from files.

What the contract already says (``include/ar_risk/contract.py``) is not written again by hand:
every table's column set, its key (not null, unique), its non-nullable columns and its
references become expectations here, with the same rule codes, severities and bilingual
descriptions the suites always had. ``expectations/<table>.json`` (GX 1.x suite JSON) holds
the rules the contract cannot express: ranges, codes, formats, amounts, FX rates. A suite file
that declares a generated rule is refused, so the two never disagree.

A suite as the gate uses it: the generated column, key and nullability rules first (the critical
ones lead, so a stop names the first of them), then the file's rules, then the references.
"""

from __future__ import annotations

import json
from pathlib import Path

from ar_risk.config import PROJECT_DIR
from ar_risk.contract import TABLES, Table
from ar_risk.errors import DataError

SUITES_DIR = PROJECT_DIR / "expectations"
SEVERITIES = ("critical", "warning")
LOOKUP_SUFFIX = "__known"  # computed by the gate: is the referenced key (or FX rate) there?
# Rules generated from the contract; a suite file may not declare them.
GENERATED_RULES = ("columns_present", "key_not_null", "key_unique", "value_required", "reference_known")


class QualitySuiteError(DataError, ValueError):
    """A suite file in expectations/ cannot be used (the message names the file and expectation)."""


def _expectation(kind: str, kwargs: dict, severity: str, rule: str, en: str, zh: str) -> dict:
    meta = {"severity": severity, "rule": rule, "description_en": en, "description_zh": zh}
    return {"type": kind, "kwargs": kwargs, "meta": meta}


def contract_expectations(table: Table) -> tuple[list[dict], list[dict]]:
    """The rules the contract implies for ``table``: (columns, key and nullability; references)."""
    columns = [
        _expectation(
            "expect_table_columns_to_match_set",
            {"column_set": table.column_names, "exact_match": False},
            "critical",
            "columns_present",
            "every contract column is present",
            "合同规定的列齐全",
        )
    ]
    for key in table.key:
        columns.append(
            _expectation(
                "expect_column_values_to_not_be_null",
                {"column": key},
                "critical",
                "key_not_null",
                f"key column {key} is empty",
                f"主键列 {key} 为空",
            )
        )
    if len(table.key) == 1:
        unique_kind, unique_kwargs, named = "expect_column_values_to_be_unique", {"column": table.key[0]}, table.key[0]
    else:
        unique_kind, unique_kwargs = "expect_compound_columns_to_be_unique", {"column_list": list(table.key)}
        named = f"({', '.join(table.key)})"
    columns.append(
        _expectation(
            unique_kind,
            unique_kwargs,
            "critical",
            "key_unique",
            f"{named} appears more than once in the batch",
            f"{named} 在本批次中重复",
        )
    )
    for column in table.columns:
        if column.nullable or column.name in table.key:
            continue
        columns.append(
            _expectation(
                "expect_column_values_to_not_be_null",
                {"column": column.name},
                "warning",
                "value_required",
                f"{column.name} is empty",
                f"{column.name} 为空",
            )
        )
    # <column>__known is computed by the gate in DuckDB (QualityGate.materialise); NULL for a missing
    # optional reference, which GX does not count as unexpected.
    references = [
        _expectation(
            "expect_column_values_to_be_in_set",
            {"column": column + LOOKUP_SUFFIX, "value_set": [True]},
            "warning",
            "reference_known",
            f"{column} is not a known {target} (not in raw nor in this batch)",
            f"{column} 在 {target.split('.')[0]} 中不存在",
        )
        for column, target in table.references.items()
    ]
    return columns, references


def _read_suite_file(path: Path, table: str) -> dict:
    try:
        spec = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise QualitySuiteError(f"{path}: the suite for {table} cannot be read ({exc.strerror})") from exc
    except json.JSONDecodeError as exc:
        raise QualitySuiteError(f"{path}: not valid JSON: {exc}") from exc
    if spec.get("name") != table:
        raise QualitySuiteError(f"{path}: 'name' must be {table!r}, found {spec.get('name')!r}")
    expectations = spec.get("expectations")
    if not isinstance(expectations, list):
        raise QualitySuiteError(f"{path}: 'expectations' must be a list (it may be empty)")
    for number, expectation in enumerate(expectations, start=1):
        meta = expectation.get("meta") or {}
        where = f"{path}: expectation {number} ({expectation.get('type')})"
        if meta.get("severity") not in SEVERITIES:
            severity = meta.get("severity")
            raise QualitySuiteError(f"{where}: meta.severity must be one of {SEVERITIES}, not {severity!r}")
        if not meta.get("rule"):
            raise QualitySuiteError(f"{where}: meta.rule (a short code such as amount_not_negative) is missing")
        if meta["rule"] in GENERATED_RULES:
            raise QualitySuiteError(
                f"{where}: rule {meta['rule']} is generated from include/ar_risk/contract.py (column set, keys, "
                "nullability, references); remove it here, and change the contract to change it"
            )
    return spec


def load_suite_specs(suites_dir: Path = SUITES_DIR) -> dict[str, dict]:
    """Every table's suite: the contract's rules and its file's, each with a known severity."""
    specs: dict[str, dict] = {}
    for name, table in TABLES.items():
        spec = _read_suite_file(suites_dir / f"{name}.json", name)
        columns, references = contract_expectations(table)
        specs[name] = {**spec, "expectations": [*columns, *spec["expectations"], *references]}
    return specs
