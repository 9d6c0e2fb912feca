"""Every text the report shows, in zh-CN and English, in one place.

A label the marts already carry in both languages (aging buckets, tiers,
archetypes, RFA grades and segments, KPI names) is read from the marts; this
table holds the report's own words. ``t(key, lang)`` fails on an unknown key
or a missing language, so a new label cannot ship half-translated.
"""

from __future__ import annotations

LANGUAGES = ("zh-CN", "en")

TEXTS: dict[str, dict[str, str]] = {
    # page
    "title": {"zh-CN": "应收账款财务健康体检报告", "en": "Accounts receivable financial health report"},
    "as_of": {"zh-CN": "截至", "en": "As of"},
    "run": {"zh-CN": "发布批次", "en": "Publication run"},
    "published_at": {"zh-CN": "发布时间 (UTC)", "en": "Published (UTC)"},
    "generated_at": {"zh-CN": "报告生成时间 (UTC)", "en": "Report generated (UTC)"},
    "currency": {"zh-CN": "报告币种", "en": "Reporting currency"},
    "source": {"zh-CN": "数据来源", "en": "Source"},
    "other_language": {"zh-CN": "English", "en": "中文"},
    "contents": {"zh-CN": "目录", "en": "Contents"},
    "not_available": {"zh-CN": "尚未提供", "en": "Not available yet"},
    "not_available_table": {
        "zh-CN": "本次发布中没有表 {table}：该部分将在相应功能上线后显示。",
        "en": "The publication has no table {table}: this section appears once that feature is live.",
    },
    "no_rows": {"zh-CN": "该日期没有数据。", "en": "No rows for this date."},
    "na": {"zh-CN": "无", "en": "n/a"},
    "footer": {
        "zh-CN": "本报告读取已发布的 serving.duckdb（只读），离线可用，不访问网络。",
        "en": "This report reads the published serving.duckdb (read-only) and opens offline, without network access.",
    },
    # status
    "status_red": {"zh-CN": "红", "en": "Red"},
    "status_yellow": {"zh-CN": "黄", "en": "Yellow"},
    "status_green": {"zh-CN": "绿", "en": "Green"},
    "status_not_available": {"zh-CN": "无法计算", "en": "Not computable"},
    "overall_status": {"zh-CN": "总体状态", "en": "Overall status"},
    "status_reasons": {"zh-CN": "原因", "en": "Because of"},
    # sections
    "sec_kpis": {"zh-CN": "核心指标", "en": "Headline KPIs"},
    "sec_aging": {"zh-CN": "账龄分布与趋势", "en": "Aging distribution and trend"},
    "sec_concentration": {"zh-CN": "客户集中度（帕累托）", "en": "Customer concentration (Pareto)"},
    "sec_breakdowns": {"zh-CN": "按区域、行业、部门", "en": "By region, industry and department"},
    "sec_rfa": {"zh-CN": "RFA 风险分析", "en": "RFA risk analysis"},
    "sec_tags": {"zh-CN": "客户分层与行为画像", "en": "Customer tiers and behaviour archetypes"},
    "sec_risk": {"zh-CN": "模型风险等级与预期信用损失", "en": "Model risk levels and expected credit loss"},
    "sec_ecl": {"zh-CN": "预期信用损失（坏账准备）", "en": "Expected credit loss (loss allowance, IFRS 9)"},
    "sec_top_overdue": {"zh-CN": "逾期金额最大的客户", "en": "Top overdue customers"},
    "sec_credit": {"zh-CN": "信用额度使用", "en": "Credit utilisation"},
    "sec_forecast": {"zh-CN": "未来13周回款预测", "en": "13-week cash forecast"},
    "sec_model": {"zh-CN": "模型卡片", "en": "Model card"},
    "sec_worklist": {"zh-CN": "催收工作清单", "en": "Collection worklist"},
    "sec_quality": {"zh-CN": "本次运行的数据质量", "en": "Data quality of the run"},
    # KPI cards
    "kpi_ar_total": {"zh-CN": "应收余额", "en": "Open AR"},
    "kpi_ar_overdue": {"zh-CN": "逾期金额", "en": "Overdue AR"},
    "kpi_overdue_rate": {"zh-CN": "逾期率", "en": "Overdue rate"},
    "kpi_dso": {"zh-CN": "DSO 应收账款周转天数", "en": "DSO (days)"},
    "kpi_countback_dso": {"zh-CN": "倒推法 DSO", "en": "Countback DSO"},
    "kpi_add": {"zh-CN": "平均逾期天数 ADD", "en": "Average days delinquent"},
    "kpi_cei": {"zh-CN": "回款效率指数 CEI", "en": "Collection effectiveness (CEI)"},
    "kpi_over_1y": {"zh-CN": "一年以上账龄占比", "en": "Share over 1 year"},
    "kpi_bad_debt": {"zh-CN": "坏账率（12个月）", "en": "Bad-debt rate (12 months)"},
    "kpi_collection_rate": {"zh-CN": "本月回款率", "en": "Collection rate (month to date)"},
    "kpi_promise_success": {"zh-CN": "承诺兑现率", "en": "Promises kept"},
    "kpi_top10": {"zh-CN": "前十大客户占比", "en": "Top-10 customer share"},
    "kpi_overdue_customers": {"zh-CN": "逾期客户数", "en": "Customers overdue"},
    "vs_last_month": {"zh-CN": "较上月", "en": "vs last month"},
    "last_month_note": {
        "zh-CN": "较上月：与上月末（{date}）发布的数据比较；DSO 的上月值由同一次构建重新计算。",
        "en": "Change vs last month compares with the published row of the last month end ({date}); "
        "DSO's prior value is recomputed in the same build.",
    },
    "no_history_note": {
        "zh-CN": "发布数据中没有上月末（{date}）的指标，因此除 DSO 外“较上月”显示为“无”。",
        "en": "The publication holds no KPIs for the last month end ({date}), so change vs last month is n/a "
        "except for DSO, which the build recomputes.",
    },
    # chart words
    "amount": {"zh-CN": "金额", "en": "Amount"},
    "customers": {"zh-CN": "客户数", "en": "Customers"},
    "share": {"zh-CN": "占比", "en": "Share"},
    "cumulative_share": {"zh-CN": "累计占比", "en": "Cumulative share"},
    "open_ar": {"zh-CN": "应收余额", "en": "Open AR"},
    "current": {"zh-CN": "未到期", "en": "Not yet due"},
    "overdue": {"zh-CN": "逾期", "en": "Overdue"},
    "overdue_rate": {"zh-CN": "逾期率", "en": "Overdue rate"},
    "aging_now": {"zh-CN": "当前账龄分布", "en": "Aging today"},
    "aging_trend": {"zh-CN": "账龄趋势（月末）", "en": "Aging trend (month ends)"},
    "aging_trend_single": {
        "zh-CN": "发布数据只有一个日期，趋势将随每日运行积累。",
        "en": "The publication holds a single date so far; the trend builds up with each daily run.",
    },
    "rank": {"zh-CN": "排名", "en": "Rank"},
    "top10_share": {"zh-CN": "前10大客户占比", "en": "Top-10 share"},
    "top50_share": {"zh-CN": "前50大客户占比", "en": "Top-50 share"},
    "hhi": {"zh-CN": "HHI 集中度指数", "en": "HHI"},
    "customers_for_80": {"zh-CN": "构成80%余额的客户数", "en": "Customers making 80%"},
    "pareto_title": {"zh-CN": "前{n}大客户余额与累计占比", "en": "Top {n} customers: open AR and cumulative share"},
    "by_region": {"zh-CN": "按区域", "en": "By region"},
    "by_industry": {"zh-CN": "按行业", "en": "By industry"},
    "by_department": {"zh-CN": "按部门", "en": "By department"},
    "department_collection": {"zh-CN": "部门回款达成", "en": "Collection by department"},
    "department": {"zh-CN": "部门", "en": "Department"},
    "collection_rate": {"zh-CN": "回款率", "en": "Collection rate"},
    "cei": {"zh-CN": "CEI", "en": "CEI"},
    "dso": {"zh-CN": "DSO", "en": "DSO"},
    "rfa_heatmap": {
        "zh-CN": "RFA 热力图：逾期时长 × 逾期频率（客户数）",
        "en": "RFA heatmap: recency x frequency of overdue (customers)",
    },
    "recency_score": {"zh-CN": "逾期时长评分 R", "en": "Recency score R"},
    "frequency_score": {"zh-CN": "逾期频率评分 F", "en": "Frequency score F"},
    "rfa_segments": {"zh-CN": "RFA 客户分群", "en": "RFA segments"},
    "rfa_grades": {"zh-CN": "RFA 风险等级", "en": "RFA risk grades"},
    "tiers": {"zh-CN": "客户分层", "en": "Customer tiers"},
    "archetypes": {"zh-CN": "行为画像", "en": "Behaviour archetypes"},
    "risk_levels": {"zh-CN": "模型风险等级", "en": "Model risk levels"},
    "expected_loss": {"zh-CN": "预期信用损失", "en": "Expected credit loss"},
    "expected_loss_total": {"zh-CN": "预期信用损失合计", "en": "Total expected credit loss"},
    "ecl_model_total": {"zh-CN": "模型法预期信用损失", "en": "Expected credit loss, model"},
    "ecl_matrix_total": {"zh-CN": "准备矩阵法预期信用损失", "en": "Expected credit loss, provision matrix"},
    "ecl_model": {"zh-CN": "模型法", "en": "Model ECL"},
    "ecl_matrix": {"zh-CN": "准备矩阵法", "en": "Provision-matrix ECL"},
    "writeoffs_12m": {"zh-CN": "近12个月实际坏账核销", "en": "Bad-debt write-offs, last 12 months"},
    "lgd": {"zh-CN": "违约损失率", "en": "Loss given default"},
    "lgd_default_note": {
        "zh-CN": "违约损失率采用参数默认值：{reason}",
        "en": "The loss given default is the parameter's default: {reason}",
    },
    "ecl_by_bucket": {
        "zh-CN": "按账龄的损失率与预期信用损失",
        "en": "Loss rate and expected credit loss by aging bucket",
    },
    "aging_bucket": {"zh-CN": "账龄区间", "en": "Aging bucket"},
    "lgd_source_history": {"zh-CN": "自身核销历史", "en": "the book's own write-offs"},
    "lgd_source_parameter": {"zh-CN": "参数默认值", "en": "parameter default"},
    "loss_rate": {"zh-CN": "损失率", "en": "Loss rate"},
    "risk_extreme": {"zh-CN": "极高", "en": "Extreme"},
    "risk_high": {"zh-CN": "高", "en": "High"},
    "risk_medium": {"zh-CN": "中", "en": "Medium"},
    "risk_low": {"zh-CN": "低", "en": "Low"},
    "customer": {"zh-CN": "客户", "en": "Customer"},
    "customer_id": {"zh-CN": "客户编号", "en": "Customer id"},
    "region": {"zh-CN": "区域", "en": "Region"},
    "max_dpd": {"zh-CN": "最长逾期天数", "en": "Max days past due"},
    "utilisation_flags": {"zh-CN": "额度使用状态（客户数）", "en": "Utilisation status (customers)"},
    "utilisation_pct": {"zh-CN": "额度使用率 %", "en": "Utilisation %"},
    "credit_limit": {"zh-CN": "信用额度", "en": "Credit limit"},
    "exposure": {"zh-CN": "风险敞口", "en": "Exposure"},
    "headroom": {"zh-CN": "剩余额度", "en": "Headroom"},
    "top_utilisation": {"zh-CN": "额度使用率最高的客户", "en": "Highest utilisation"},
    "flag_within_limit": {"zh-CN": "额度内", "en": "Within limit"},
    "flag_watch": {"zh-CN": "使用达80%", "en": "80% used"},
    "flag_warning": {"zh-CN": "使用达90%", "en": "90% used"},
    "flag_over_limit": {"zh-CN": "超出额度", "en": "Over limit"},
    "flag_no_limit": {"zh-CN": "无额度", "en": "No limit"},
    "week_starting": {"zh-CN": "周起始日", "en": "Week starting"},
    "expected_collections": {"zh-CN": "预计回款", "en": "Expected collections"},
    "invoices": {"zh-CN": "单据数", "en": "Invoices"},
    "forecast_total": {"zh-CN": "13周预计回款合计", "en": "Expected in 13 weeks"},
    "model_name": {"zh-CN": "模型", "en": "Model"},
    "model_version": {"zh-CN": "版本", "en": "Version"},
    "model_type": {"zh-CN": "类型", "en": "Type"},
    "roc_auc": {"zh-CN": "AUC", "en": "ROC AUC"},
    "pr_auc": {"zh-CN": "PR AUC", "en": "PR AUC"},
    "ks": {"zh-CN": "KS", "en": "KS"},
    "brier": {"zh-CN": "Brier 分数", "en": "Brier score"},
    "calibration_error": {"zh-CN": "校准误差", "en": "Calibration error"},
    "validation_window": {"zh-CN": "验证期", "en": "Validation period"},
    "trained_at": {"zh-CN": "训练时间", "en": "Trained at"},
    "drift": {"zh-CN": "特征漂移 PSI", "en": "Feature drift (PSI)"},
    "drift_alerts": {"zh-CN": "漂移告警特征数", "en": "Features with a drift alert"},
    "feature": {"zh-CN": "特征", "en": "Feature"},
    "worklist_rows": {"zh-CN": "工作清单条目", "en": "Worklist entries"},
    "worklist_scheduled": {"zh-CN": "已排期联系", "en": "Contacts scheduled"},
    "worklist_target": {"zh-CN": "目标回款金额", "en": "Target amount"},
    "worklist_top": {"zh-CN": "优先级最高的{n}条", "en": "Top {n} by priority"},
    "wl_rank": {"zh-CN": "排名", "en": "Rank"},
    "wl_action": {"zh-CN": "建议措施", "en": "Action"},
    "wl_risk": {"zh-CN": "风险等级", "en": "Risk level"},
    "wl_owner": {"zh-CN": "负责人", "en": "Owner"},
    "wl_channel": {"zh-CN": "渠道", "en": "Channel"},
    "wl_contact_date": {"zh-CN": "联系日期", "en": "Contact date"},
    "wl_target": {"zh-CN": "目标金额", "en": "Target"},
    "wl_priority": {"zh-CN": "优先级分数", "en": "Priority score"},
    "wl_invoices": {"zh-CN": "发票数", "en": "Invoices"},
    "alerts_today": {"zh-CN": "今日预警", "en": "Today's alerts"},
    "alert_type": {"zh-CN": "预警类型", "en": "Alert type"},
    "alert_severity": {"zh-CN": "严重程度", "en": "Severity"},
    "alert_count": {"zh-CN": "数量", "en": "Alerts"},
    "dq_table": {"zh-CN": "源表", "en": "Source table"},
    "dq_rules": {"zh-CN": "检查规则数", "en": "Rules checked"},
    "dq_failed": {"zh-CN": "未通过规则", "en": "Rules failed"},
    "dq_rows": {"zh-CN": "校验行数", "en": "Rows validated"},
    "dq_quarantined": {"zh-CN": "隔离行数", "en": "Rows quarantined"},
    "dq_status": {"zh-CN": "状态", "en": "Status"},
    "dq_batch": {"zh-CN": "校验批次 {batch}，校验于 {at} UTC。", "en": "Batch {batch}, validated {at} UTC."},
    "dq_no_batch": {
        "zh-CN": "该日期没有新的数据批次需要校验（没有新文件或新变更）。",
        "en": "No new batch was validated for this date (no new files or changed rows).",
    },
    "dq_docs": {
        "zh-CN": "规则说明见 expectations/README.md；GX Data Docs：$AR_HOME/gx/data_docs/index.html。",
        "en": "Rules: expectations/README.md; GX Data Docs: $AR_HOME/gx/data_docs/index.html.",
    },
}


def t(key: str, lang: str, **values: object) -> str:
    """The text ``key`` in ``lang``, with ``{placeholders}`` filled from ``values``."""
    if lang not in LANGUAGES:
        raise ValueError(f"unknown report language {lang!r}; expected one of {LANGUAGES}")
    text = TEXTS[key][lang]
    return text.format(**values) if values else text


def t_code(prefix: str, code: str, lang: str) -> str:
    """The label of a code (``risk_high``, ``flag_watch``…), or the code itself when it has none."""
    key = f"{prefix}_{code}"
    return t(key, lang) if key in TEXTS else str(code)
