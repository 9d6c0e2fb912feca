"""The project's error base class and the errors the raw loader and the quality gate share.

``DataError`` marks what a retry cannot fix: bad data, bad configuration, a failed dbt test.
``ar_risk.tasks`` catches it once and fails the Airflow task at once (``AirflowFailException``);
every other exception (an unreachable database, a locked file) is left to the task's retries.
Every module's own data error derives from it, beside the built-in class callers already
catch (``ValueError`` or ``RuntimeError``), so nothing that caught those changes.

This module imports nothing, so every task process, the loader and the gate import it
without loading DuckDB, pandas or Great Expectations.
"""

from __future__ import annotations


class DataError(Exception):
    """Bad data or configuration: the task fails without retries; the message says what to fix."""


class RawLoadError(DataError, ValueError):
    """A batch does not meet the source contract (missing column, value of the wrong type)."""


class QualityGateError(RawLoadError):
    """A critical data-quality rule failed: the batch is not merged and the run stops.

    A kind of contract violation (so the DAG fails fast on it like on any bad data, without retries).

    ``results`` holds the batch's validation result rows, so the caller can store them
    after rolling back its transaction (:func:`ar_risk.quality.gate.record_validation_results`).
    """

    def __init__(self, message: str, results: list[dict] | None = None):
        super().__init__(message)
        self.results = results or []
