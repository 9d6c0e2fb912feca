"""E-mail delivery (ar_risk.delivery; docs/collections.md, "E-mail delivery").

A hand-made day (frames as the publication and the warehouse hold them) is composed into a
real outbox and sent to a real SMTP server the test starts (aiosmtpd) through an Airflow
connection: what arrives, a refused recipient, the contact window, a rerun that sends nothing
twice, a server that is down, and the dry run's .eml files. The demo's own outbox is checked in
tests/test_end_to_end.py.
"""

from __future__ import annotations

import datetime as dt
import email
import socket
from email import policy
from pathlib import Path

import pandas as pd
import pytest
from aiosmtpd.controller import Controller
from seed_edits import edited_seeds, replace_once

from ar_risk.config import PROJECT_DIR
from ar_risk.delivery import send_due
from ar_risk.delivery.compose import DeliveryConfigError, Sources, compose, load_texts, usable_address
from ar_risk.delivery.outbox import Outbox, read_counts
from ar_risk.delivery.send import DeliveryServerError, _window, send_queued

from conftest import settings_for

SEEDS = PROJECT_DIR / "dbt_project" / "seeds"
AS_OF = dt.date(2026, 11, 5)  # on the statement day (5): statements go too
# The worklist's contact: Friday 2026-11-06 09:00-10:00 Shanghai = 01:00-02:00 UTC.
WINDOW = (dt.datetime(2026, 11, 6, 1, 0), dt.datetime(2026, 11, 6, 2, 0))
IN_WINDOW = dt.datetime(2026, 11, 6, 1, 30, tzinfo=dt.UTC)
BEFORE_WINDOW = dt.datetime(2026, 11, 5, 12, 0, tzinfo=dt.UTC)  # 20:00 Shanghai, 07:00 New York


def _worklist_row(customer_id, contact_id, language, **extra):
    row = {
        "customer_id": customer_id, "customer_name": f"{customer_id} Co", "owner_id": "SR1", "worklist_rank": 1,
        "action_label_en": "Friendly reminder", "action_label_zh": "友好提醒", "contact_date": dt.date(2026, 11, 6),
        "channel": "email", "target_amount_rc": 12345.6, "reporting_currency": "CNY", "contact_status": "scheduled",
        "contact_language": language, "contact_id": contact_id, "message_en": f"Dear {customer_id}, please pay.",
        "message_zh": f"{customer_id}您好，请付款。", "message_subject_en": "Payment overdue",
        "message_subject_zh": "付款已逾期", "contact_window_start_utc": WINDOW[0], "contact_window_end_utc": WINDOW[1],
    }  # fmt: skip
    return row | extra


def _sources() -> Sources:
    worklist = pd.DataFrame([
        _worklist_row("C1", "K1", "zh-CN"),
        _worklist_row("C2", "K2", "en", worklist_rank=2),
        _worklist_row("C3", "K3", "en", worklist_rank=3),  # refused by the server
        _worklist_row("C4", "K4", "en", worklist_rank=4),  # masked address: never sent
        _worklist_row("C5", "K5", "en", worklist_rank=5, channel="phone"),  # a call, not an e-mail
    ])  # fmt: skip
    digests = pd.DataFrame([
        {"owner_id": "SR1", "owner_name": "周敏", "worklist_rows": 5, "new_alerts": 1, "critical_alerts": 0,
         "worklist_target_amount_rc": 61728.0, "reporting_currency": "CNY"},
        {"owner_id": "FIN-MGR", "owner_name": "Finance manager on duty", "worklist_rows": 0, "new_alerts": 2,
         "critical_alerts": 1, "worklist_target_amount_rc": 0, "reporting_currency": "CNY"},  # a desk: no address
    ])  # fmt: skip
    alerts = pd.DataFrame([
        {"owner_id": "SR1", "severity": "warning", "message_en": "C1 is overdue", "message_zh": "C1已逾期"},
    ])  # fmt: skip
    items = []
    for customer_id in ("C1", "C2", "C3", "C4", "C5", "C6"):
        items.append({"customer_id": customer_id, "customer_name": f"{customer_id} Co", "invoice_id": f"I{customer_id}",
                      "invoice_date": dt.date(2026, 9, 1), "due_date": dt.date(2026, 10, 1), "currency": "CNY",
                      "original_amount": 20000.0, "open_amount": 12345.6, "days_past_due": 35,
                      "is_disputed": False, "promise_to_pay_status": None})  # fmt: skip
    items.append(items[0] | {"invoice_id": "IC1b", "currency": "USD", "open_amount": 1000.0, "days_past_due": -5,
                             "due_date": dt.date(2026, 11, 10), "is_disputed": True})  # fmt: skip
    customers = pd.DataFrame([{"customer_id": c, "customer_name": f"{c} Co", "country_code": "US"}
                              for c in ("C1", "C2", "C3", "C4", "C5", "C6")])  # fmt: skip
    customers.loc[customers.customer_id == "C1", "country_code"] = "CN"
    contacts = pd.DataFrame([
        {"contact_id": "K1", "customer_id": "C1", "contact_name": "王芳", "email": "fang.wang@c1.example.cn",
         "timezone": "Asia/Shanghai", "do_not_contact": False},
        {"contact_id": "K2", "customer_id": "C2", "contact_name": "Ann", "email": "ann@c2.example.com",
         "timezone": "America/New_York", "do_not_contact": False},
        {"contact_id": "K3", "customer_id": "C3", "contact_name": "Bob", "email": "refuse@c3.example.com",
         "timezone": None, "do_not_contact": False},
        {"contact_id": "K4", "customer_id": "C4", "contact_name": "Cy", "email": "c***@c4.example.com",
         "timezone": None, "do_not_contact": False},
        {"contact_id": "K5", "customer_id": "C5", "contact_name": "Di", "email": "di@c5.example.com",
         "timezone": None, "do_not_contact": False},
        {"contact_id": "K6", "customer_id": "C6", "contact_name": "Ed", "email": "ed@c6.example.com",
         "timezone": None, "do_not_contact": True},  # every contact of C6 says do not contact
    ])  # fmt: skip
    reps = pd.DataFrame([{"sales_rep_id": "SR1", "email": "zhou.min@example.com"}])
    collectors = pd.DataFrame([{"person_id": "FIN-MGR", "email": ""}])
    return Sources(AS_OF, worklist, digests, alerts, pd.DataFrame(items), customers, contacts, reps, collectors)


class Recorder:
    """An SMTP server's handler: keeps what it receives, refuses recipients whose address starts with 'refuse'."""

    def __init__(self):
        self.received: list[tuple[list[str], email.message.EmailMessage]] = []

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # aiosmtpd's hook
        if address.startswith("refuse"):
            return "550 5.1.1 mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # aiosmtpd's hook
        self.received.append((list(envelope.rcpt_tos), email.message_from_bytes(envelope.content,
                                                                                 policy=policy.default)))  # fmt: skip
        return "250 Message accepted for delivery"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def smtp(monkeypatch):
    recorder = Recorder()
    port = _free_port()
    controller = Controller(recorder, hostname="127.0.0.1", port=port)
    controller.start()
    monkeypatch.setenv("AIRFLOW_CONN_AR_SMTP_TEST", f"smtp://127.0.0.1:{port}")
    yield recorder
    controller.stop()


def _send_settings(tmp_path: Path):
    return settings_for(tmp_path / "home", AR_EMAIL_MODE="send", AR_EMAIL_CONN_ID="ar_smtp_test",
                        AR_EMAIL_FROM="ar@example.com")  # fmt: skip


def _compose_into(settings, now) -> int:
    messages = compose(settings, _sources(), load_texts(SEEDS), now=now)
    with Outbox(settings.outbox_path) as outbox:
        return outbox.add(messages, run_id="test", now=now)


def _statuses(settings) -> dict:
    counts, _ = read_counts(settings.outbox_path, AS_OF)
    return dict(counts)


def test_the_day_is_sent_once_each_in_its_window_and_a_refused_recipient_fails_alone(tmp_path, smtp):
    settings = _send_settings(tmp_path)
    assert _compose_into(settings, BEFORE_WINDOW) == 2 + 4 + 6  # digests, notices (not the phone row), statements

    # The evening before: the digest (internal) goes; the customers' windows are not open yet.
    with Outbox(settings.outbox_path) as outbox:
        first = send_queued(settings, outbox, now=BEFORE_WINDOW)
    assert [m["Subject"] for _, m in smtp.received] == [
        "2026-11-05催收摘要：催收任务5条，新预警1条 / Collections digest for 2026-11-05: 5 worklist rows, 1 new alerts"
    ]
    assert first == {"sent": 1, "deferred": 3 + 4}  # notices C1-C3, statements C1, C2, C3, C5

    # In the window: notices and the statements whose e-mail hours (09:00-10:00 local) are open now.
    report = send_due(settings, now=IN_WINDOW)
    by_key = {message["X-AR-Message-Key"]: (rcpt, message) for rcpt, message in smtp.received}
    assert len(by_key) == len(smtp.received)  # each message once
    rcpt, notice = by_key["customer_notice|2026-11-05|C1"]
    assert rcpt == ["fang.wang@c1.example.cn"]
    assert notice["Subject"] == "付款已逾期" and notice["From"] == "ar@example.com"
    assert "C1您好，请付款。" in notice.get_body(preferencelist=("plain",)).get_content()
    (attachment,) = list(notice.iter_attachments())
    assert attachment.get_filename() == "statement_C1_2026-11-05.html"
    page = attachment.get_content()
    assert "对账单" in page and "IC1b" in page and "12,345.60" in page and "争议中" in page
    assert by_key["customer_notice|2026-11-05|C2"][1]["Subject"] == "Payment overdue"
    assert "customer_notice|2026-11-05|C3" not in by_key
    # Shanghai (01:30 UTC = 09:30; C3 and C5 have no time zone: the company's) is in its e-mail hours,
    # New York (20:30 the day before) is not
    statements = [m for _, m in smtp.received if m["X-AR-Message-Key"].startswith("statement|")]
    assert [m["To"] for m in statements] == ["fang.wang@c1.example.cn", "di@c5.example.com"]
    assert report.handled == {"sent": 4, "failed": 2, "deferred": 1}

    outcome = _statuses(settings)
    assert outcome[("customer_notice", "failed")] == 1 and outcome[("customer_notice", "sent")] == 2
    assert outcome[("customer_notice", "skipped")] == 1  # the masked address
    assert outcome[("statement", "skipped")] == 2  # C4's masked address, C6's do-not-contact
    assert outcome[("statement", "sent")] == 2 and outcome[("statement", "queued")] == 1  # C2 waits for New York
    _, failures = read_counts(settings.outbox_path, AS_OF)
    refused = "recipient refused by the server: 550 5.1.1 mailbox unavailable"
    assert failures == [
        {"message_key": "customer_notice|2026-11-05|C3", "message_type": "customer_notice",
         "recipient_masked": "r***@c3.example.com", "reason": refused},
        {"message_key": "statement|2026-11|C3", "message_type": "statement",
         "recipient_masked": "r***@c3.example.com", "reason": refused},
    ]  # fmt: skip

    # A rerun of the day composes nothing and sends nothing twice; after the window, notices are not retried.
    received = len(smtp.received)
    assert _compose_into(settings, IN_WINDOW) == 0
    again = send_due(settings, now=IN_WINDOW + dt.timedelta(minutes=10))
    assert again.handled.get("sent", 0) == 0 and len(smtp.received) == received
    late = send_due(settings, now=dt.datetime(2026, 12, 1, 2, 0, tzinfo=dt.UTC))  # the month is over
    assert late.handled == {"expired": 1}
    assert _statuses(settings)[("statement", "expired")] == 1


def test_a_server_that_is_down_is_retried_and_loses_nothing(tmp_path, monkeypatch):
    settings = _send_settings(tmp_path)
    monkeypatch.setenv("AIRFLOW_CONN_AR_SMTP_TEST", f"smtp://127.0.0.1:{_free_port()}")  # nobody listens
    _compose_into(settings, BEFORE_WINDOW)
    with pytest.raises(DeliveryServerError, match=r"SMTP server 127\.0\.0\.1:\d+ unreachable"):
        send_due(settings, now=BEFORE_WINDOW)
    assert _statuses(settings)[("owner_digest", "queued")] == 1  # still there for the retry


def test_send_mode_without_a_connection_is_a_setting_to_fix(tmp_path, monkeypatch):
    settings = _send_settings(tmp_path)
    monkeypatch.delenv("AIRFLOW_CONN_AR_SMTP_TEST", raising=False)
    _compose_into(settings, BEFORE_WINDOW)
    with pytest.raises(DeliveryConfigError, match="SMTP connection 'ar_smtp_test' is not defined"):
        send_due(settings, now=BEFORE_WINDOW)


def test_dry_run_writes_every_message_as_an_eml_file_and_sends_nothing(tmp_path):
    settings = settings_for(tmp_path / "home")  # the default: dry run
    assert settings.email_mode == "dry_run"
    _compose_into(settings, BEFORE_WINDOW)
    report = send_due(settings, now=BEFORE_WINDOW)
    assert report.handled == {"dry_run": 8}  # 12 composed, 4 skipped (a desk, two masked, do not contact)
    files = sorted(p.name for p in (settings.outbox_path / "2026-11-05").glob("*.eml"))
    assert len(files) == 8 and "statement_2026-11_C2.eml" in files
    message = email.message_from_bytes((settings.outbox_path / "2026-11-05" / "statement_2026-11_C2.eml").read_bytes(),
                                       policy=policy.default)  # fmt: skip
    assert message["Subject"] == "Statement of account of C2 Co, 2026-11" and message["To"] == "ann@c2.example.com"
    assert "12,345.60 CNY in all, of which 12,345.60 CNY overdue" in message.get_body(("plain",)).get_content()
    assert send_due(settings, now=BEFORE_WINDOW).handled == {}  # nothing twice


def test_statements_wait_for_their_day_of_the_month(tmp_path):
    settings = settings_for(tmp_path / "home")
    texts = load_texts(SEEDS)
    assert texts.statement_day == 5 and texts.email_window == "09:00-10:00"
    early = _sources()
    early = Sources(dt.date(2026, 11, 4), *[getattr(early, f) for f in early.__dataclass_fields__ if f != "as_of"])
    types = {m.message_type for m in compose(settings, early, texts, now=BEFORE_WINDOW)}
    assert types == {"owner_digest", "customer_notice"}


@pytest.mark.parametrize(
    ("raw", "address", "why"),
    [
        ("ann@c2.example.com", "ann@c2.example.com", None),
        ("  ann@c2.example.com ", "ann@c2.example.com", None),
        ("a***@c2.example.com", None, "the address on record is masked"),
        ("ann@c2.example.com; bob@c2.example.com", None, "several addresses in one field"),
        ("Ann <ann@c2.example.com>", None, "several addresses in one field"),
        ("ann.c2.example.com", None, "not an e-mail address"),
        (None, None, "no e-mail address on record"),
        (float("nan"), None, "no e-mail address on record"),
    ],
)
def test_only_one_plain_address_is_ever_used(raw, address, why):
    got, reason = usable_address(raw)
    assert got == address
    assert (reason or "").startswith(why or "")


@pytest.mark.parametrize(
    ("row", "now", "state"),
    [
        (
            {"not_before_utc": "2026-11-06T01:00:00+00:00", "not_after_utc": "2026-11-06T02:00:00+00:00"},
            dt.datetime(2026, 11, 6, 0, 59, 59, tzinfo=dt.UTC),
            "early",
        ),
        (
            {"not_before_utc": "2026-11-06T01:00:00+00:00", "not_after_utc": "2026-11-06T02:00:00+00:00"},
            dt.datetime(2026, 11, 6, 1, 0, tzinfo=dt.UTC),
            "open",
        ),
        (
            {"not_before_utc": "2026-11-06T01:00:00+00:00", "not_after_utc": "2026-11-06T02:00:00+00:00"},
            dt.datetime(2026, 11, 6, 2, 0, tzinfo=dt.UTC),
            "closed",
        ),  # the window's end is not in it
        (
            {
                "daily_window": "09:00-10:00",
                "timezone": "America/New_York",
                "not_after_utc": "2026-12-01T00:00:00+00:00",
            },
            dt.datetime(2026, 11, 6, 14, 30, tzinfo=dt.UTC),
            "open",
        ),  # 09:30 in New York (EST)
        (
            {
                "daily_window": "09:00-10:00",
                "timezone": "America/New_York",
                "not_after_utc": "2026-12-01T00:00:00+00:00",
            },
            dt.datetime(2026, 11, 6, 15, 0, tzinfo=dt.UTC),
            "early",
        ),  # 10:00 there: tomorrow
        ({}, dt.datetime(2026, 11, 6, 3, 0, tzinfo=dt.UTC), "open"),  # an owner's digest: any time
    ],
)
def test_the_contact_window_at_its_edges(row, now, state):
    full = {"not_before_utc": None, "not_after_utc": None, "daily_window": None, "timezone": None} | row
    assert _window(full, now) == state


@pytest.mark.parametrize(
    ("name", "old", "new", "message"),
    [
        (
            "email_templates",
            "催收任务{worklist_rows}条，新预警",
            "催收任务{rows}条，新预警",
            "email_templates.csv row 3, column subject: unknown placeholder {rows}",
        ),
        (
            "email_templates",
            "statement,zh-CN,",
            "statement,zh,",
            "email_templates.csv row 7, column language: 'zh' is not one of en, zh-CN",
        ),
        (
            "email_templates",
            "customer_notice,en,{subject}",
            "customer_notice,zh-CN,{subject}",
            "email_templates.csv row 5, column template_code: a second customer_notice text in zh-CN",
        ),
        (
            "collection_parameters",
            "statement_day_of_month,5,",
            "statement_day_of_month,31,",
            "statement_day_of_month must be 1 to 28",
        ),
    ],
)
def test_bad_edits_of_the_email_texts_are_named(tmp_path, name, old, new, message):
    from ar_risk.collections.strategy import StrategyConfigError

    with pytest.raises((DeliveryConfigError, StrategyConfigError)) as refused:
        load_texts(edited_seeds(tmp_path, name, replace_once(old, new)))
    assert message in str(refused.value)
