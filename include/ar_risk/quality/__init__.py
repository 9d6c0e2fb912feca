"""Data-quality gates: every extracted batch is validated with Great Expectations before raw.

See :mod:`ar_risk.quality.gate` and ``expectations/README.md`` (the rules, their severity, why).
"""

from ar_risk.errors import QualityGateError

__all__ = ["QualityGateError"]
