"""The gate's error, importable without loading Great Expectations."""

from __future__ import annotations

from ar_risk.extract.raw import RawLoadError


class QualityGateError(RawLoadError):
    """A critical data-quality rule failed: the batch is not merged and the run stops.

    A kind of contract violation (so the DAG fails fast on it like on any bad data, without retries).

    ``results`` holds the batch's validation result rows, so the caller can store them
    after rolling back its transaction (:func:`ar_risk.quality.gate.record_validation_results`).
    """

    def __init__(self, message: str, results: list[dict] | None = None):
        super().__init__(message)
        self.results = results or []
