"""Alerts, collection worklist, contact rules and strategy tables (docs/collections.md).

The scenario (tests/collections_support.py, tests/fixtures/landing_collections) runs the
real dbt project for 2026-09-22 and then 2026-09-23, with hand-set predictions (pd_default, written
to ml_scores; the score marts compute levels, expected credit loss and the customer roll-up).
One worklist row per customer: its account-level strategy, governed by its worst undisputed
invoice and the customer's risk level (amount-weighted pd_default, customer_risk_scores).
Worked by hand for 2026-09-23 (severity weights: due_soon 0.5, dpd_1_30 1.0, dpd_31_60 1.5;
risk levels: extreme >= 0.8, high >= 0.55, medium >= 0.3):

C1 Alpha (key account -> core tier, at most 1 contact a week; contacted 2026-09-18):
  I11 1000 due 09-28, p 0.60 -> due_soon; I12 2000 due 09-22, p 0.40 -> dpd_1_30 governs;
  customer pd (600 + 800) / 3000 = 0.4667 medium -> friendly_reminder (R04);
  priority 0.60 x 1000 x 0.5 + 0.40 x 2000 x 1.0 = 1100.00. The message states the
  2,000.00 CNY overdue and the 1,000.00 CNY not yet due apart.
  The cap is used up until 09-18 + 7 = 09-25, the Mid-Autumn Festival (Friday) -> Monday 09-28;
  e-mail (the contact's preferred channel) 09:00-10:00 Shanghai = 01:00-02:00 UTC.
C2 Bravo (US, core; contact in New York, no phone on record): one row for three invoices,
  I21 5000 dpd 3 p 0.90 (4500.00), I22 3000 disputed (0.50 x 3000 x 1.5 = 2250.00), I23 500
  dpd 31 p 0.20 (150.00): priority 6900.00, rank 1. I23 governs (dpd_31_60; the disputed
  I22 is set aside), customer pd (4500 + 1500 + 100) / 8500 = 0.7176 high -> call_by_rep (R09)
  with dispute_resolution beside it; owner by I23's ladder step: the supervisor R0.
  No phone -> a letter, 09:00 New York (EDT) = 13:00 UTC on Thursday 09-24. The message
  states the undisputed 5,500.00 CNY, 31 days past due.
C3 Charlie: I31 under a promise (09-22 + 3 days tolerance >= 09-23): paused, not worklisted.
C4 Delta: I41 1500 dpd 10, p 0.40; its promise of 09-19 broke on 09-22 -> one stage up
  (dpd_31_60: formal_letter, R08) and one ladder step up (the supervisor R0); the priority weighs its own
  stage (dpd_1_30): 0.40 x 1500 x 1.0 = 600.00.
C5 Echo: every contact do_not_contact -> listed, no contact date, no message.
C6 Foxtrot: pays on the 30th (6 receipts) -> reminded 5 days before: 09-25 -> holiday -> 09-28.
  Its contact's name holds a phone number and its e-mail field two addresses: all masked.
C7 Golf: credit limit 10000; 9500 open on 09-22 (95 %: warning), 10500 on 09-23 (105 %: over limit).
C8 Hotel (potential; no sales rep on record -> the seed's Sales desk, not a person): I81
  1,000.00 USD (7,100.00 CNY at 7.1) due Friday 09-25, p 0.60 high -> early_payment_discount
  (R02): priority 0.60 x 7100 x 0.5 = 2130.00. Contact Thursday 09-24, before the due date:
  2 % off, pay 980.00 USD by 09-25 (the due date; 09-24 + 10 days would be after it). The
  message quotes USD and names the AR team, not the desk.
"""

from __future__ import annotations

import datetime as dt
import shutil
from decimal import Decimal
from pathlib import Path

import pytest
from collections_support import AS_OF, PREVIOUS, prepare, rows

from ar_risk.collections.build import build_collections
from ar_risk.collections.calendar import country_calendar
from ar_risk.collections.strategy import StrategyConfigError, validate_strategy
from ar_risk.config import PROJECT_DIR

SEEDS = PROJECT_DIR / "dbt_project" / "seeds"
D = dt.date


@pytest.fixture(scope="module")
def scenario(tmp_path_factory):
    return prepare(tmp_path_factory.mktemp("collections") / "ar_home")


def _worklist(settings, as_of=AS_OF) -> dict[tuple[str, str], dict]:
    found = rows(settings, "SELECT * FROM marts.collection_worklist WHERE as_of_date = ?", [as_of])
    return {(r["customer_id"], r["action_code"]): r for r in found}


def _alerts(settings, as_of) -> dict[tuple[str, str | None], dict]:
    found = rows(settings, "SELECT * FROM marts.alerts WHERE as_of_date = ?", [as_of])
    return {(r["alert_type"], r["invoice_id"] or r["customer_id"]): r for r in found}


# -- worklist ------------------------------------------------------------------------------


def test_worklist_rows_priorities_and_ranks(scenario):
    worklist = _worklist(scenario)
    expected = [  # rank, customer, action, priority, invoices, rule
        (1, "C2", "call_by_rep", "6900.00", "I22,I23,I21", "R09"),
        (2, "C8", "early_payment_discount", "2130.00", "I81", "R02"),
        (3, "C1", "friendly_reminder", "1100.00", "I12,I11", "R04"),
        (4, "C4", "formal_letter", "600.00", "I41", "R08"),
        (5, "C5", "friendly_reminder", "360.00", "I51", "R04"),
        (6, "C6", "friendly_reminder", "105.00", "I61", "R01"),
    ]
    got = sorted(
        (r["worklist_rank"], c, a, str(r["priority_score"]), r["invoices_covered"], r["rule_id"])
        for (c, a), r in worklist.items()
    )
    assert got == expected
    assert "C3" not in {c for c, _ in worklist}  # paused by the active promise


def test_one_account_level_row_per_customer_with_internal_actions_beside(scenario):
    """Before: C2 had three rows the same day (a rep call, the dispute and a formal letter)."""
    found = rows(scenario, "SELECT as_of_date, customer_id, count(*) AS n FROM marts.collection_worklist GROUP BY ALL")
    assert found and all(r["n"] == 1 for r in found), found
    bravo = _worklist(scenario)[("C2", "call_by_rep")]
    assert (bravo["governing_invoice_id"], bravo["collection_stage"], bravo["risk_level"]) == (
        "I23",
        "dpd_31_60",
        "high",
    )
    assert (bravo["internal_actions"], bravo["disputed_invoices"]) == ("dispute_resolution", "I22")
    assert (bravo["owner_role"], bravo["owner_id"]) == ("sales_supervisor", "R0")
    # only the undisputed invoices are dunned: 5,000 + 500
    assert "5,500.00 CNY owed by Bravo Trading is 31 days past due" in bravo["message_en"]
    assert bravo["target_amount_rc"] == Decimal("5500.00")


def test_no_customer_action_contradicts_an_internal_one(scenario):
    """No reminder, discount or rep call beside litigation, an order lock or a write-off review (any date)."""
    found = rows(
        scenario,
        """SELECT customer_id, action_code, internal_actions FROM marts.collection_worklist
           WHERE action_code IN ('friendly_reminder', 'early_payment_discount', 'call_by_rep', 'formal_letter')
             AND regexp_matches(coalesce(internal_actions, ''), 'litigation|lock_new_orders|write_off_review')""",
    )
    assert found == []


def test_contact_dates_follow_caps_holidays_habits_and_time_zones(scenario):
    worklist = _worklist(scenario)
    alpha = worklist[("C1", "friendly_reminder")]
    assert (alpha["contacts_last_7_days"], alpha["max_contacts_per_week"]) == (1, 1)
    assert alpha["contact_date"] == D(2026, 9, 28)  # cap frees 09-25, a holiday -> Monday
    assert alpha["channel"] == "email"
    assert alpha["contact_window_start_local"] == dt.datetime(2026, 9, 28, 9, 0)
    assert alpha["contact_window_start_utc"] == dt.datetime(2026, 9, 28, 1, 0)
    assert alpha["target_amount_rc"] == Decimal("3000.00") and alpha["target_date"] == D(2026, 10, 5)

    bravo_call = worklist[("C2", "call_by_rep")]
    assert bravo_call["channel"] == "letter"  # no phone on record
    assert bravo_call["contact_date"] == D(2026, 9, 24)
    assert bravo_call["contact_window_start_utc"] == dt.datetime(2026, 9, 24, 13, 0)  # 09:00 EDT

    foxtrot = worklist[("C6", "friendly_reminder")]
    assert foxtrot["pay_habit_day"] == 30
    assert foxtrot["contact_date"] == D(2026, 9, 28)  # reminder on the 25th, a holiday
    assert foxtrot["channel"] == "wechat" and foxtrot["contact_window_start_local"].time() == dt.time(10, 0)

    echo = worklist[("C5", "friendly_reminder")]
    assert echo["contact_status"] == "do_not_contact"
    assert echo["contact_date"] is None and echo["message_en"] is None


def test_caps_hold_over_every_7_day_window(scenario):
    """Every contact of both worklists, with the CRM's logged contacts: no 7-day window over the cap.

    Before: the release ignored contacts beyond the cap, and the worklist of 09-23 did not know that
    09-22's had planned Alpha (cap 1) for 09-28: a second worklist could add a contact in its window.
    """
    crm = rows(scenario, "SELECT customer_id, activity_date FROM staging.stg_crm__activities")
    worklists = rows(
        scenario,
        "SELECT as_of_date, customer_id, contact_date, contact_planned_on, max_contacts_per_week "
        "FROM marts.collection_worklist WHERE contact_date IS NOT NULL ORDER BY as_of_date",
    )
    assert {r["as_of_date"] for r in worklists} == {PREVIOUS, AS_OF}
    checked = 0
    for row in worklists:
        # what was known on the row's as-of date: the CRM's contacts up to it, and this contact
        days = [c["activity_date"] for c in crm if c["customer_id"] == row["customer_id"]]
        days = [d for d in days if d <= row["as_of_date"]] + [row["contact_date"]]
        for start in (row["contact_date"] - dt.timedelta(days=k) for k in range(7)):
            held = sum(start <= d <= start + dt.timedelta(days=6) for d in days)
            assert held <= row["max_contacts_per_week"], (row, start, held)
            checked += 1
    assert checked == 7 * len(worklists) > 0
    # The worklist of 09-23 keeps the contact 09-22's planned for Alpha (one planned contact at a time).
    alpha = {r["as_of_date"]: r for r in worklists if r["customer_id"] == "C1"}
    assert alpha[PREVIOUS]["contact_date"] == alpha[AS_OF]["contact_date"] == D(2026, 9, 28)
    assert alpha[PREVIOUS]["contact_planned_on"] == alpha[AS_OF]["contact_planned_on"] == PREVIOUS
    # a contact of 09-22's worklist for 09-23 is not ahead any more on 09-23: planned anew
    bravo = {r["as_of_date"]: r for r in worklists if r["customer_id"] == "C2"}
    assert bravo[AS_OF]["contact_planned_on"] == AS_OF


def test_broken_promise_escalates_stage_and_owner(scenario):
    delta = _worklist(scenario)[("C4", "formal_letter")]
    assert delta["collection_stage"] == "dpd_31_60" and delta["max_days_past_due"] == 10
    assert (delta["owner_role"], delta["owner_id"], delta["owner_name"]) == (
        "sales_supervisor", "R0", "Wang Supervisor",
    )  # fmt: skip
    assert "broken_promise" in delta["reason_codes"].split(";")
    assert "Wang Supervisor" in delta["message_en"] and "1,500.00 CNY" in delta["message_en"]
    assert "逾期10天" in delta["message_zh"]


def test_messages_and_masked_contacts(scenario):
    alpha = _worklist(scenario)[("C1", "friendly_reminder")]
    assert alpha["message_en"] == (
        "Dear Chen Ming, 2,000.00 CNY of Alpha Machinery's 2 open invoice(s) is now 1 day(s) past due "
        "(due 2026-09-22); 1,000.00 CNY is not yet due. Please arrange payment of the overdue 2,000.00 CNY "
        "by 2026-10-05."
    )
    assert alpha["message_subject_zh"] == "付款已逾期"
    assert alpha["phone_masked"] == "+86*******1111"
    assert alpha["email_masked"] == "c***@alpha.example.cn"
    # Foxtrot's contact has two addresses in the e-mail field and a phone number typed into the name.
    foxtrot = _worklist(scenario)[("C6", "friendly_reminder")]
    assert foxtrot["email_masked"] == "z***@foxtrot.example.cn; z***@gmail.com"
    assert foxtrot["message_en"].startswith("Dear Zheng Hua ***, ")
    assert "Zheng Hua ***" in foxtrot["message_zh"]
    for message in (foxtrot["message_en"], foxtrot["message_zh"]):
        assert "0000-6666" not in message and "13800006666" not in message
    # I61 falls due in 6 days: within 7 days the reminder is the balance confirmation (seed 003)
    assert (foxtrot["message_subject_en"], foxtrot["message_subject_zh"]) == ("Balance confirmation", "账款确认函")
    assert "please confirm the balance Foxtrot Electronics owes us: 600.00 CNY on 1 invoice(s)" in foxtrot["message_en"]
    published = {r["column_name"] for r in rows(
        scenario, "SELECT column_name FROM information_schema.columns WHERE table_name = 'collection_worklist'"
    )}  # fmt: skip
    assert not {"phone", "email"} & published  # personal data only masked


# -- messages (issue 19, part 6: each defect fails on the old behaviour) ----------------------


def test_amounts_have_thousands_separators(scenario):
    """Before: "3000.00 CNY", "1500.00CNY" (and at S "6388825.29CNY")."""
    alpha = _worklist(scenario)[("C1", "friendly_reminder")]
    assert "2,000.00 CNY" in alpha["message_en"] and "2,000.00CNY" in alpha["message_zh"]
    broken = _alerts(scenario, AS_OF)[("promise_broken", "I41")]
    assert "1,500.00CNY" in broken["message_zh"]


def test_overdue_and_not_yet_due_amounts_are_stated_apart(scenario):
    """Before: Alpha's 3,000 (1,000 of it due on 09-28) was "now 1 day(s) past due" as a whole."""
    alpha = _worklist(scenario)[("C1", "friendly_reminder")]
    assert "3,000.00" not in alpha["message_en"] and "3,000.00" not in alpha["message_zh"]
    assert "2,000.00 CNY of Alpha Machinery's 2 open invoice(s) is now 1 day(s) past due" in alpha["message_en"]
    assert "; 1,000.00 CNY is not yet due" in alpha["message_en"]
    assert "其中2,000.00CNY已逾期1天（到期日2026-09-22），另有1,000.00CNY尚未到期" in alpha["message_zh"]
    # nothing not yet due: no clause
    assert "not yet due" not in _worklist(scenario)[("C2", "call_by_rep")]["message_en"]


def test_the_worklist_carries_the_contractual_late_fee(scenario):
    """The shipped late_fee_rates (0.0005 a day, waived for the core tier), nothing paid: Delta's I41 (1,500,
    due 09-13: 10 days) 0.0005 x 15,000 = 7.50; Echo's I51 (800, due 09-01: 22 days) 0.0005 x 17,600 = 8.80;
    Bravo is core: 0. Their 1-30 and 31-day notices do not quote the fee (only the 60- and 90-day ones do)."""
    worklist = _worklist(scenario)
    fees = {c: (r["customer_tier"], r["late_fee_rc"]) for (c, _), r in worklist.items() if c in ("C2", "C4", "C5")}
    assert fees == {"C2": ("core", Decimal("0.00")), "C4": ("potential", Decimal("7.50")),
                    "C5": ("potential", Decimal("8.80"))}  # fmt: skip
    messages = [f"{r['message_en']} {r['message_zh']}" for r in worklist.values()]
    assert not any("Late-payment interest" in m or "滞纳金" in m for m in messages)


def test_messages_quote_the_invoice_currency(scenario):
    """Before: the USD customer's message quoted 7100.00 CNY."""
    hotel = _worklist(scenario)[("C8", "early_payment_discount")]
    assert hotel["message_currency"] == "USD" and hotel["reporting_currency"] == "CNY"
    assert hotel["open_amount_rc"] == Decimal("7100.00") and hotel["target_amount_rc"] == Decimal("6958.00")
    assert "pay 980.00 USD for 1 invoice(s) of Hotel Exports (face value 1,000.00 USD)" in hotel["message_en"]
    assert "CNY" not in hotel["message_en"] and "CNY" not in hotel["message_zh"]


def test_a_discount_is_offered_only_before_the_due_date(scenario):
    """Before: target date = contact + 10 days = 10-04, nine days after the due date 09-25."""
    hotel = _worklist(scenario)[("C8", "early_payment_discount")]
    assert hotel["discount_offered"] and hotel["contact_date"] == D(2026, 9, 24)
    assert hotel["target_date"] == D(2026, 9, 25) == hotel["oldest_due_date"]
    assert "by 2026-09-25, before they fall due, and keep a 2.0% discount" in hotel["message_en"]
    later = rows(
        scenario,
        "SELECT count(*) AS n FROM marts.collection_worklist WHERE discount_offered AND target_date > oldest_due_date",
    )
    assert later == [{"n": 0}]


def test_a_customer_message_names_a_person_or_the_ar_team(scenario):
    """Before: Hotel's message named "Sales desk" (at S: "Finance manager on duty").

    Hotel has no rep on record: its row goes to a person of collectors.csv (region East China has none: '*').
    """
    hotel = _worklist(scenario)[("C8", "early_payment_discount")]
    assert (hotel["owner_id"], hotel["owner_name"]) == ("AR-X01", "Li Na")
    assert hotel["message_en"].endswith("Contact: Li Na.")
    assert "Li Na" in hotel["message_zh"]
    placeholders = {r["person_name"] for r in rows(scenario, "SELECT person_name FROM reference.collection_owners")}
    for row in _worklist(scenario).values():
        for message in (row["message_en"], row["message_zh"]):
            assert not any(name in (message or "") for name in placeholders), message
    delta = _worklist(scenario)[("C4", "formal_letter")]
    assert "Wang Supervisor" in delta["message_en"]  # a person on record is named


def test_risk_levels_are_translated(scenario):
    """Before: "风险等级：high" in Chinese alerts and "risk medium" in the reasons."""
    due = _alerts(scenario, PREVIOUS)[("due_soon", "I81")]
    assert due["message_zh"].endswith("风险等级：高风险。") and due["message_en"].endswith("(High risk).")
    alpha = _worklist(scenario)[("C1", "friendly_reminder")]
    assert alpha["reasons_zh"].startswith("逾期1-30天，中风险") and alpha["reasons_en"].startswith(
        "1-30 days past due, Medium risk"
    )
    raised = _alerts(scenario, AS_OF)[("risk_raised", "C2")]
    assert "高风险" in raised["message_zh"] and "high" not in raised["message_zh"]


# -- alerts --------------------------------------------------------------------------------


def test_every_alert_type_fires_once_on_its_day(scenario):
    previous = _alerts(scenario, PREVIOUS)
    assert set(previous) == {
        ("due_soon", "I11"), ("due_soon", "I12"), ("due_soon", "I61"), ("due_soon", "I81"),
        ("credit_utilisation", "C7"),
    }  # fmt: skip
    today = _alerts(scenario, AS_OF)
    assert set(today) == {
        ("newly_overdue", "I12"),
        ("aging_escalation", "I23"),
        ("overdue_cross_department", "I21"),
        ("dispute_sla", "I22"),  # D1 open 22 days, past the scenario's 21 (21 yesterday: not past it)
        ("credit_utilisation", "C7"),  # escalated: 95 % -> 105 %
        ("promise_broken", "I41"),
        ("risk_raised", "C2"),
        ("score_drift", None),
        ("data_quality", None),
    }
    # due_soon alerted yesterday and does not repeat; the credit alert repeats only because it escalated
    assert today[("credit_utilisation", "C7")]["alert_level"] == "over_limit"
    assert today[("credit_utilisation", "C7")]["severity"] == "critical"
    assert previous[("credit_utilisation", "C7")]["alert_level"] == "warning"
    assert today[("aging_escalation", "I23")]["alert_level"] == "dpd_31_60"
    cross = today[("overdue_cross_department", "I21")]
    assert cross["notify_roles"] == "sales_rep;finance_manager;legal" and cross["owner_id"] == "R1"
    # C2's amount-weighted pd_default rose from 0.5435 (medium) to 0.7176 (high; collections_support):
    # a rise to high goes to the sales supervisor (alert_rules), to extreme it would go to finance
    assert (today[("risk_raised", "C2")]["alert_level"], today[("risk_raised", "C2")]["owner_id"]) == ("high", "R0")
    assert "2 unexpected row(s)" in today[("data_quality", None)]["message_en"]
    assert today[("promise_broken", "I41")]["message_zh"] == "Delta Textiles承诺于2026-09-19前支付1,500.00CNY，未兑现。"
    sla = today[("dispute_sla", "I22")]
    assert (sla["owner_role"], sla["severity"]) == ("finance_manager", "warning")
    assert sla["message_en"] == (
        "The dispute on invoice I22 of Bravo Trading (3,000.00 CNY disputed) has been open more than 21 days: "
        "finance to resolve it with sales."
    )


def test_rerun_of_a_date_gives_identical_tables(scenario):
    query = {
        "alerts": "SELECT * EXCLUDE (as_of_date) FROM marts.alerts WHERE as_of_date = ? ORDER BY alert_id",
        "worklist": "SELECT * FROM marts.collection_worklist WHERE as_of_date = ? ORDER BY worklist_rank",
        "effectiveness": "SELECT * FROM marts.strategy_effectiveness WHERE as_of_date = ? ORDER BY ALL",
    }
    before = {name: rows(scenario, sql, [AS_OF]) for name, sql in query.items()}
    ids = [r["alert_id"] for r in before["alerts"]]
    build_collections(scenario, AS_OF)
    after = {name: rows(scenario, sql, [AS_OF]) for name, sql in query.items()}
    assert after == before
    assert len(ids) == 9 and len(set(ids)) == 9
    # The day's KPI row exists before anything is old enough to judge. 09-22's worklist made 5 entries,
    # one per customer (C1, C2, C5, C6, C8; C3 and C4 paused by promises); none is 7 days old yet.
    (total,) = [r for r in after["effectiveness"] if r["action_code"] == "all"]
    assert (total["entries"], total["entries_matured_7_days"], total["success_rate_30_days"]) == (5, 0, None)


# -- alerts people read (issue 19, part 5): worklist link, backlog, digest --------------------


def test_alerts_link_their_worklist_row_and_mark_repeats(scenario):
    """Before: no link; at S 68 % of the alerts repeated an invoice the worklist already held."""
    today = _alerts(scenario, AS_OF)
    got = {key: (r["worklist_action_code"], r["is_on_worklist"]) for key, r in today.items()}
    assert got == {
        ("newly_overdue", "I12"): ("friendly_reminder", True),  # C1's row covers I12
        ("aging_escalation", "I23"): ("call_by_rep", True),  # C2's row covers I21, I22, I23
        ("overdue_cross_department", "I21"): ("call_by_rep", True),
        ("dispute_sla", "I22"): ("call_by_rep", True),  # the row lists the disputed I22
        ("promise_broken", "I41"): ("formal_letter", True),
        ("risk_raised", "C2"): ("call_by_rep", False),  # about the customer, not an invoice of the row
        ("credit_utilisation", "C7"): (None, False),  # C7 has no worklist row (nothing due yet)
        ("score_drift", None): (None, False),
        ("data_quality", None): (None, False),
    }
    # every link leads to a worklist row of the same day
    orphans = rows(
        scenario,
        """SELECT a.alert_id FROM marts.alerts a LEFT JOIN marts.collection_worklist w
             ON a.as_of_date = w.as_of_date AND a.customer_id = w.customer_id AND a.worklist_action_code = w.action_code
           WHERE a.worklist_action_code IS NOT NULL AND w.customer_id IS NULL""",
    )
    assert orphans == []


def test_a_first_run_records_standing_conditions_as_backlog(scenario):
    """Before: the first run's five alerts were all today's events (at S: 821 credit alerts at once).

    09-22 is the alerts' first publication (no earlier as_of_date), the previous run taken as 09-21: I61
    (due 09-29, 7 days ahead) entered the due-soon stage that day, an event; I11, I12 and I81 were inside
    it before, and C7's 95 % credit use has no known start: backlog. On 09-23 everything is an event.
    """
    statuses = {key: r["alert_status"] for key, r in _alerts(scenario, PREVIOUS).items()}
    assert statuses == {
        ("due_soon", "I61"): "new",
        ("due_soon", "I11"): "backlog",
        ("due_soon", "I12"): "backlog",
        ("due_soon", "I81"): "backlog",
        ("credit_utilisation", "C7"): "backlog",
    }
    assert {r["alert_status"] for r in _alerts(scenario, AS_OF).values()} == {"new"}
    counts = rows(
        scenario,
        "SELECT as_of_date, alert_status, count(*) AS n FROM marts.alerts GROUP BY ALL ORDER BY ALL",
    )
    assert [(r["as_of_date"], r["alert_status"], r["n"]) for r in counts] == [
        (PREVIOUS, "backlog", 4), (PREVIOUS, "new", 1), (AS_OF, "new", 9),
    ]  # fmt: skip


def test_a_new_customers_standing_conditions_are_backlog(scenario, tmp_path):
    """C7 as if it first arrived on 09-23: its over-limit credit use is backlog, not today's event."""
    import dataclasses

    home = tmp_path / "copy"
    home.mkdir()
    for name in ("warehouse.duckdb", "warehouse.duckdb.wal"):
        if (scenario.home / name).exists():
            shutil.copy(scenario.home / name, home / name)
    copy = dataclasses.replace(scenario, home=home, warehouse_path=home / "warehouse.duckdb")
    import duckdb

    con = duckdb.connect(str(copy.warehouse_path))
    try:
        con.execute("DELETE FROM marts.dim_customers WHERE customer_id = 'C7' AND as_of_date = ?", [PREVIOUS])
        con.execute("DELETE FROM marts.alerts WHERE customer_id = 'C7' AND as_of_date = ?", [PREVIOUS])
    finally:
        con.close()
    build_collections(copy, AS_OF)
    statuses = {key: r["alert_status"] for key, r in _alerts(copy, AS_OF).items()}
    assert statuses.pop(("credit_utilisation", "C7")) == "backlog"
    assert set(statuses.values()) == {"new"} and len(statuses) == 8


def test_one_digest_per_owner_and_day(scenario):
    """owner_daily_digest, 09-23, by hand. Before: no digest (at S, FIN-MGR alone held 624 alerts)."""
    found = rows(scenario, "SELECT * FROM marts.owner_daily_digest WHERE as_of_date = ?", [AS_OF])
    digest = {r["owner_id"]: r for r in found}
    assert len(digest) == len(found)
    # The supervisor R0: aging I23 (C2), promise broken I41 (C4), risk raised C2, all warning; rows C2 and C4.
    wang = digest["R0"]
    assert (wang["new_alerts"], wang["backlog_alerts"], wang["new_alerts_not_on_worklist"]) == (3, 0, 1)
    assert (wang["critical_alerts"], wang["warning_alerts"], wang["info_alerts"]) == (0, 3, 0)
    assert wang["new_alerts_by_type"] == "aging_escalation 1; promise_broken 1; risk_raised 1"
    assert (wang["worklist_rows"], wang["worklist_target_amount_rc"]) == (2, Decimal("7000.00"))
    assert wang["top_worklist_items_en"] == (
        "#1 Bravo Trading: Call by the sales rep, 5,500.00 CNY | #4 Delta Textiles: Formal dunning letter, 1,500.00 CNY"
    )
    assert wang["top_worklist_items_zh"].startswith("#1 Bravo Trading：销售代表电话催收，5,500.00CNY | ")
    # new information first (risk raised is on no worklist row), then the larger amount: I41 1,500 before I23 500
    first, second, third = wang["top_new_alerts_en"].split(" | ")
    assert first.startswith("Bravo Trading is now rated High risk")
    assert second.startswith("Delta Textiles promised 1,500.00 CNY") and "I23" in third
    # Every alert and worklist row of the day is in exactly one owner's digest.
    totals = rows(
        scenario,
        """SELECT (SELECT count(*) FROM marts.alerts WHERE as_of_date = $1) AS alerts,
                  (SELECT count(*) FROM marts.collection_worklist WHERE as_of_date = $1) AS worklist""",
        [AS_OF],
    )[0]
    assert sum(r["new_alerts"] + r["backlog_alerts"] for r in found) == totals["alerts"] == 9
    assert sum(r["worklist_rows"] for r in found) == totals["worklist"] == 6
    # The first run's digest counts its backlog apart: C7's credit use and three due-soon invoices.
    first_run = rows(
        scenario,
        "SELECT sum(new_alerts) AS new, sum(backlog_alerts) AS backlog FROM marts.owner_daily_digest "
        "WHERE as_of_date = ?",
        [PREVIOUS],
    )
    assert first_run == [{"new": 1, "backlog": 4}]


# -- contact rules and the calendar ----------------------------------------------------------


def test_dbt_unit_tests_of_contact_slots_and_effectiveness(scenario):
    """21:59 / 22:00 / 08:00, a holiday and a foreign time zone; strategy_effectiveness by hand;
    the settlement and early-payment discounts of the worklist by hand.

    dbt unit tests on the real models (dbt_project/models/collections/_collections__unit_tests.yml).
    """
    from ar_risk.transform.dbt import run_dbt

    selection = [
        "int_collection_contact_slots,test_type:unit",
        "strategy_effectiveness,test_type:unit",
        "int_collection_account_strategies,test_type:unit",
        "int_collection_late_payments,test_type:unit",
        "int_collection_worklist_plan,test_type:unit",
        "int_collection_contact_load,test_type:unit",
        "int_collection_assignments,test_type:unit",
        "int_collection_items,test_type:unit",
        "collection_worklist,test_type:unit",
    ]
    results = run_dbt(scenario, ["test", "--select", *selection], as_of_date=AS_OF)["results"]
    statuses = {r["unique_id"]: r["status"] for r in results if r["unique_id"].startswith("unit_test.")}
    assert statuses == {
        "unit_test.ar_risk.int_collection_contact_slots.test_contact_slots_quiet_hours_and_calendar": "pass",
        "unit_test.ar_risk.strategy_effectiveness.test_strategy_effectiveness_by_hand": "pass",
        "unit_test.ar_risk.int_collection_account_strategies.test_every_strategy_rule_fires": "pass",
        "unit_test.ar_risk.int_collection_account_strategies.test_a_partial_dispute_holds_only_its_amount": "pass",
        "unit_test.ar_risk.int_collection_late_payments.test_late_payments_by_hand": "pass",
        "unit_test.ar_risk.int_collection_worklist_plan.test_weekly_cap_over_every_7_day_window": "pass",
        "unit_test.ar_risk.int_collection_contact_load.test_contact_load_window_and_recency": "pass",
        "unit_test.ar_risk.int_collection_assignments.test_a_contact_planned_by_yesterdays_worklist_is_kept": "pass",
        "unit_test.ar_risk.int_collection_assignments.test_owners_capacity_overflow_by_hand": "pass",
        "unit_test.ar_risk.int_collection_items.test_grace_days_by_hand": "pass",
        "unit_test.ar_risk.collection_worklist.test_settlement_and_early_payment_discounts_by_hand": "pass",
    }


def test_every_rule_of_the_shipped_strategy_has_a_hand_made_case():
    """test_every_strategy_rule_fires (_collections__unit_tests.yml) expects each rule of the seed to fire.

    Before: 9 of the 22 rules never fired (lower rule ids won ties); a new rule needs a case here.
    """
    import csv

    import yaml

    units = yaml.safe_load(
        (PROJECT_DIR / "dbt_project" / "models" / "collections" / "_collections__unit_tests.yml").read_text()
    )["unit_tests"]
    (case,) = [u for u in units if u["name"] == "test_every_strategy_rule_fires"]
    (strategy,) = [g for g in case["given"] if g["input"] == "ref('collection_strategy')"]
    assert "rows" not in strategy and "fixture" not in strategy  # the shipped seed decides
    fired = {row["rule_id"] for row in case["expect"]["rows"]}
    with (SEEDS / "collection_strategy.csv").open(encoding="utf-8") as handle:
        rules = {row["rule_id"] for row in csv.DictReader(handle)}
    assert rules <= fired, sorted(rules - fired)


def test_dbt_unit_test_of_contact_masking(scenario):
    """Several e-mail addresses in one field, a phone number in the name (_collections__unit_tests.yml)."""
    from ar_risk.transform.dbt import run_dbt

    results = run_dbt(scenario, ["test", "--select", "int_collection_contacts,test_type:unit"], as_of_date=AS_OF)
    statuses = {r["unique_id"]: r["status"] for r in results["results"] if r["unique_id"].startswith("unit_test.")}
    assert statuses == {"unit_test.ar_risk.int_collection_contacts.test_contact_masking_by_hand": "pass"}


def test_china_calendar_knows_holidays_and_make_up_working_days():
    frame, source = country_calendar("CN", D(2026, 9, 24), D(2026, 10, 12))
    by_day = frame.set_index("calendar_date")
    assert source.startswith("holidays")
    assert not by_day.loc[D(2026, 9, 25), "is_working_day"]  # Mid-Autumn Festival
    assert by_day.loc[D(2026, 9, 25), "next_working_date"] == D(2026, 9, 28)
    assert by_day.loc[D(2026, 10, 1), "next_working_date"] == D(2026, 10, 8)  # National Day week
    assert by_day.loc[D(2026, 10, 10), "is_working_day"]  # a Saturday worked in exchange (调休)
    unknown, source = country_calendar("ZZ", D(2026, 9, 25), D(2026, 9, 28))
    assert source == "weekends only" and list(unknown.is_working_day) == [True, False, False, True]


# -- the strategy tables a finance manager edits -----------------------------------------------


def test_shipped_strategy_tables_are_valid():
    params = validate_strategy(SEEDS)
    assert params["quiet_hours_start"] == dt.time(22) and params["quiet_hours_end"] == dt.time(8)


def _edited(tmp_path: Path, name: str, old: str, new: str) -> Path:
    seeds = tmp_path / "seeds"
    shutil.copytree(SEEDS, seeds)
    path = seeds / f"{name}.csv"
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {name}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return seeds


@pytest.mark.parametrize(
    ("name", "old", "new", "message"),
    [
        (
            "collection_strategy",
            "R05,130,dpd_1_30,high,*,*,,call_by_rep",
            "R05,130,dpd_1_30,high,*,*,,call_by_reps",
            "collection_strategy.csv row 8, column action_code: 'call_by_reps' is not one of",
        ),
        (
            "collection_strategy",
            "R01,90,due_soon,*,*,*",
            "R01,90,due_soon,low,*,*",
            "stage 'due_soon' needs a catch-all rule",
        ),
        # precedence is explicit data: a priority on every rule, each its own
        (
            "collection_strategy",
            "R02,20,",
            "R02,,",
            "collection_strategy.csv row 3, column priority: a number is required",
        ),
        (
            "collection_strategy",
            "R02,20,",
            "R02,10,",
            "collection_strategy.csv row 3: duplicate priority (10,) (first on row 2)",
        ),
        # a rule behind a broader one of its stage could never fire
        (
            "collection_strategy",
            "R07,110,dpd_1_30",
            "R07,195,dpd_1_30",
            "collection_strategy.csv row 5, column priority: rule R07 never fires: rule R04 (row 9, priority 190)",
        ),
        # an internal action never contradicts the customer action beside it
        (
            "collection_strategy",
            "R09,230,dpd_31_60,high,*,*,,call_by_rep,,",
            "R09,230,dpd_31_60,high,*,*,,call_by_rep,lock_new_orders,",
            "collection_strategy.csv row 13, column internal_action_code: 'lock_new_orders' contradicts 'call_by_rep'",
        ),
        (
            "collection_strategy",
            "R09,230,dpd_31_60,high,*,*,,call_by_rep,,",
            "R09,230,dpd_31_60,high,*,*,,call_by_rep,formal_letter,",
            "'formal_letter' contacts the customer; only an internal action goes beside",
        ),
        (
            "collection_actions",
            "friendly_reminder,1,true,,7,,,true,,",
            "friendly_reminder,1,true,,7,,,true,3,",
            "collection_actions.csv row 3, column min_companion_order: only an internal action",
        ),
        # a discount says which kind it is (early_payment before due, settlement of an overdue balance)
        (
            "collection_actions",
            ",Settlement discount offer,逾期清偿折扣,settlement",
            ",Settlement discount offer,逾期清偿折扣,settle",
            "collection_actions.csv row 15, column discount_kind: 'settle' is not one of early_payment, settlement",
        ),
        (
            "collection_actions",
            ",Friendly reminder,友好提醒,",
            ",Friendly reminder,友好提醒,settlement",
            "collection_actions.csv row 3, column discount_kind: a discount kind needs a discount_rate",
        ),
        # a catch-all with a discount would leave a customer who broke a promise without an action
        (
            "collection_strategy",
            "R08,290,dpd_31_60,*,*,*,,formal_letter",
            "R08,290,dpd_31_60,*,*,*,,settlement_discount",
            "stage 'dpd_31_60' needs a catch-all rule",
        ),
        (
            "collection_owners",
            "Finance manager on duty,false",
            "Finance manager on duty,maybe",
            "collection_owners.csv row 2, column is_person: 'maybe' must be true or false",
        ),
        (
            "collection_parameters",
            "ar_team_name_en,Accounts Receivable team,",
            "ar_team_name_en,,",
            "ar_team_name_en needs the AR team's name",
        ),
        (
            "message_phrases",
            "{not_due_amount} {currency} is not yet due",
            "{not_due} {currency} is not yet due",
            "placeholder {not_due} is not filled by the pipeline",
        ),
        (
            "contact_channels",
            "sms,10:00,20:00",
            "sms,22:00,23:00",
            "contact_channels.csv row 4, column window_start: 22:00-23:00 lies within quiet hours",
        ),
        (
            "contact_channels",
            "sms,10:00,20:00",
            "sms,10h,20:00",
            "contact_channels.csv row 4, column window_start: '10h' is not a time of day",
        ),
        (
            "message_templates",
            "{customer_name} for {amount}",
            "{customer} for {amount}",
            "placeholder {customer} is not filled by the pipeline",
        ),
        (
            "collection_stages",
            "dpd_31_60,2,31,60",
            "dpd_31_60,2,32,60",
            "collection_stages.csv row 4, column min_days_past_due: collection stage must follow on from row 3",
        ),
        ("escalation_ladder", "legal,4,91,", "legal,4,91,120", "the last ladder step must be open-ended"),
        ("contact_policies", "core,1,", "core,one,", "contact_policies.csv row 2, column max_contacts_per_week"),
        ("contact_policies", "core,1,3,", "core,1,2.5,", "contact_policies.csv row 2, column grace_days: a whole"),
        ("contact_policies", "core,1,3,", "core,1,45,", "contact_policies.csv row 2, column grace_days"),
        (
            "collection_strategy",
            "R17,490,dpd_91_365,*,*,*,10000,",
            "R17,490,dpd_91_365,*,*,*,ten thousand,",
            "collection_strategy.csv row 25, column min_overdue_amount_rc",
        ),
        (
            # the legal minimum on the catch-all too: a small 91-365 case would get no action
            "collection_strategy",
            "R23,495,dpd_91_365,*,*,*,,",
            "R23,495,dpd_91_365,*,*,*,5000,",
            "stage 'dpd_91_365' needs a catch-all rule (risk_level, customer_tier and archetype all *, "
            "no min_overdue_amount_rc, an action without a discount)",
        ),
        (
            # without its minimum the lawyer's letter takes every case the agency rule would
            "collection_strategy",
            "R17,490,dpd_91_365,*,*,*,10000,",
            "R17,490,dpd_91_365,*,*,*,,",
            "collection_strategy.csv row 26: duplicate condition",
        ),
        ("collection_parameters", "quiet_hours_end,08:00", "quiet_hours_end,23:00", "quiet hours must run overnight"),
        (
            "collection_parameters",
            "company_timezone,Asia/Shanghai",
            "company_timezone,Asia/Beijing",
            "unknown time zone 'Asia/Beijing'",
        ),
        (
            "alert_rules",
            "due_soon,*,prevention,info",
            "due_soon,*,prevention,urgent",
            "alert_rules.csv row 2, column severity: 'urgent' is not one of",
        ),
        (
            # 181-365 days would fall back to the * row: the sales supervisor at warning, after legal at critical
            "alert_rules",
            "aging_escalation,dpd_181_365,monitoring,critical,legal",
            "aging_escalation,dpd_181_365_retired,monitoring,critical,legal",
            "alert_rules.csv row 4, column severity: aging_escalation for dpd_181_365 falls back to 'warning' "
            "after 'critical' for dpd_91_180",
        ),
        (
            "alert_rules",
            "aging_escalation,dpd_over_365,monitoring,critical,legal",
            "aging_escalation,dpd_over_365,monitoring,critical,finance_manager",
            "alert_rules.csv row 8, column owner_role: aging_escalation for dpd_over_365 falls back to "
            "'finance_manager' after 'legal' for dpd_181_365",
        ),
        (
            # the red alert fires above the share: at 1 it never could
            "collection_parameters",
            "late_payment_max_share,0.4,",
            "late_payment_max_share,1,",
            "collection_parameters.csv row 9, column value: late_payment_max_share 1 can never be exceeded",
        ),
        (
            "collection_parameters",
            "digest_top_items,5,",
            "digest_top_items,0,",
            "collection_parameters.csv row 10, column value: digest_top_items must be at least 1",
        ),
        (
            "alert_rules",
            "late_payments,*,monitoring,critical",
            "late_payments,*,monitoring,red",
            "alert_rules.csv row 17, column severity: 'red' is not one of",
        ),
        (
            "collectors",
            "LG-02,Grace Wu,legal,*,25,",
            "LG-02,Grace Wu,legal,*,0,",
            "collectors.csv row 12, column daily_capacity: 0 is outside 1..1000",
        ),
        (
            "collectors",
            "LG-01,陈律师,legal,*,25,zh-CN",
            "LG-01,陈律师,legal,*,25,zh-TW",
            "collectors.csv row 11, column languages: 'zh-TW' is not one of",
        ),
        (
            "collectors",
            "SUP-01,何静,sales_supervisor",
            "SUP-01,何静,data_team",
            "collectors.csv: no person for owner_role 'sales_supervisor'",
        ),
        (
            "collection_owners",
            "legal,*,LEGAL-01",
            "legal,East China,LEGAL-01",
            "no default row (region *) for owner_role 'legal'",
        ),
    ],
)
def test_bad_strategy_edits_are_named(tmp_path, name, old, new, message):
    with pytest.raises(StrategyConfigError, match=None) as error:
        validate_strategy(_edited(tmp_path, name, old, new))
    assert message in str(error.value)


def test_a_window_ending_at_2159_or_starting_at_0800_is_allowed(tmp_path):
    # Edges of quiet hours: 21:59 may be used, 22:00 not; 08:00 may be used.
    validate_strategy(_edited(tmp_path, "contact_channels", "sms,10:00,20:00", "sms,21:00,21:59"))
    validate_strategy(_edited(tmp_path / "b", "contact_channels", "sms,10:00,20:00", "sms,08:00,08:01"))
    with pytest.raises(StrategyConfigError, match="lies within quiet hours"):
        validate_strategy(_edited(tmp_path / "c", "contact_channels", "sms,10:00,20:00", "sms,07:00,08:00"))


def test_collections_refuse_a_warehouse_built_for_another_date(scenario, tmp_path):
    from ar_risk.collections.build import CollectionsInputError
    from ar_risk.config import load_settings

    home = tmp_path / "copy"
    home.mkdir()
    for name in ("warehouse.duckdb", "warehouse.duckdb.wal"):
        if (scenario.home / name).exists():
            shutil.copy(scenario.home / name, home / name)
    with pytest.raises(CollectionsInputError, match="last built for 2026-09-23, not 2026-09-22: run ar_transform"):
        build_collections(load_settings({"AR_HOME": str(home)}), PREVIOUS)
