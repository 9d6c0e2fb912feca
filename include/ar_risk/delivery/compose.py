"""Composing the day's e-mails from the publication (docs/collections.md, "E-mail delivery").

What a message says comes from the published copy (serving.duckdb), as BI users see it:
the worklist's own filled messages, the owners' digests and alerts, the open items. Where
it goes comes from the warehouse: the CRM contacts' and the sales reps' addresses are
personal data the publication carries only masked. Texts around the messages (subjects,
digest and statement introductions) are in the seed ``email_templates.csv``, checked here.
"""

from __future__ import annotations

import datetime as dt
import html
import re
from collections.abc import Iterable
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import duckdb
import pandas as pd

from ar_risk.collections.strategy import load_parameters
from ar_risk.config import EMAIL_ADDRESS, Settings
from ar_risk.delivery.outbox import OutboxMessage
from ar_risk.errors import DataError
from ar_risk.seed_tables import PLACEHOLDER, SeedReader

LANGUAGES = ("en", "zh-CN")
TEMPLATE_PLACEHOLDERS = {
    "owner_digest": {"owner_name", "as_of_date", "worklist_rows", "new_alerts", "critical_alerts", "target_amount",
                     "currency"},
    "customer_notice": {"subject", "message"},
    "statement": {"customer_name", "contact_name", "as_of_date", "statement_month", "item_count", "open_amount",
                  "overdue_amount"},
}  # fmt: skip
# The countries whose contacts are written to in Chinese, as int_collection_assignments decides contact_language.
CHINESE_COUNTRIES = ("CN", "HK", "MO", "TW")


class DeliveryConfigError(DataError, ValueError):
    """A delivery setting or text cannot be used (names file, row and column); the task is not retried."""


_seeds = SeedReader(DeliveryConfigError)


@dataclass(frozen=True)
class Texts:
    templates: dict[tuple[str, str], tuple[str, str]]  # (template_code, language) -> (subject, intro)
    statement_day: int
    email_window: str  # 'HH:MM-HH:MM', the e-mail channel's window clipped to the hours outside quiet hours
    company_timezone: str


def load_texts(seeds_dir: Path) -> Texts:
    """email_templates.csv (a subject and an introduction per message type and language) and the parameters."""
    rows = _seeds.table(seeds_dir, "email_templates", ("template_code", "language", "subject", "intro"))
    templates: dict[tuple[str, str], tuple[str, str]] = {}
    for row in rows:
        code, language = row.get("template_code"), row.get("language")
        if code not in TEMPLATE_PLACEHOLDERS:
            raise DeliveryConfigError(f"{row.where('template_code')}: {code!r} is not one of "
                                      f"{', '.join(TEMPLATE_PLACEHOLDERS)}")  # fmt: skip
        if language not in LANGUAGES:
            raise DeliveryConfigError(f"{row.where('language')}: {language!r} is not one of {', '.join(LANGUAGES)}")
        if (code, language) in templates:
            raise DeliveryConfigError(f"{row.where('template_code')}: a second {code} text in {language}")
        for column in ("subject", "intro"):
            if not row.get(column):
                raise DeliveryConfigError(f"{row.where(column)}: a text is required")
            unknown = sorted(set(PLACEHOLDER.findall(row.get(column))) - TEMPLATE_PLACEHOLDERS[code])
            if unknown:
                raise DeliveryConfigError(
                    f"{row.where(column)}: unknown placeholder {{{unknown[0]}}}; {code} knows "
                    + ", ".join(f"{{{p}}}" for p in sorted(TEMPLATE_PLACEHOLDERS[code]))
                )
        templates[(code, language)] = (row.get("subject"), row.get("intro"))
    for code in TEMPLATE_PLACEHOLDERS:
        for language in LANGUAGES:
            if (code, language) not in templates:
                raise DeliveryConfigError(f"email_templates.csv: no {code} text in {language}")
    params = load_parameters(seeds_dir)
    channels = {r.get("channel"): r for r in _seeds.table(seeds_dir, "contact_channels", ("channel", "window_start",
                                                                                           "window_end"))}  # fmt: skip
    email = channels.get("email")
    if email is None:
        raise DeliveryConfigError("contact_channels.csv: no email channel, so no window for statements")
    start = max(dt.time.fromisoformat(email.get("window_start")), params["quiet_hours_end"])
    end = min(dt.time.fromisoformat(email.get("window_end")), params["quiet_hours_start"])
    return Texts(templates, int(params["statement_day_of_month"]), f"{start:%H:%M}-{end:%H:%M}",
                 str(params["company_timezone"]))  # fmt: skip


def fill(text: str, values: dict[str, object]) -> str:
    return PLACEHOLDER.sub(lambda m: str(values.get(m.group(1), m.group(0))), text)


def amount(value: object, currency: str | None = None) -> str:
    """12,345.60 CNY: thousands separators and the currency, as the worklist's messages write amounts."""
    text = f"{float(value or 0):,.2f}"
    return f"{text} {currency}" if currency else text


def usable_address(raw: object) -> tuple[str | None, str | None]:
    """(address, None), or (None, why not): never a masked, partial or multiple-address field."""
    text = "" if raw is None or (isinstance(raw, float) and pd.isna(raw)) else str(raw).strip()
    if not text:
        return None, "no e-mail address on record"
    if "*" in text:
        return None, "the address on record is masked"
    if re.search(r"[,;\s]", text):
        return None, "several addresses in one field: which one is meant is unknown"
    if not EMAIL_ADDRESS.fullmatch(text):
        return None, "not an e-mail address"
    return text, None


def mask_address(address: str | None) -> str | None:
    if not address:
        return None
    local, _, domain = address.partition("@")
    return f"{local[:1]}***@{domain}"


def _mime(settings: Settings, *, to: str | None, subject: str, text: str, body_html: str, now: dt.datetime,
          key: str, attachment: tuple[str, str] | None = None) -> str:  # fmt: skip
    message = EmailMessage()
    message["From"] = settings.email_from
    message["To"] = to or "undisclosed-recipients:;"
    message["Subject"] = subject
    message["Date"] = format_datetime(now)
    message["Message-ID"] = make_msgid(domain=settings.email_from.partition("@")[2])
    message["X-AR-Message-Key"] = key
    # quoted-printable and base64: 7-bit lines under SMTP's 998 characters whatever the text (RFC 5321)
    message.set_content(text, cte="quoted-printable")
    message.add_alternative(body_html, subtype="html", cte="base64")
    if attachment:
        name, content = attachment
        message.add_attachment(content, subtype="html", filename=name, cte="base64")  # text/html; charset=utf-8
    return message.as_string()


STATEMENT_HEADERS = {
    "en": ("Document", "Invoice date", "Due date", "Currency", "Amount", "Open", "Days past due", "Note"),
    "zh-CN": ("单据号", "开票日期", "到期日", "币种", "金额", "未结金额", "逾期天数", "备注"),
}
NOTES = {"en": {"disputed": "in dispute", "promised": "payment promised"}, "zh-CN": {"disputed": "争议中",
                                                                                 "promised": "已承诺付款"}}  # fmt: skip
STATEMENT_TITLE = {"en": "Statement of account", "zh-CN": "对账单"}


def statement_html(items: pd.DataFrame, *, customer_name: str, as_of: dt.date, language: str) -> str:
    """The customer's open items as one HTML page: each document in its own currency, totals per currency."""
    headers = STATEMENT_HEADERS[language]
    rows = []
    for item in items.sort_values(["due_date", "invoice_id"]).itertuples():
        notes = []
        if bool(item.is_disputed):
            notes.append(NOTES[language]["disputed"])
        if item.promise_to_pay_status == "active":
            notes.append(NOTES[language]["promised"])
        cells = (item.invoice_id, item.invoice_date, item.due_date, item.currency, amount(item.original_amount),
                 amount(item.open_amount), max(int(item.days_past_due), 0), "; ".join(notes))  # fmt: skip
        rows.append("<tr>" + "".join(f"<td>{html.escape(str(c))}</td>" for c in cells) + "</tr>")
    totals = items.groupby("currency")["open_amount"].sum()
    total_label = "合计" if language == "zh-CN" else "Total"
    rows += [f"<tr><th colspan='5'>{total_label} {html.escape(c)}</th><th>{amount(v)}</th><th></th><th></th></tr>"
             for c, v in totals.items()]  # fmt: skip
    title = f"{STATEMENT_TITLE[language]}: {html.escape(customer_name)}, {as_of.isoformat()}"
    head = "".join(f"<th>{h}</th>" for h in headers)
    return (
        f"<!doctype html><html lang='{language}'><head><meta charset='utf-8'><title>{title}</title></head><body>"
        f"<h1>{title}</h1><table border='1' cellspacing='0' cellpadding='4'><thead><tr>{head}</tr></thead>"
        f"<tbody>{''.join(rows)}</tbody></table></body></html>"
    )


def _totals_text(items: pd.DataFrame, overdue_only: bool = False) -> str:
    chosen = items[items.days_past_due > 0] if overdue_only else items
    if chosen.empty:
        return amount(0, items.currency.iloc[0] if len(items) else None)
    return ", ".join(amount(v, c) for c, v in chosen.groupby("currency")["open_amount"].sum().items())


def _day(value: object) -> str:
    """A date as YYYY-MM-DD, '-' when there is none (an internal row has no contact date)."""
    return "-" if value is None or pd.isna(value) else pd.Timestamp(value).date().isoformat()


def _paragraphs(text: str) -> str:
    return "".join(f"<p>{html.escape(line)}</p>" for line in text.splitlines() if line.strip())


def _valid_zone(name: object, default: str) -> str:
    try:
        ZoneInfo(str(name))
        return str(name)
    except (ZoneInfoNotFoundError, ValueError):
        return default


@dataclass(frozen=True)
class Sources:
    """What the composition reads, as frames (built from the files by read_sources, or by hand in tests)."""

    as_of: dt.date
    worklist: pd.DataFrame  # marts.collection_worklist of the as-of date
    digests: pd.DataFrame  # marts.owner_daily_digest
    alerts: pd.DataFrame  # marts.alerts, new ones
    open_items: pd.DataFrame  # marts.fct_ar_open_items (invoices and debit notes)
    customers: pd.DataFrame  # marts.dim_customers: customer_id, customer_name, country_code
    contacts: pd.DataFrame  # staging.stg_crm__contacts (addresses)
    reps: pd.DataFrame  # staging.stg_erp__sales_reps: sales_rep_id, email
    collectors: pd.DataFrame  # seeds/collectors.csv: person_id, email


def _frame(con: duckdb.DuckDBPyConnection, sql: str, params: Iterable = ()) -> pd.DataFrame:
    return con.execute(sql, list(params)).df()


def _table_exists(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> bool:
    return bool(con.execute("select count(*) from information_schema.tables where table_schema = ? and table_name = ?",
                            [schema, table]).fetchone()[0])  # fmt: skip


def read_sources(settings: Settings, as_of: dt.date) -> Sources:
    """The publication's rows for ``as_of`` and the addresses from the warehouse (both opened read-only)."""
    serving = duckdb.connect(str(settings.serving_path), read_only=True)
    try:
        worklist = _frame(serving, "select * from marts.collection_worklist where as_of_date = ?", [as_of])
        digests = _frame(serving, "select * from marts.owner_daily_digest where as_of_date = ?", [as_of])
        alerts = _frame(serving, "select * from marts.alerts where as_of_date = ? and alert_status = 'new' "
                                 "order by level_order desc, alert_id", [as_of])  # fmt: skip
        open_items = _frame(serving, "select * from marts.fct_ar_open_items where as_of_date = ? and document_type "
                                     "in ('invoice', 'debit_note') and open_amount > 0", [as_of])  # fmt: skip
        customers = _frame(serving, "select customer_id, customer_name, country_code from marts.dim_customers "
                                    "where as_of_date = ?", [as_of])  # fmt: skip
    finally:
        serving.close()
    warehouse = duckdb.connect(str(settings.warehouse_path), read_only=True)
    try:
        # optional tables: an absent one is an empty staged model, or none at all
        contacts = (
            _frame(warehouse, "select * from staging.stg_crm__contacts")
            if _table_exists(warehouse, "staging", "stg_crm__contacts")
            else pd.DataFrame(
                columns=["contact_id", "customer_id", "contact_name", "email", "timezone", "do_not_contact"]
            )
        )
        reps = (_frame(warehouse, "select sales_rep_id, email from staging.stg_erp__sales_reps")
                if _table_exists(warehouse, "staging", "stg_erp__sales_reps")
                else pd.DataFrame(columns=["sales_rep_id", "email"]))  # fmt: skip
    finally:
        warehouse.close()
    collectors = pd.read_csv(settings.dbt_project_dir / "seeds" / "collectors.csv", dtype=str, keep_default_na=False)
    return Sources(as_of, worklist, digests, alerts, open_items, customers, contacts, reps, collectors)


def compose(settings: Settings, sources: Sources, texts: Texts, *, now: dt.datetime) -> list[OutboxMessage]:
    """Every message of the as-of date: owner digests, customer notices and, on or after the day, statements."""
    messages = [*_owner_digests(settings, sources, texts, now), *_customer_notices(settings, sources, texts, now)]
    if sources.as_of.day >= texts.statement_day:
        messages += _statements(settings, sources, texts, now)
    return messages


def _owner_address(sources: Sources, owner_id: str) -> str | None:
    for frame, key in ((sources.reps, "sales_rep_id"), (sources.collectors, "person_id")):
        found = frame.loc[frame[key] == owner_id, "email"]
        if len(found) and str(found.iloc[0] or "").strip():
            return str(found.iloc[0]).strip()
    return None


def _owner_digests(settings: Settings, sources: Sources, texts: Texts, now: dt.datetime) -> list[OutboxMessage]:
    """One bilingual digest per owner with worklist rows or new alerts: Chinese first, then English."""
    messages = []
    for digest in sources.digests.itertuples():
        if not (digest.worklist_rows or digest.new_alerts):
            continue
        key = f"owner_digest|{sources.as_of.isoformat()}|{digest.owner_id}"
        address, why = usable_address(_owner_address(sources, digest.owner_id))
        if address is None:
            why = f"owner {digest.owner_id} ({digest.owner_name}): {why} (erp_sales_reps.email or collectors.csv email)"
        rows = sources.worklist[sources.worklist.owner_id == digest.owner_id].sort_values("worklist_rank")
        alerts = sources.alerts[sources.alerts.owner_id == digest.owner_id]
        values = {"owner_name": digest.owner_name, "as_of_date": sources.as_of.isoformat(),
                  "worklist_rows": digest.worklist_rows, "new_alerts": digest.new_alerts,
                  "critical_alerts": digest.critical_alerts, "target_amount": amount(digest.worklist_target_amount_rc),
                  "currency": digest.reporting_currency}  # fmt: skip
        subjects, texts_plain, parts = [], [], []
        for language, suffix in (("zh-CN", "zh"), ("en", "en")):
            subject, intro = (fill(t, values) for t in texts.templates[("owner_digest", language)])
            subjects.append(subject)
            lines = (
                [intro]
                + [
                    f"#{r.worklist_rank} {r.customer_name}: {getattr(r, 'action_label_' + suffix)}, "
                    f"{_day(r.contact_date)} {r.channel}, {amount(r.target_amount_rc, r.reporting_currency)}"
                    for r in rows.itertuples()
                ]
                + [f"[{a.severity}] {getattr(a, 'message_' + suffix)}" for a in alerts.itertuples()]
            )
            texts_plain.append("\n".join(lines))
            parts.append(_paragraphs("\n".join(lines)))
        subject = " / ".join(subjects)
        text = "\n\n".join(texts_plain)
        mime = _mime(settings, to=address, subject=subject, text=text, body_html="<hr>".join(parts), now=now,
                     key=key) if address else None  # fmt: skip
        messages.append(OutboxMessage(key, "owner_digest", sources.as_of, "zh-CN+en", subject, address,
                                      mask_address(address), mime, owner_id=digest.owner_id,
                                      status="queued" if address else "skipped", reason=why))  # fmt: skip
    return messages


def _contact(sources: Sources, contact_id: object) -> pd.Series | None:
    found = sources.contacts[sources.contacts.contact_id == contact_id]
    return found.iloc[0] if len(found) else None


def _customer_notices(settings: Settings, sources: Sources, texts: Texts, now: dt.datetime) -> list[OutboxMessage]:
    """One e-mail per worklist row the strategy sends by e-mail, in the contact's language, with a statement."""
    rows = sources.worklist[(sources.worklist.channel == "email") & (sources.worklist.contact_status == "scheduled")]
    messages = []
    for row in rows.itertuples():
        key = f"customer_notice|{sources.as_of.isoformat()}|{row.customer_id}"
        language = row.contact_language if row.contact_language in LANGUAGES else "en"
        suffix = "zh" if language == "zh-CN" else "en"
        contact = _contact(sources, row.contact_id)
        address, why = usable_address(None if contact is None else contact.get("email"))
        if contact is not None and bool(contact.get("do_not_contact") or False):
            address, why = None, "the contact is marked do_not_contact"
        items = sources.open_items[sources.open_items.customer_id == row.customer_id]
        message_text = str(getattr(row, "message_" + suffix) or "")
        subject, intro = (fill(t, {"subject": getattr(row, "message_subject_" + suffix), "message": message_text})
                          for t in texts.templates[("customer_notice", language)])  # fmt: skip
        page = statement_html(items, customer_name=row.customer_name, as_of=sources.as_of, language=language)
        mime = (_mime(settings, to=address, subject=subject, text=intro, now=now, key=key,
                      body_html=_paragraphs(intro) + page.split("<body>", 1)[1].rsplit("</body>", 1)[0],
                      attachment=(f"statement_{row.customer_id}_{sources.as_of.isoformat()}.html", page))
                if address else None)  # fmt: skip
        messages.append(OutboxMessage(
            key, "customer_notice", sources.as_of, language, subject, address, mask_address(address), mime,
            customer_id=row.customer_id, owner_id=row.owner_id,
            not_before_utc=_utc(row.contact_window_start_utc), not_after_utc=_utc(row.contact_window_end_utc),
            status="queued" if address else "skipped", reason=why,
        ))  # fmt: skip
    return messages


def _utc(value: object) -> dt.datetime | None:
    if value is None or pd.isna(value):
        return None
    stamp = pd.Timestamp(value).to_pydatetime()
    return stamp.replace(tzinfo=dt.UTC) if stamp.tzinfo is None else stamp.astimezone(dt.UTC)


def _best_contact(sources: Sources, customer_id: str) -> pd.Series | None:
    """The contact int_collection_contacts would choose: not do_not_contact first, one with an e-mail, by id."""
    found = sources.contacts[sources.contacts.customer_id == customer_id].copy()
    if found.empty:
        return None
    found["_dnc"] = found["do_not_contact"].fillna(False).astype(bool)
    found["_no_email"] = found["email"].isna()
    return found.sort_values(["_dnc", "_no_email", "contact_id"]).iloc[0]


def _statements(settings: Settings, sources: Sources, texts: Texts, now: dt.datetime) -> list[OutboxMessage]:
    """The monthly statement of account (对账单) of every customer with open items, once per month."""
    month = sources.as_of.strftime("%Y-%m")
    # valid until the month's end: a statement that could not go by then is stale
    month_end = (sources.as_of.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    names = sources.customers.set_index("customer_id")
    messages = []
    for customer_id, items in sources.open_items.groupby("customer_id", sort=True):
        key = f"statement|{month}|{customer_id}"
        customer_name = str(items.customer_name.iloc[0])
        country = names.country_code.get(customer_id) if customer_id in names.index else None
        language = "zh-CN" if str(country or "").upper() in CHINESE_COUNTRIES else "en"
        contact = _best_contact(sources, customer_id)
        address, why = usable_address(None if contact is None else contact.get("email"))
        if contact is not None and bool(contact.get("do_not_contact") or False):
            address, why = None, "every contact of the customer is marked do_not_contact"
        values = {"customer_name": customer_name, "as_of_date": sources.as_of.isoformat(), "statement_month": month,
                  "contact_name": customer_name if contact is None else contact.get("contact_name") or customer_name,
                  "item_count": len(items), "open_amount": _totals_text(items),
                  "overdue_amount": _totals_text(items, overdue_only=True)}  # fmt: skip
        subject, intro = (fill(t, values) for t in texts.templates[("statement", language)])
        page = statement_html(items, customer_name=customer_name, as_of=sources.as_of, language=language)
        mime = (_mime(settings, to=address, subject=subject, text=intro, now=now, key=key,
                      body_html=_paragraphs(intro) + page.split("<body>", 1)[1].rsplit("</body>", 1)[0],
                      attachment=(f"statement_{customer_id}_{month}.html", page))
                if address else None)  # fmt: skip
        timezone = texts.company_timezone if contact is None else _valid_zone(contact.get("timezone"),
                                                                               texts.company_timezone)  # fmt: skip
        messages.append(OutboxMessage(
            key, "statement", sources.as_of, language, subject, address, mask_address(address), mime,
            customer_id=customer_id, daily_window=texts.email_window, timezone=timezone,
            not_after_utc=dt.datetime.combine(month_end, dt.time(), tzinfo=dt.UTC),
            status="queued" if address else "skipped", reason=why,
        ))  # fmt: skip
    return messages
