"""The collection strategy tables a finance manager edits, checked before any run uses them.

The tables are dbt seeds (``dbt_project/seeds``): the strategy matrix, escalation
ladder, owners, actions, channels, contact policies, message templates, alert
rules and parameters. dbt loads them as they are; this module reads the same
files first and stops the run with the file, row and column of a bad edit
(a typo in an action code, a contact window inside quiet hours, a template
placeholder the pipeline does not fill), instead of a wrong worklist.

docs/collections.md describes every table and rule.
"""

from __future__ import annotations

import datetime as dt
import itertools
import re
from collections.abc import Callable, Iterable
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ar_risk.config import EMAIL_ADDRESS
from ar_risk.errors import DataError
from ar_risk.seed_tables import PLACEHOLDER, Row, SeedReader

RISK_LEVELS = ("low", "medium", "high", "extreme")
OWNER_ROLES = ("sales_rep", "sales_supervisor", "finance_manager", "legal", "data_team")
CONTACT_CHANNELS = ("phone", "email", "sms", "wechat", "visit", "letter", "internal")
STRATEGY_CHANNELS = (*CONTACT_CHANNELS, "preferred")
ALERT_TYPES = (
    "due_soon", "newly_overdue", "aging_escalation", "overdue_cross_department", "credit_utilisation",
    "promise_broken", "risk_raised", "score_drift", "data_quality", "late_payments", "dispute_sla",
    "collection_plan_shortfall", "receipt_anomaly",
)  # fmt: skip
SEVERITIES = ("info", "warning", "critical")
PHRASE_TYPES = ("risk_level", "clause")
LANGUAGES = ("en", "zh-CN")

# What the SQL fills in a worklist message / an alert message (macros/collections.sql).
WORKLIST_PLACEHOLDERS = frozenset(
    {
        "customer_name", "contact_name", "invoice_count", "amount", "currency", "oldest_due_date",
        "days_past_due", "target_amount", "target_date", "owner_name", "discount_pct", "discount_days",
        "overdue_amount", "not_due_amount", "not_due_clause", "late_fee", "late_fee_clause",
    }
)  # fmt: skip
# What a phrase of message_phrases may use (a clause is filled, then put into its template).
DISCOUNT_KINDS = ("early_payment", "settlement")
PHRASE_PLACEHOLDERS = frozenset({"not_due_amount", "overdue_amount", "late_fee", "currency"})
ALERT_PLACEHOLDERS = frozenset(
    {
        "customer_name", "invoice_id", "amount", "currency", "due_date", "days_past_due", "risk_level",
        "utilisation_pct", "level_label_en", "level_label_zh", "feature", "psi", "table_name", "rule",
        "column_name", "unexpected_count", "payments", "late_payments", "late_share_pct", "max_share_pct",
        "window_days", "planned_amount", "plan_share_pct", "min_share_pct", "plan_month", "payment_id", "payment_date",
        "reasons",
    }
)  # fmt: skip
TIME_OF_DAY = re.compile(r"^([01][0-9]|2[0-3]):[0-5][0-9]$")


class StrategyConfigError(DataError, ValueError):
    """A strategy table has a value the pipeline cannot use; the message names file, row and column."""


_seeds = SeedReader(StrategyConfigError)
read_table = _seeds.table
_number = _seeds.number
_boolean = _seeds.boolean
_placeholders = _seeds.template


def _one_of(row: Row, column: str, allowed: Iterable[str], *, wildcard: bool = False) -> str:
    value = row.get(column)
    options = (*allowed, "*") if wildcard else tuple(allowed)
    if value not in options:
        raise StrategyConfigError(f"{row.where(column)}: {value!r} is not one of {', '.join(options)}")
    return value


def _time(row: Row, column: str, *, optional: bool = False) -> dt.time | None:
    text = row.get(column)
    if not text and optional:
        return None
    if not TIME_OF_DAY.match(text):
        raise StrategyConfigError(f"{row.where(column)}: {text!r} is not a time of day HH:MM (00:00-23:59)")
    return dt.time.fromisoformat(text)


def _unique(rows: list[Row], key: Callable[[Row], tuple], what: str) -> None:
    seen: dict[tuple, int] = {}
    for row in rows:
        k = key(row)
        if k in seen:
            raise StrategyConfigError(f"{row.file} row {row.number}: duplicate {what} {k} (first on row {seen[k]})")
        seen[k] = row.number


def _contiguous(rows: list[Row], order_col: str, what: str) -> None:
    """Day ranges (min/max days past due) sorted by order must not overlap nor leave gaps; the last is open."""
    ordered = sorted(rows, key=lambda r: _number(r, order_col))
    for previous, row in itertools.pairwise(ordered):
        high = _number(previous, "max_days_past_due", optional=True)
        low = _number(row, "min_days_past_due", optional=True)
        if high is None or low is None or low != high + 1:
            raise StrategyConfigError(
                f"{row.where('min_days_past_due')}: {what} must follow on from row {previous.number} "
                f"(max {high}) without gap or overlap; min is {low}"
            )
    if _number(ordered[-1], "max_days_past_due", optional=True) is not None:
        raise StrategyConfigError(f"{ordered[-1].where('max_days_past_due')}: the last {what} must be open-ended")


def load_parameters(seeds_dir: Path) -> dict[str, object]:
    rows = read_table(seeds_dir, "collection_parameters", ("parameter", "value"))
    _unique(rows, lambda r: (r.get("parameter"),), "parameter")
    by_name = {r.get("parameter"): r for r in rows}
    days = ("cross_department_days", "dispute_sla_days", "alert_repeat_after_days", "promise_tolerance_days",
            "broken_promise_lookback_days", "pay_habit_window_days", "pay_habit_min_payments",
            "pay_habit_tolerance_days", "pay_habit_lead_days", "effectiveness_window_days",
            "worklist_history_days", "late_payment_window_days", "late_payment_grace_days",
            "late_payment_min_payments", "digest_top_items", "rep_daily_capacity",
            "statement_day_of_month")  # fmt: skip
    ratios = ("pay_habit_min_share", "success_min_collected_share", "late_payment_max_share",
              "collection_plan_min_share")  # fmt: skip
    texts = ("prevention_min_risk_level", "quiet_hours_start", "quiet_hours_end", "company_timezone",
             "company_country", "ar_team_name_en", "ar_team_name_zh")  # fmt: skip
    unknown = sorted(set(by_name) - set(days) - set(ratios) - set(texts))
    if unknown:
        row = by_name[unknown[0]]
        raise StrategyConfigError(f"{row.where('parameter')}: unknown parameter {unknown[0]!r}")
    missing = sorted({*days, *ratios, *texts} - set(by_name))
    if missing:
        raise StrategyConfigError(f"collection_parameters.csv: missing parameter(s) {missing}")
    params: dict[str, object] = {}
    for name in days:
        value = _number(by_name[name], "value", low=0, high=3660)
        if value != int(value):
            raise StrategyConfigError(f"{by_name[name].where('value')}: {name} must be a whole number")
        params[name] = int(value)
    for name in ratios:
        params[name] = _number(by_name[name], "value", low=0, high=1)
    # The red alert (late payments) and the owner's digest need a window, a count and a share that can be met.
    for name in ("late_payment_window_days", "late_payment_min_payments", "digest_top_items"):
        if params[name] < 1:
            raise StrategyConfigError(f"{by_name[name].where('value')}: {name} must be at least 1")
    # a day every month has (ar_risk.delivery sends the statements of account on or after it)
    if not 1 <= params["statement_day_of_month"] <= 28:
        raise StrategyConfigError(
            f"{by_name['statement_day_of_month'].where('value')}: statement_day_of_month must be 1 to 28"
        )
    if params["late_payment_max_share"] >= 1:
        raise StrategyConfigError(
            f"{by_name['late_payment_max_share'].where('value')}: late_payment_max_share "
            f"{by_name['late_payment_max_share'].get('value')} can never be exceeded (the red alert fires above it); "
            "use a share below 1, e.g. 0.4"
        )
    params["prevention_min_risk_level"] = _one_of(by_name["prevention_min_risk_level"], "value", (*RISK_LEVELS, "all"))
    start = _time(by_name["quiet_hours_start"], "value")
    end = _time(by_name["quiet_hours_end"], "value")
    if not end < start:
        raise StrategyConfigError(
            f"{by_name['quiet_hours_end'].where('value')}: quiet hours must run overnight "
            f"(end {end:%H:%M} before start {start:%H:%M})"
        )
    params["quiet_hours_start"], params["quiet_hours_end"] = start, end
    tz = by_name["company_timezone"].get("value")
    try:
        ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        raise StrategyConfigError(f"{by_name['company_timezone'].where('value')}: unknown time zone {tz!r}") from None
    params["company_timezone"] = tz
    country = by_name["company_country"].get("value")
    if not re.fullmatch(r"[A-Z]{2}", country):
        raise StrategyConfigError(f"{by_name['company_country'].where('value')}: {country!r} is not ISO 3166 alpha-2")
    params["company_country"] = country
    # The contact a customer message names when the owner is a desk, not a person (collection_owners.is_person).
    for name in ("ar_team_name_en", "ar_team_name_zh"):
        team = by_name[name].get("value")
        if not team or PLACEHOLDER.search(team):
            raise StrategyConfigError(f"{by_name[name].where('value')}: {name} needs the AR team's name")
        params[name] = team
    return params


def _check_companion(row: Row, actions: dict[str, Row]) -> None:
    """An internal action beside the rule's action must be internal and never contradict it.

    It may go beside a customer-facing action only at or above its min_companion_order (a reminder or a
    discount never goes beside litigation, an order lock or a write-off review).
    """
    companion = row.get("internal_action_code")
    if not companion:
        return
    _one_of(row, "internal_action_code", actions)
    internal = actions[companion]
    if _boolean(internal, "contacts_customer"):
        raise StrategyConfigError(
            f"{row.where('internal_action_code')}: {companion!r} contacts the customer; only an internal action "
            "goes beside the rule's action"
        )
    if companion == row.get("action_code"):
        raise StrategyConfigError(f"{row.where('internal_action_code')}: {companion!r} is the rule's action already")
    action = actions[row.get("action_code")]
    if not _boolean(action, "contacts_customer"):
        return
    lowest = _number(internal, "min_companion_order", optional=True)
    if lowest is None or _number(action, "action_order") < lowest:
        allowed = "no customer action" if lowest is None else f"customer actions of action_order {lowest:g} or more"
        raise StrategyConfigError(
            f"{row.where('internal_action_code')}: {companion!r} contradicts {row.get('action_code')!r} "
            f"(collection_actions.csv: {allowed} may go beside it)"
        )


def _min_overdue(row: Row) -> float:
    """The rule's minimum overdue amount (reporting currency); 0 when the cell is empty."""
    return _number(row, "min_overdue_amount_rc", optional=True, low=0) or 0.0


def _check_reachable(strategy: list[Row]) -> None:
    """Every rule can fire: no rule of higher precedence (lower priority) in its stage matches all it matches.

    An earlier rule with a higher minimum overdue amount leaves the smaller amounts to the later one.
    """
    ordered = sorted(strategy, key=lambda r: _number(r, "priority"))
    conditions = ("risk_level", "customer_tier", "archetype")
    for index, row in enumerate(ordered):
        for earlier in ordered[:index]:
            if (
                earlier.get("collection_stage") == row.get("collection_stage")
                and all(earlier.get(c) in ("*", row.get(c)) for c in conditions)
                and _min_overdue(earlier) <= _min_overdue(row)
            ):
                raise StrategyConfigError(
                    f"{row.where('priority')}: rule {row.get('rule_id')} never fires: rule {earlier.get('rule_id')} "
                    f"(row {earlier.number}, priority {earlier.get('priority')}) matches every case it matches "
                    "and comes first; give it a lower priority number"
                )


def validate_strategy(seeds_dir: Path) -> dict[str, object]:
    """Check every collections table; return the parameters. Raises StrategyConfigError naming the cell."""
    params = load_parameters(seeds_dir)
    # Tiers and archetypes are defined by their own seeds (one place per concept).
    tiers = [r.get("customer_tier") for r in read_table(seeds_dir, "customer_tiers", ("customer_tier",))]
    archetypes = [r.get("archetype") for r in read_table(seeds_dir, "customer_archetypes", ("archetype",))]

    stages = read_table(seeds_dir, "collection_stages", ("collection_stage", "stage_order", "min_days_past_due",
                                                          "max_days_past_due", "severity_weight"))  # fmt: skip
    _unique(stages, lambda r: (r.get("collection_stage"),), "collection_stage")
    for row in stages:
        _number(row, "severity_weight", low=0, high=100)
    _contiguous(stages, "stage_order", "collection stage")
    first = min(stages, key=lambda r: _number(r, "stage_order"))
    if not (
        -90 <= _number(first, "min_days_past_due") <= 0 and _number(first, "max_days_past_due", optional=True) == 0
    ):
        raise StrategyConfigError(
            f"{first.where('min_days_past_due')}: the first stage is the prevention stage: "
            "min_days_past_due between -90 and 0 (due within that many days) and max_days_past_due 0"
        )
    stage_codes = [r.get("collection_stage") for r in stages]

    ladder = read_table(seeds_dir, "escalation_ladder", ("owner_role", "ladder_order", "min_days_past_due",
                                                          "max_days_past_due"))  # fmt: skip
    for row in ladder:
        _one_of(row, "owner_role", OWNER_ROLES)
    _unique(ladder, lambda r: (r.get("owner_role"),), "owner_role")
    _contiguous(ladder, "ladder_order", "ladder step")
    if _number(min(ladder, key=lambda r: _number(r, "ladder_order")), "min_days_past_due", optional=True) is not None:
        raise StrategyConfigError(
            "escalation_ladder.csv: the first step must have no min_days_past_due (it owns pre-due)"
        )

    owners = read_table(seeds_dir, "collection_owners", ("owner_role", "region", "person_id", "person_name",
                                                          "is_person"))  # fmt: skip
    for row in owners:
        _one_of(row, "owner_role", OWNER_ROLES)
        if not row.get("person_id"):
            raise StrategyConfigError(f"{row.where('person_id')}: a person id is required")
        # false: a desk or team; customer messages then name the AR team (ar_team_name_en / _zh) instead
        _boolean(row, "is_person")
    _unique(owners, lambda r: (r.get("owner_role"), r.get("region")), "owner_role and region")
    defaults = {r.get("owner_role") for r in owners if r.get("region") == "*"}
    for role in sorted(set(OWNER_ROLES) - defaults):
        raise StrategyConfigError(
            f"collection_owners.csv: no default row (region *) for owner_role {role!r}: "
            "it is who gets the work when nobody else is on record"
        )

    actions = read_table(seeds_dir, "collection_actions", ("action_code", "action_order", "contacts_customer",
                                                            "owner_role", "target_days", "discount_rate",
                                                            "discount_days", "follows_pay_habit",
                                                            "min_companion_order", "label_en", "label_zh",
                                                            "discount_kind"))  # fmt: skip
    _unique(actions, lambda r: (r.get("action_code"),), "action_code")
    for row in actions:
        if not re.fullmatch(r"[a-z][a-z0-9_]*", row.get("action_code")):
            raise StrategyConfigError(
                f"{row.where('action_code')}: {row.get('action_code')!r} is not a snake_case code"
            )
        _number(row, "action_order", low=0)
        if row.get("owner_role"):  # empty: the escalation ladder decides
            _one_of(row, "owner_role", OWNER_ROLES)
        _boolean(row, "contacts_customer")
        _boolean(row, "follows_pay_habit")
        _number(row, "target_days", low=0, high=365)
        rate = _number(row, "discount_rate", optional=True, low=0, high=0.2)
        if (rate is None) != (_number(row, "discount_days", optional=True, low=1, high=90) is None):
            raise StrategyConfigError(f"{row.where('discount_days')}: discount_rate and discount_days go together")
        # early_payment: only before the due date, deadline no later than it; settlement: for an overdue balance,
        # deadline the contact date + discount_days (docs/collections.md, "Target and message")
        if rate is None and row.get("discount_kind"):
            raise StrategyConfigError(f"{row.where('discount_kind')}: a discount kind needs a discount_rate")
        if rate is not None:
            _one_of(row, "discount_kind", DISCOUNT_KINDS)
        for label in ("label_en", "label_zh"):
            if not row.get(label):
                raise StrategyConfigError(f"{row.where(label)}: a label is required")
        if _boolean(row, "contacts_customer") and row.get("min_companion_order"):
            raise StrategyConfigError(
                f"{row.where('min_companion_order')}: only an internal action (contacts_customer false) "
                "names the customer actions that may go beside it"
            )
        _number(row, "min_companion_order", optional=True, low=0)
    action_codes = [r.get("action_code") for r in actions]
    action_by_code = {r.get("action_code"): r for r in actions}
    if "dispute_resolution" not in action_codes:
        raise StrategyConfigError("collection_actions.csv: action dispute_resolution is required (disputed invoices)")

    _check_collectors(seeds_dir, ladder, actions)

    channels = read_table(seeds_dir, "contact_channels", ("channel", "window_start", "window_end", "contacts_customer"))
    _unique(channels, lambda r: (r.get("channel"),), "channel")
    quiet_start, quiet_end = params["quiet_hours_start"], params["quiet_hours_end"]
    for row in channels:
        _one_of(row, "channel", CONTACT_CHANNELS)
        if not _boolean(row, "contacts_customer"):
            continue
        start, end = _time(row, "window_start"), _time(row, "window_end")
        if not start < end:
            raise StrategyConfigError(f"{row.where('window_end')}: the window must end after it starts")
        # Windows are clipped to the allowed hours; one that lies wholly in quiet hours can never be used.
        if not (max(start, quiet_end) < min(end, quiet_start)):
            raise StrategyConfigError(
                f"{row.where('window_start')}: {start:%H:%M}-{end:%H:%M} lies within quiet hours "
                f"({quiet_start:%H:%M}-{quiet_end:%H:%M}): no contact could ever be scheduled"
            )
    missing_channels = sorted(set(CONTACT_CHANNELS) - {r.get("channel") for r in channels})
    if missing_channels:
        raise StrategyConfigError(f"contact_channels.csv: missing channel(s) {missing_channels}")

    policies = read_table(seeds_dir, "contact_policies", ("customer_tier", "max_contacts_per_week", "grace_days"))
    _unique(policies, lambda r: (r.get("customer_tier"),), "customer_tier")
    for row in policies:
        _one_of(row, "customer_tier", tiers, wildcard=True)
        cap = _number(row, "max_contacts_per_week", low=1, high=50)
        if cap != int(cap):
            raise StrategyConfigError(f"{row.where('max_contacts_per_week')}: a whole number is required")
        # days past due before the first dunning (seed 003: core customers get 3-5 days)
        grace = _number(row, "grace_days", low=0, high=30)
        if grace != int(grace):
            raise StrategyConfigError(f"{row.where('grace_days')}: a whole number of days is required")
    if "*" not in {r.get("customer_tier") for r in policies}:
        raise StrategyConfigError("contact_policies.csv: a default row (customer_tier *) is required")

    strategy = read_table(seeds_dir, "collection_strategy", ("rule_id", "priority", "collection_stage", "risk_level",
                                                              "customer_tier", "archetype", "min_overdue_amount_rc",
                                                              "action_code", "internal_action_code",
                                                              "channel"))  # fmt: skip
    _unique(strategy, lambda r: (r.get("rule_id"),), "rule_id")
    _unique(strategy, lambda r: (*(r.get(c) for c in ("collection_stage", "risk_level", "customer_tier",
                                                      "archetype")), _min_overdue(r)), "condition")  # fmt: skip
    for row in strategy:
        priority = _number(row, "priority", low=1, high=1_000_000)
        if priority != int(priority):
            raise StrategyConfigError(f"{row.where('priority')}: a whole number is required")
        _one_of(row, "collection_stage", stage_codes)
        _one_of(row, "risk_level", RISK_LEVELS, wildcard=True)
        _one_of(row, "customer_tier", tiers, wildcard=True)
        _one_of(row, "archetype", archetypes, wildcard=True)
        _one_of(row, "action_code", action_codes)
        _one_of(row, "channel", STRATEGY_CHANNELS)
        # e.g. legal action only from 10 000 overdue; below it a later rule (agency) takes the customer
        _min_overdue(row)
        _check_companion(row, action_by_code)
    _unique(strategy, lambda r: (int(_number(r, "priority")),), "priority")
    for stage in stage_codes:
        # a discount action does not catch a customer who has just broken a promise (the next rule does)
        if not any(r.get("collection_stage") == stage and r.get("risk_level") == r.get("customer_tier")
                   == r.get("archetype") == "*" and _min_overdue(r) == 0
                   and _number(action_by_code[r.get("action_code")], "discount_rate", optional=True) is None
                   for r in strategy):  # fmt: skip
            raise StrategyConfigError(
                f"collection_strategy.csv: stage {stage!r} needs a catch-all rule (risk_level, customer_tier "
                "and archetype all *, no min_overdue_amount_rc, an action without a discount) so that every "
                "invoice gets an action"
            )
    _check_reachable(strategy)

    templates = read_table(seeds_dir, "message_templates", ("template_code", "action_code", "min_days_past_due",
                                                             "language", "subject", "body"))  # fmt: skip
    _unique(templates, lambda r: (r.get("action_code"), r.get("min_days_past_due"), r.get("language")),
            "action_code, min_days_past_due and language")  # fmt: skip
    for row in templates:
        _one_of(row, "action_code", action_codes, wildcard=True)
        _one_of(row, "language", LANGUAGES)
        _number(row, "min_days_past_due", low=-999, high=3650)
        _placeholders(row, "subject", WORKLIST_PLACEHOLDERS)
        _placeholders(row, "body", WORKLIST_PLACEHOLDERS)
    for language in LANGUAGES:
        if not any(r.get("action_code") == "*" and _number(r, "min_days_past_due") <= -7
                   and r.get("language") == language for r in templates):  # fmt: skip
            raise StrategyConfigError(
                f"message_templates.csv: a default template (action_code *, min_days_past_due <= -7) "
                f"in {language} is required"
            )

    phrases = read_table(seeds_dir, "message_phrases", ("phrase_type", "code", "label_en", "label_zh"))
    _unique(phrases, lambda r: (r.get("phrase_type"), r.get("code")), "phrase_type and code")
    for row in phrases:
        _one_of(row, "phrase_type", PHRASE_TYPES)
        for label in ("label_en", "label_zh"):
            if row.get("phrase_type") != "clause" and not row.get(label):
                raise StrategyConfigError(f"{row.where(label)}: a label is required")
            _placeholders(row, label, PHRASE_PLACEHOLDERS)
    known = {(r.get("phrase_type"), r.get("code")) for r in phrases}
    for needed in (("risk_level", "unscored"), ("clause", "not_yet_due"), ("clause", "late_fee")):
        if needed not in known:
            raise StrategyConfigError(f"message_phrases.csv: phrase {needed[0]} {needed[1]!r} is required")

    rule_columns = ("alert_type", "alert_level", "category", "severity", "owner_role", "notify_roles", "rule_version",
                    "message_en", "message_zh")  # fmt: skip
    rules = read_table(seeds_dir, "alert_rules", rule_columns)
    _unique(rules, lambda r: (r.get("alert_type"), r.get("alert_level")), "alert_type and alert_level")
    for row in rules:
        _one_of(row, "alert_type", ALERT_TYPES)
        _one_of(row, "severity", SEVERITIES)
        _one_of(row, "owner_role", OWNER_ROLES)
        for role in row.get("notify_roles").split(";"):
            if role not in OWNER_ROLES:
                raise StrategyConfigError(
                    f"{row.where('notify_roles')}: {role!r} is not one of {', '.join(OWNER_ROLES)}"
                )
        _number(row, "rule_version", low=1)
        _placeholders(row, "message_en", ALERT_PLACEHOLDERS)
        _placeholders(row, "message_zh", ALERT_PLACEHOLDERS)
    _check_escalation_ladder(rules, read_table(seeds_dir, "aging_buckets", ("aging_bucket", "bucket_order")))
    return params


# Who an older debt is escalated to: never back down this order (data_team is not on the ladder).
ESCALATION_ORDER = ("sales_rep", "sales_supervisor", "finance_manager", "legal")


def _check_escalation_ladder(rules: list[Row], buckets: list[Row]) -> None:
    """An aging_escalation alert for an older bucket is never milder, nor owned lower, than a younger one's.

    Each bucket takes its own alert_rules row, else the `*` row, as alerts.sql does: a ladder that went to legal
    at 91-180 days and fell back to the sales supervisor at 181-365 (through `*`) is refused.
    """
    by_level = {r.get("alert_level"): r for r in rules if r.get("alert_type") == "aging_escalation"}
    # bucket_order 0 is not yet due: no aging_escalation alert
    overdue = [b for b in sorted(buckets, key=lambda b: _number(b, "bucket_order")) if _number(b, "bucket_order") >= 1]
    ladder = [(b.get("aging_bucket"), by_level.get(b.get("aging_bucket")) or by_level.get("*")) for b in overdue]
    ladder = [(code, row) for code, row in ladder if row is not None]
    for (before_code, before), (code, row) in itertools.pairwise(ladder):
        for column, order in (("severity", SEVERITIES), ("owner_role", ESCALATION_ORDER)):
            now, then = row.get(column), before.get(column)
            if now in order and then in order and order.index(now) < order.index(then):
                raise StrategyConfigError(
                    f"{row.where(column)}: aging_escalation for {code} falls back to {now!r} after {then!r} "
                    f"for {before_code} ({before.file} row {before.number}); add a row for {code} so the "
                    "escalation ladder never steps down"
                )


def _check_collectors(seeds_dir: Path, ladder: list[Row], actions: list[Row]) -> None:
    """collectors.csv: a person per row, a positive whole daily capacity, known languages, every role staffed."""
    collectors = read_table(seeds_dir, "collectors", ("person_id", "person_name", "owner_role", "region",
                                                       "daily_capacity", "languages"))  # fmt: skip
    _unique(collectors, lambda r: (r.get("person_id"),), "person_id")
    for row in collectors:
        for column in ("person_id", "person_name", "region"):
            if not row.get(column):
                raise StrategyConfigError(f"{row.where(column)}: a value is required")
        _one_of(row, "owner_role", OWNER_ROLES)
        if row.get("email") and not EMAIL_ADDRESS.fullmatch(row.get("email")):
            raise StrategyConfigError(f"{row.where('email')}: {row.get('email')!r} is not one e-mail address")
        capacity = _number(row, "daily_capacity", low=1, high=1000)
        if capacity != int(capacity):
            raise StrategyConfigError(f"{row.where('daily_capacity')}: a whole number of rows a day is required")
        languages = [part.strip() for part in row.get("languages").split(";")]
        for language in languages:
            if language not in LANGUAGES:
                raise StrategyConfigError(
                    f"{row.where('languages')}: {language!r} is not one of {', '.join(LANGUAGES)} (semicolon-separated)"
                )
    staffed = {r.get("owner_role") for r in collectors}
    needed = {r.get("owner_role") for r in ladder} | {r.get("owner_role") for r in actions if r.get("owner_role")}
    for role in sorted(needed - staffed):
        raise StrategyConfigError(
            f"collectors.csv: no person for owner_role {role!r}, which the escalation ladder or an action uses"
        )
