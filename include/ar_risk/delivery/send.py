"""Sending what the outbox holds: dry run (.eml files) or SMTP, never outside the contact window.

In dry run (the default, ``AR_EMAIL_MODE=dry_run``) every queued message is written to
``$AR_HOME/outbox/<as-of date>/<key>.eml`` and marked ``dry_run``: nothing leaves the machine,
so the contact window does not hold it back. In send mode a queued message goes only while its
window is open: a notice in its worklist row's window (UTC), a statement in the e-mail channel's
daily window in the contact's time zone, a digest at any time; before the window it stays queued
(the next run or the hourly ``ar_deliver`` sends it), after it it expires. The SMTP server is the
Airflow connection ``AR_EMAIL_CONN_ID`` (default ``ar_smtp``): host, port, login, password, and
in its extra ``{"starttls": true}`` or ``{"ssl": true}``, ``"timeout"`` (seconds).

A recipient the server refuses fails that message only (recorded, never retried); a server that
cannot be reached is an infrastructure fault: the task fails and Airflow retries it, the messages
still queued.
"""

from __future__ import annotations

import datetime as dt
import re
import smtplib
import sqlite3
from collections import Counter
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from ar_risk.config import Settings
from ar_risk.delivery.compose import DeliveryConfigError
from ar_risk.delivery.outbox import Outbox


class DeliveryServerError(RuntimeError):
    """The SMTP server could not be reached or dropped the connection: retried (not a data error)."""


@dataclass(frozen=True)
class SmtpServer:
    host: str
    port: int
    login: str | None
    password: str | None
    starttls: bool
    ssl: bool
    timeout: float


def smtp_server(conn_id: str) -> SmtpServer:
    """The SMTP settings of an Airflow connection (environment AIRFLOW_CONN_<ID>, the metadata DB, or a backend)."""
    from airflow.sdk import BaseHook

    try:
        conn = BaseHook.get_connection(conn_id)
    except Exception as error:  # AirflowNotFoundException and the Task SDK's own: a setting to fix
        raise DeliveryConfigError(
            f"AR_EMAIL_MODE=send but the SMTP connection {conn_id!r} is not defined ({type(error).__name__}); "
            f"add it (e.g. AIRFLOW_CONN_{conn_id.upper()}='smtp://user:password@smtp.example.com:587"
            "?starttls=true') or set AR_EMAIL_MODE=dry_run"
        ) from None
    extra = conn.extra_dejson or {}
    if not conn.host:
        raise DeliveryConfigError(f"SMTP connection {conn_id!r} has no host")

    def flag(name: str) -> bool:
        return str(extra.get(name, "")).lower() in ("1", "true", "yes")

    port = int(conn.port or (465 if flag("ssl") else 25))
    return SmtpServer(conn.host, port, conn.login or None, conn.password or None, flag("starttls"), flag("ssl"),
                      float(extra.get("timeout", 30)))  # fmt: skip


def _window(row: sqlite3.Row, now: dt.datetime) -> str:
    """'open', 'early' or 'closed' for a queued message at ``now`` (UTC)."""
    not_after = dt.datetime.fromisoformat(row["not_after_utc"]) if row["not_after_utc"] else None
    if not_after and now >= not_after:
        return "closed"
    not_before = dt.datetime.fromisoformat(row["not_before_utc"]) if row["not_before_utc"] else None
    if not_before and now < not_before:
        return "early"
    if row["daily_window"]:
        start, end = (dt.time.fromisoformat(t) for t in row["daily_window"].split("-"))
        local = now.astimezone(ZoneInfo(row["timezone"])).time()
        return "open" if start <= local < end else "early"
    return "open"


def _file_name(key: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", key) + ".eml"


def send_queued(settings: Settings, outbox: Outbox, *, now: dt.datetime) -> Counter:
    """Handle every queued message; returns how many went each way (dry_run, sent, failed, expired, deferred)."""
    done: Counter = Counter()
    queued = outbox.queued()
    if settings.email_mode == "dry_run":
        for row in queued:
            folder = outbox.directory / row["as_of_date"]
            folder.mkdir(parents=True, exist_ok=True)
            path = folder / _file_name(row["message_key"])
            path.write_text(row["mime"], encoding="utf-8")
            outbox.mark(row["message_key"], "dry_run", now=now, eml_path=path)
            done["dry_run"] += 1
        return done
    due = []
    for row in queued:
        state = _window(row, now)
        if state == "closed":
            outbox.mark(row["message_key"], "expired", now=now, reason="its contact window closed before it could go")
            done["expired"] += 1
        elif state == "early":
            done["deferred"] += 1
        else:
            due.append(row)
    if not due:
        return done
    server = smtp_server(settings.email_conn_id)
    try:
        client = (smtplib.SMTP_SSL if server.ssl else smtplib.SMTP)(server.host, server.port, timeout=server.timeout)
        if server.starttls:
            client.starttls()
        if server.login:
            client.login(server.login, server.password or "")
    except (OSError, smtplib.SMTPException) as error:
        raise DeliveryServerError(f"SMTP server {server.host}:{server.port} unreachable: {error}") from error
    try:
        for row in due:
            try:
                # an ASCII string (every part is encoded): smtplib turns its line ends into CRLF
                client.sendmail(settings.email_from, [row["recipient"]], row["mime"])
            except smtplib.SMTPRecipientsRefused as error:
                code, reply = next(iter(error.recipients.values()))
                reason = f"recipient refused by the server: {code} {reply.decode(errors='replace')}"
                outbox.mark(row["message_key"], "failed", now=now, reason=reason)
                done["failed"] += 1
            except (smtplib.SMTPDataError, smtplib.SMTPSenderRefused, smtplib.SMTPNotSupportedError) as error:
                outbox.mark(row["message_key"], "failed", now=now, reason=f"refused by the server: {error}")
                done["failed"] += 1
            except (OSError, smtplib.SMTPServerDisconnected) as error:
                raise DeliveryServerError(f"SMTP server {server.host}:{server.port} dropped: {error}") from error
            else:
                outbox.mark(row["message_key"], "sent", now=now)
                done["sent"] += 1
    finally:
        try:
            client.quit()
        except (OSError, smtplib.SMTPException):
            client.close()
    return done
