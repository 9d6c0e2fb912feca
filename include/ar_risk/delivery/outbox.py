"""The outbox: every e-mail the platform composes, one row per idempotency key, in SQLite.

``$AR_HOME/outbox/outbox.sqlite`` (and, in dry run, one ``.eml`` file per message beside it).
SQLite rather than the warehouse: the warehouse has one writer at a time and the serving
copy is read-only for its readers, while the outbox is written by the delivery task and
the hourly sender and read by the report and the summary.

A row's ``status``:
- ``queued``: composed, waiting for its contact window (send mode);
- ``sent``: accepted by the SMTP server; ``dry_run``: written as a ``.eml`` file only;
- ``skipped``: never to be sent (no usable address, do-not-contact, a masked address);
- ``expired``: its contact window closed before it could go (the next day's worklist plans anew);
- ``failed``: the server refused it (e.g. a refused recipient); not retried.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

STATUSES = ("queued", "sent", "dry_run", "skipped", "expired", "failed")
DONE = frozenset({"sent", "dry_run", "skipped", "expired", "failed"})

SCHEMA = """
create table if not exists outbox (
    message_key text primary key,  -- the idempotency key: type|period|recipient's customer or owner
    message_type text not null,    -- owner_digest, customer_notice, statement
    as_of_date text not null,
    customer_id text,
    owner_id text,
    recipient text,                -- the address; null when there is none to use
    recipient_masked text,
    language text not null,
    subject text not null,
    not_before_utc text,           -- the contact window in UTC (ISO); null: any time
    not_after_utc text,
    daily_window text,             -- 'HH:MM-HH:MM' local, for a message that may go any day (statements)
    timezone text,
    status text not null,
    reason text,
    mime text,                     -- the whole message (RFC 5322); null when skipped
    eml_path text,
    attempts integer not null default 0,
    composed_at text not null,
    handled_at text,
    run_id text
)
"""


@dataclass(frozen=True)
class OutboxMessage:
    message_key: str
    message_type: str
    as_of_date: dt.date
    language: str
    subject: str
    recipient: str | None
    recipient_masked: str | None
    mime: str | None
    customer_id: str | None = None
    owner_id: str | None = None
    not_before_utc: dt.datetime | None = None
    not_after_utc: dt.datetime | None = None
    daily_window: str | None = None
    timezone: str | None = None
    status: str = "queued"
    reason: str | None = None


def _iso(value: dt.datetime | None) -> str | None:
    return value.isoformat(timespec="seconds") if value else None


class Outbox:
    """The outbox file of a home; a context manager that commits on success."""

    def __init__(self, directory: Path):
        directory.mkdir(parents=True, exist_ok=True)
        self.directory = directory
        self.path = directory / "outbox.sqlite"
        self.con = sqlite3.connect(self.path, timeout=60)
        self.con.row_factory = sqlite3.Row
        self.con.execute(SCHEMA)

    def __enter__(self) -> Outbox:
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is None:
            self.con.commit()
        else:
            self.con.rollback()
        self.con.close()

    def add(self, messages: Iterable[OutboxMessage], *, run_id: str, now: dt.datetime) -> int:
        """Insert the messages whose key is new; returns how many were new (a rerun adds none)."""
        before = self.con.total_changes
        self.con.executemany(
            "insert or ignore into outbox (message_key, message_type, as_of_date, customer_id, owner_id, recipient, "
            "recipient_masked, language, subject, not_before_utc, not_after_utc, daily_window, timezone, status, "
            "reason, mime, composed_at, handled_at, run_id) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, "
            "?, ?)",
            [
                (m.message_key, m.message_type, m.as_of_date.isoformat(), m.customer_id, m.owner_id, m.recipient,
                 m.recipient_masked, m.language, m.subject, _iso(m.not_before_utc), _iso(m.not_after_utc),
                 m.daily_window, m.timezone, m.status, m.reason, m.mime, _iso(now),
                 _iso(now) if m.status in DONE else None, run_id)
                for m in messages
            ],
        )  # fmt: skip
        return self.con.total_changes - before

    def queued(self) -> list[sqlite3.Row]:
        return self.con.execute(
            "select * from outbox where status = 'queued' order by composed_at, message_key"
        ).fetchall()

    def mark(self, key: str, status: str, *, now: dt.datetime, reason: str | None = None,
             eml_path: Path | None = None) -> None:  # fmt: skip
        self.con.execute(
            "update outbox set status = ?, reason = coalesce(?, reason), eml_path = coalesce(?, eml_path), "
            "attempts = attempts + case when ? in ('sent', 'failed') then 1 else 0 end, handled_at = ? "
            "where message_key = ?",
            (status, reason, str(eml_path) if eml_path else None, status, _iso(now), key),
        )
        self.con.commit()  # one message at a time: a crash mid-batch never sends a message twice


def read_counts(directory: Path, as_of: dt.date | None = None) -> tuple[Counter, list[dict]] | None:
    """The counts and failures of an outbox for the report and the summary; None when there is none yet."""
    path = directory / "outbox.sqlite"
    if not path.exists():
        return None
    con = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=60)
    con.row_factory = sqlite3.Row
    try:
        where, args = ("where as_of_date = ?", [as_of.isoformat()]) if as_of else ("", [])
        counts = Counter(
            {
                (r[0], r[1]): r[2]
                for r in con.execute(f"select message_type, status, count(*) from outbox {where} group by 1, 2", args)
            }
        )
        failed = [
            dict(r)
            for r in con.execute(
                "select message_key, message_type, recipient_masked, reason from outbox where status = 'failed' "
                + ("and as_of_date = ? " if as_of else "")
                + "order by message_key",
                args,
            )
        ]
        return counts, failed
    finally:
        con.close()
