"""E-mail delivery of the day's collections work (issue 22 §3; docs/collections.md, "E-mail delivery").

After each publication (``ar_publish.deliver_messages``) three kinds of message are composed
(``compose``) into the outbox (``outbox``) and handed on (``send``):

- ``owner_digest``: per owner (person or desk) with worklist rows or new alerts that day, their
  rows and alerts, in Chinese and English;
- ``customer_notice``: per worklist row the strategy sends by e-mail (channel ``email``, contact
  scheduled), one per customer: the row's own message in the contact's language with the
  customer's open items as a statement, inline and attached as an HTML file;
- ``statement``: the monthly statement of account (对账单) of every customer with open items, on
  the first run on or after ``statement_day_of_month`` (seed ``collection_parameters``, 5).

Each message has an idempotency key (type, as-of date or month, customer or owner): a rerun
composes nothing new and sends nothing twice. Dry run by default (``AR_EMAIL_MODE``).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import Counter
from dataclasses import dataclass, field

from ar_risk.config import Settings
from ar_risk.delivery.compose import compose, load_texts, read_sources
from ar_risk.delivery.outbox import Outbox, read_counts
from ar_risk.delivery.send import send_queued

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class DeliveryReport:
    as_of_date: dt.date | None
    mode: str
    composed: int  # new messages this run (0 on a rerun)
    handled: dict[str, int]  # what this run did: dry_run, sent, failed, expired, deferred
    by_type: dict[str, dict[str, int]] = field(default_factory=dict)  # the as-of date's outbox: type -> status -> n
    failures: list[dict] = field(default_factory=list)


def _report(settings: Settings, as_of: dt.date | None, composed: int, handled: Counter) -> DeliveryReport:
    counts, failures = read_counts(settings.outbox_path, as_of) or (Counter(), [])
    by_type: dict[str, dict[str, int]] = {}
    for (message_type, status), n in sorted(counts.items()):
        by_type.setdefault(message_type, {})[status] = n
    return DeliveryReport(as_of, settings.email_mode, composed, dict(handled), by_type, failures)


def deliver(settings: Settings, as_of: dt.date, *, run_id: str, now: dt.datetime | None = None) -> DeliveryReport:
    """Compose the as-of date's messages from the publication into the outbox, then send what is due."""
    now = now or dt.datetime.now(dt.UTC)
    texts = load_texts(settings.dbt_project_dir / "seeds")
    messages = compose(settings, read_sources(settings, as_of), texts, now=now)
    with Outbox(settings.outbox_path) as outbox:
        composed = outbox.add(messages, run_id=run_id, now=now)
        handled = send_queued(settings, outbox, now=now)
    report = _report(settings, as_of, composed, handled)
    log.info("e-mail (%s) for %s: %d new messages; this run %s; outbox of the day %s; %d failed",
             settings.email_mode, as_of, composed, report.handled, report.by_type, len(report.failures))  # fmt: skip
    return report


def send_due(settings: Settings, *, now: dt.datetime | None = None) -> DeliveryReport:
    """Send the queued messages whose window is open now (the hourly ar_deliver); composes nothing."""
    now = now or dt.datetime.now(dt.UTC)
    with Outbox(settings.outbox_path) as outbox:
        handled = send_queued(settings, outbox, now=now)
    report = _report(settings, None, 0, handled)
    log.info("e-mail (%s): this run %s", settings.email_mode, report.handled)
    return report
