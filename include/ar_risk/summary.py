"""The short run summary printed at the end of `make demo` / `make run`.

It reads the published serving file, read-only, exactly as a BI tool would:
what it shows is what was published, not what the warehouse holds.
"""

from __future__ import annotations

from ar_risk.config import Settings
from ar_risk.publish.serving import connect_serving


def _money(value) -> str:
    return f"{float(value or 0):,.2f}"


def _report_line(settings: Settings, as_of) -> str:
    """Where the health report of this publication is (written by the publish DAG's write_report)."""
    dated = settings.reports_dir / f"ar_health_{as_of}.zh-CN.html"
    if not dated.exists():
        return f"  health report   (not written yet: `ar-risk report` writes it to {settings.reports_dir})"
    return f"  health report   {dated}   (also .en.html; ar_health_latest.*.html is the current one)"


def model_lines(con, as_of) -> list[str]:
    """The scoring model and its risk levels, when the publication holds the model marts."""
    rows = con.execute("SELECT table_name FROM information_schema.tables WHERE table_schema = 'marts'").fetchall()
    tables = {name for (name,) in rows}
    if not {"model_card", "invoice_risk_scores"} <= tables:
        return []
    cards = con.execute(
        "SELECT target, model_version, model_type, roc_auc FROM marts.model_card WHERE as_of_date = ? ORDER BY target",
        [as_of],
    ).fetchall()
    levels = con.execute(
        """SELECT risk_level, count(*), sum(expected_loss_rc) FROM marts.invoice_risk_scores WHERE as_of_date = ?
           GROUP BY risk_level ORDER BY max(risk_level_order) DESC""",
        [as_of],
    ).fetchall()
    if not cards:
        return []
    return [
        "Risk models 风险模型: "
        + "; ".join(
            f"{target} v{version} ({model_type}, validation ROC-AUC {float(auc):.3f})"
            if auc is not None
            # no champion yet: pd_default comes from the provision matrix (ar_risk_ml.score)
            else f"{target} {version} (no trained model yet 尚无训练模型)"
            for target, version, model_type, auc in cards
        ),
        "  Open invoices by risk level (pd_default) 未清单据风险等级（违约概率）: "
        + ", ".join(f"{level} {n:,}" for level, n, _ in levels)
        + f"; expected credit loss 预期信用损失 {_money(sum(float(loss or 0) for _, _, loss in levels))}",
    ]


def _collection_lines(con, as_of, currency: str) -> list[str]:
    """The day's worklist and alerts, when the publication holds them (docs/collections.md)."""
    rows = con.execute("SELECT table_name FROM information_schema.tables WHERE table_schema = 'marts'").fetchall()
    if not {"collection_worklist", "alerts"} <= {name for (name,) in rows}:
        return []
    entries, scheduled, target = con.execute(
        """SELECT count(*), count(*) FILTER (WHERE contact_status = 'scheduled'), coalesce(sum(target_amount_rc), 0)
           FROM marts.collection_worklist WHERE as_of_date = ?""",
        [as_of],
    ).fetchone()
    top = con.execute(
        """SELECT worklist_rank, customer_id, customer_name, action_code, owner_name, contact_date, target_amount_rc
           FROM marts.collection_worklist WHERE as_of_date = ? ORDER BY worklist_rank LIMIT 3""",
        [as_of],
    ).fetchall()
    severities = con.execute(
        "SELECT severity, count(*) FROM marts.alerts WHERE as_of_date = ? GROUP BY ALL ORDER BY 2 DESC, 1", [as_of]
    ).fetchall()
    lines = [
        "",
        f"Collection worklist 催收任务: {entries:,} rows, {scheduled:,} contacts scheduled, "
        f"target 目标回款 {_money(target)} {currency}",
    ]
    for rank, customer_id, name, action, owner, contact_date, amount in top:
        when = contact_date or "no contact"
        lines.append(f"  {rank}. {customer_id:<10} {name}  {action} by {owner} on {when}: {_money(amount)} {currency}")
    alerts = ", ".join(f"{severity} {n:,}" for severity, n in severities) or "none"
    lines.append(f"Alerts 预警: {alerts}")
    return lines


def _quarantine_lines(con) -> list[str]:
    """Rows the gate quarantined in the publication's newest batch, per table and reason."""
    present = {
        name
        for (name,) in con.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'meta'"
        ).fetchall()
    }
    if not {"quarantine_reasons", "quarantine_counts", "data_quality"} <= present:
        return []
    batch = con.execute(
        "SELECT batch_id FROM meta.data_quality ORDER BY validated_at DESC, batch_id DESC LIMIT 1"
    ).fetchone()
    if batch is None:
        return []
    tables = con.execute(
        "SELECT table_name, sum(rows_quarantined) FROM meta.quarantine_counts WHERE batch_id = ? "
        "GROUP BY ALL ORDER BY 1",
        batch,
    ).fetchall()
    if not tables:
        return ["", "Quarantined rows 隔离行数: none 无"]
    reasons = con.execute(
        """SELECT table_name, column_name, rule, rows_quarantined FROM meta.quarantine_reasons
           WHERE batch_id = ? ORDER BY table_name, rows_quarantined DESC, column_name, rule""",
        batch,
    ).fetchall()
    lines = ["", "Quarantined rows 隔离行数 (raw._quarantine; fix at the source and send again 请在源头更正后重发):"]
    for table, rows in tables:
        detail = ", ".join(f"{column} {rule} {n:,}" for t, column, rule, n in reasons if t == table)
        lines.append(f"  {table:<26} {rows:>8,}  ({detail})")
    return lines


def email_lines(settings: Settings, as_of) -> list[str]:
    """The as-of date's e-mails by type and status, and every failure (ar_risk.delivery's outbox)."""
    from ar_risk.delivery.outbox import read_counts

    found = read_counts(settings.outbox_path, as_of)
    mode = "dry run 演练" if settings.email_mode == "dry_run" else "send 发送"
    if found is None or not found[0]:
        return [f"E-mail 邮件 ({mode}): none composed for this date"]
    counts, failed = found
    by_type: dict[str, list[str]] = {}
    for (message_type, status), n in sorted(counts.items()):
        by_type.setdefault(message_type, []).append(f"{status} {n:,}")
    lines = [f"E-mail 邮件 ({mode}, outbox {settings.outbox_path}):"]
    lines += [f"  {message_type:<16} {', '.join(parts)}" for message_type, parts in by_type.items()]
    lines += [f"  FAILED 失败 {f['message_key']} to {f['recipient_masked']}: {f['reason']}" for f in failed]
    return lines


def render_summary(settings: Settings) -> str:
    con = connect_serving(settings)
    try:
        manifest = con.execute(
            "SELECT run_id, as_of_date, published_at, table_name, row_count FROM meta.publication ORDER BY table_name"
        ).fetchall()
        run_id, as_of, published_at = manifest[0][0], manifest[0][1], manifest[0][2]
        totals = con.execute(
            """SELECT count(*), sum(open_amount_rc),
                      sum(open_amount_rc) FILTER (WHERE days_past_due > 0),
                      count(DISTINCT customer_id) FILTER (WHERE days_past_due > 0),
                      any_value(reporting_currency)
               FROM marts.fct_ar_open_items WHERE as_of_date = ?""",
            [as_of],
        ).fetchone()
        top_overdue = con.execute(
            """SELECT customer_id, any_value(customer_name), sum(open_amount_rc), max(days_past_due)
               FROM marts.fct_ar_open_items
               WHERE as_of_date = ? AND days_past_due > 0
               GROUP BY customer_id ORDER BY sum(open_amount_rc) DESC, customer_id LIMIT 5""",
            [as_of],
        ).fetchall()
        kpis = con.execute(
            """SELECT rag_status, status_reasons, dso_standard, countback_dso, best_possible_dso,
                      collection_effectiveness_index, over_1y_share, top10_share
               FROM marts.agg_ar_kpis WHERE as_of_date = ? AND scope_type = 'company'""",
            [as_of],
        ).fetchone()
        risk_grades = con.execute(
            """SELECT risk_grade, count(*) FROM marts.customer_rfa WHERE as_of_date = ?
               GROUP BY risk_grade ORDER BY min(rfa_total_score) DESC""",
            [as_of],
        ).fetchall()
        model = model_lines(con, as_of)
        quality = _quarantine_lines(con)
        collections = _collection_lines(con, as_of, totals[4] or settings.reporting_currency)
    finally:
        con.close()

    items, open_rc, overdue_rc, overdue_customers, currency = totals
    currency = currency or settings.reporting_currency
    overdue_share = (float(overdue_rc or 0) / float(open_rc)) if open_rc else 0.0
    lines = [
        f"AR risk pipeline — as of 截至 {as_of}  (run {run_id}, published {published_at:%Y-%m-%d %H:%M:%S} UTC)",
        "",
        "Published tables 发布的表 (rows 行数):",
        *[f"  marts.{table:<28} {count:>12,}" for _, _, _, table, count in manifest],
        "",
        f"Open items 未清单据:            {items:>14,}",
        f"Total open AR 应收余额:         {_money(open_rc):>18} {currency}",
        f"Overdue AR 逾期金额:            {_money(overdue_rc):>18} {currency}  ({overdue_share:.1%} of open AR)",
        f"Customers overdue 逾期客户数:   {overdue_customers:>14,}",
    ]
    if kpis:
        status, reasons, dso, countback, best, cei, over_1y, top10 = kpis
        lines += [
            "",
            f"Company KPIs 公司指标: {str(status).upper()}" + (f"  ({reasons})" if reasons else ""),
            f"  DSO 应收账款周转天数: {dso} (countback 倒推法 {countback}, best possible 最佳 {best})",
            f"  CEI 回款效率指数: {float(cei or 0):.1%}   over 1 year 一年以上占比: {float(over_1y or 0):.1%}"
            f"   top-10 share 前十大客户占比: {float(top10 or 0):.1%}",
        ]
    if risk_grades:
        lines.append("Customers by risk grade 客户风险等级: " + ", ".join(f"{g} {n:,}" for g, n in risk_grades))
    lines += model
    lines += collections
    lines += email_lines(settings, as_of)
    lines += quality
    lines += ["", "Top 5 overdue customers 逾期金额前五的客户:"]
    for rank, (customer_id, name, amount, max_dpd) in enumerate(top_overdue, start=1):
        lines.append(f"  {rank}. {customer_id:<10} {name}  {_money(amount)} {currency}, max {max_dpd} days past due")
    if not top_overdue:
        lines.append("  (none)")
    lines += [
        "",
        "Where things are 文件位置:",
        f"  landing files   {settings.landing_dir}",
        f"  warehouse       {settings.warehouse_path}",
        f"  BI publication  {settings.serving_path}   (open read-only; schema marts)",
        f"  run logs        {settings.home / 'logs'}   (one file per DAG run)",
        f"  data quality    {settings.home / 'gx' / 'data_docs' / 'index.html'}   (GX Data Docs)",
        _report_line(settings, as_of),
        f"  Airflow home    {settings.airflow_home}",
        f"  MLflow          {settings.mlflow_tracking_uri}   (make ui: Airflow and MLflow UIs)",
    ]
    return "\n".join(lines)
