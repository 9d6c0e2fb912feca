"""Reading the CSV seeds a finance or credit manager edits, for the checks that run before dbt.

The collections strategy (ar_risk.collections.strategy) and the credit scorecard
(ar_risk.credit.config) check their seeds the same way: each row knows its file and line,
and a bad value is refused with the error class of the check that read it, naming file,
row and column ("collectors.csv row 12, column daily_capacity: 0 is outside 1..1000").
"""

from __future__ import annotations

import csv
import re
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from pathlib import Path

PLACEHOLDER = re.compile(r"\{([^{}]*)\}")  # {name} in a message template, filled by the pipeline


@dataclass(frozen=True)
class Row:
    file: str
    number: int  # the line in the file, header = 1, as a spreadsheet shows it
    values: dict[str, str]

    def where(self, column: str) -> str:
        return f"{self.file} row {self.number}, column {column}"

    def get(self, column: str) -> str:
        return (self.values.get(column) or "").strip()


def _bound(value: float | None) -> str:
    if value is None:
        return "any"
    return str(int(value)) if float(value).is_integer() else str(value)


@dataclass(frozen=True)
class SeedReader:
    """Reads seed tables and their values, refusing bad ones with ``error``."""

    error: type[Exception]

    def table(self, seeds_dir: Path, name: str, columns: Iterable[str], *, may_be_empty: bool = False) -> list[Row]:
        """The rows of ``seeds_dir/name.csv``, which must have ``columns`` and, unless ``may_be_empty``, a row."""
        path = seeds_dir / f"{name}.csv"
        if not path.exists():
            raise self.error(f"{path.name} is missing from {seeds_dir}")
        with path.open(newline="", encoding="utf-8") as handle:
            reader = csv.DictReader(handle)
            missing = [c for c in columns if c not in (reader.fieldnames or [])]
            if missing:
                raise self.error(f"{path.name}: missing column(s) {missing}; header is {reader.fieldnames}")
            rows = [Row(path.name, i, dict(r)) for i, r in enumerate(reader, start=2)]
        if not rows and not may_be_empty:
            raise self.error(f"{path.name} has no rows")
        return rows

    def number(
        self, row: Row, column: str, *, optional: bool = False, low: float | None = None, high: float | None = None
    ) -> float | None:
        """The column as a number within ``low..high``; None when empty and ``optional``."""
        text = row.get(column)
        if not text:
            if optional:
                return None
            raise self.error(f"{row.where(column)}: a number is required")
        try:
            value = float(text)
        except ValueError:
            raise self.error(f"{row.where(column)}: {text!r} is not a number") from None
        if (low is not None and value < low) or (high is not None and value > high):
            raise self.error(f"{row.where(column)}: {text} is outside {_bound(low)}..{_bound(high)}")
        return value

    def boolean(self, row: Row, column: str) -> bool:
        """The column as true or false (any case)."""
        value = row.get(column).lower()
        if value not in ("true", "false"):
            raise self.error(f"{row.where(column)}: {row.get(column)!r} must be true or false")
        return value == "true"

    def template(self, row: Row, column: str, allowed: Collection[str], *, required: bool = False) -> None:
        """A message template: only the placeholders the pipeline fills (``allowed``), braces balanced."""
        text = row.get(column)
        if required and not text:
            raise self.error(f"{row.where(column)}: a text is required")
        for name in PLACEHOLDER.findall(text):
            if name not in allowed:
                raise self.error(
                    f"{row.where(column)}: placeholder {{{name}}} is not filled by the pipeline; "
                    f"use one of {', '.join(sorted(allowed))}"
                )
        if text.count("{") != text.count("}"):
            raise self.error(f"{row.where(column)}: unbalanced braces in the template")
