"""The model's data errors, apart from the modules that raise them.

``ar_risk.tasks`` turns these into failed (not retried) Airflow tasks. It imports
them from here so that every task process, extraction and publishing included,
does not import MLflow, scikit-learn and optbinning just to know their names.
"""


class NoChampionError(RuntimeError):
    """No model version holds the champion alias: nothing may be scored."""


class ScoringError(RuntimeError):
    """Scoring cannot run on what the warehouse holds; the message says why."""


class TrainingDataError(RuntimeError):
    """Not enough labelled history to train or validate."""
