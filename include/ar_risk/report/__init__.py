"""The financial health report (财务健康体检报告): self-contained HTML from the published marts."""

from ar_risk.report.render import ReportError, ReportFiles, write_report

__all__ = ["ReportError", "ReportFiles", "write_report"]
