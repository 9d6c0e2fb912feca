"""The model's data errors, apart from the modules that raise them.

Each is an :class:`ar_risk.errors.DataError`: ``ar_risk.tasks`` turns it into a failed (not
retried) Airflow task. They live here so that every task process, extraction and publishing
included, does not import MLflow, scikit-learn and optbinning just to know their names.
"""

from ar_risk.errors import DataError


class NoChampionError(DataError, RuntimeError):
    """No model version holds the champion alias: nothing may be scored."""


class ScoringError(DataError, RuntimeError):
    """Scoring cannot run on what the warehouse holds; the message says why."""


class TrainingDataError(DataError, RuntimeError):
    """Not enough labelled history to train or validate."""
