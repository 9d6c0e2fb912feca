"""The quality gate's editable limits: ``expectations/gate.yml``, checked on load."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml

from ar_risk.config import PROJECT_DIR
from ar_risk.errors import DataError

LIMITS_FILE = PROJECT_DIR / "expectations" / "gate.yml"


class GateLimitsError(DataError, ValueError):
    """``gate.yml`` cannot be used (the message names the file and the key)."""


@dataclass(frozen=True)
class GateLimits:
    amount_ceiling: float = 10_000_000_000
    quarantine_share_stop: float = 0.5
    quarantine_share_min_rows: int = 20
    customer_history_multiple: float = 20
    customer_history_min_documents: int = 5


def load_gate_limits(path: Path = LIMITS_FILE) -> GateLimits:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except OSError as exc:
        raise GateLimitsError(f"{path}: cannot be read ({exc.strerror})") from exc
    except yaml.YAMLError as exc:
        raise GateLimitsError(f"{path}: not valid YAML: {exc}") from exc
    if not isinstance(data, dict):
        raise GateLimitsError(f"{path}: expected keys and values, found {type(data).__name__}")
    known = GateLimits.__dataclass_fields__
    unknown = sorted(set(data) - set(known))
    if unknown:
        raise GateLimitsError(f"{path}: unknown key(s) {', '.join(unknown)}; known: {', '.join(known)}")
    values = {}
    for key, value in data.items():
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise GateLimitsError(f"{path}: {key} must be a number, not {value!r}")
        values[key] = value
    limits = GateLimits(**values)
    if limits.amount_ceiling <= 0:
        raise GateLimitsError(f"{path}: amount_ceiling must be > 0, not {limits.amount_ceiling}")
    share, min_rows = limits.quarantine_share_stop, limits.quarantine_share_min_rows
    if not 0 < share <= 1:
        raise GateLimitsError(f"{path}: quarantine_share_stop must be a share in (0, 1], not {share}")
    if min_rows < 1 or int(min_rows) != min_rows:
        raise GateLimitsError(
            f"{path}: quarantine_share_min_rows must be a whole number >= 1, not {limits.quarantine_share_min_rows}"
        )
    if limits.customer_history_multiple <= 1:
        raise GateLimitsError(f"{path}: customer_history_multiple must be > 1, not {limits.customer_history_multiple}")
    if limits.customer_history_min_documents < 1:
        raise GateLimitsError(
            f"{path}: customer_history_min_documents must be >= 1, not {limits.customer_history_min_documents}"
        )
    return limits
