"""Mask credentials in any text before it is logged, alerted or raised: one place, every form.

Everything the pipeline says about a failure can carry a connection string, and a connection
string can carry a password in many spellings. :func:`redact` masks each of them with ``***``:

- URL userinfo: ``postgresql://user:S3cret@host`` -> ``postgresql://user:***@host``;
- URL query parameters: ``?password=S3cret``, ``&sslpassword=``, ``token=``, ``secret=``,
  ``api_key=`` (any parameter whose name contains password, passwd, pwd, secret, token, api key,
  access key or private key);
- libpq / DSN ``key=value``: ``password=S3cret``, ``password='a b'``, ``password = "a b"``;
- JSON and Python dicts, as in Airflow connection extras or ``AIRFLOW_CONN_*`` JSON:
  ``"password": "…"``, ``'token': 'abc'``, and the same with escaped quotes
  (``\\"password\\": \\"S3cret\\"``, JSON inside a JSON log line);
- ``Bearer <token>``;
- and the known secret values themselves, literally, wherever they appear: passwords of
  ``AR_BI_POSTGRES_URL``, ``AR_PG_PASSWORD``, ``AIRFLOW_CONN_*`` read from the environment at
  the moment of masking, and any value given to :func:`remember_secret` (the passwords of
  the Airflow connections the process opened).

Python logging of the task process goes through :class:`RedactingFilter`
(:func:`install_log_redaction`), so ``log.info("... %s", url)`` is masked too.
"""

from __future__ import annotations

import json
import logging
import os
import re
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import quote, unquote, urlsplit

MASK = "***"

# Literal masking of very short values would shred ordinary words; such a password is masked
# only where it stands in one of the forms above.
_MIN_LITERAL_SECRET = 4

# A parameter or key whose value is a credential.
_KEY = (
    r"[A-Za-z0-9_.\-]*"
    r"(?:password|passwd|pwd|secret|token|api[_\-]?key|access[_\-]?key|private[_\-]?key)"
    r"[A-Za-z0-9_.\-]*"
)

_QUOTED = r"""(?:"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')"""

_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    # scheme://user:password@host: the password runs to the last @ before the path, so an
    # unencoded @ inside it is masked too (over-masking the host is the safe side).
    (re.compile(r"(?P<head>[A-Za-z][A-Za-z0-9+.\-]*://[^\s:/@'\"]*):[^\s/'\"]*@"), rf"\g<head>:{MASK}@"),
    # ?password=...&...: in a URL query the value ends at & or #.
    (re.compile(rf"(?P<head>[?&;](?:{_KEY})=)[^&#\s'\"]*", re.IGNORECASE), rf"\g<head>{MASK}"),
    # \"password\": \"...\": JSON inside a JSON log line.
    (re.compile(rf'(?P<head>\\"(?:{_KEY})\\"\s*:\s*)\\".*?\\"', re.IGNORECASE), rf'\g<head>\\"{MASK}\\"'),
    # "password": "..." and 'password': '...' (JSON, Python dicts); an unquoted value (a number) too.
    (
        re.compile(
            rf"""(?P<head>(?P<q>["'])(?:{_KEY})(?P=q)\s*:\s*)(?P<vq>["'])(?:[^"'\\]|\\.|(?!(?P=vq))["'])*(?P=vq)""",
            re.IGNORECASE,
        ),
        rf"\g<head>\g<vq>{MASK}\g<vq>",
    ),
    (
        re.compile(rf"""(?P<head>(?P<q>["'])(?:{_KEY})(?P=q)\s*:\s*)[^\s,}}\]"'\\]+""", re.IGNORECASE),
        rf"\g<head>{MASK}",
    ),
    # libpq key=value: a quoted value may hold spaces; an unquoted one ends at white space (or a
    # backslash: inside a JSON string that is an escape, and the JSON must stay readable).
    (
        re.compile(rf"""(?P<head>(?<![?&;])\b(?:{_KEY})\s*=\s*)(?:{_QUOTED}|[^\s'"\\]+)""", re.IGNORECASE),
        rf"\g<head>{MASK}",
    ),
    (re.compile(r"(?P<head>\bBearer\s+)[A-Za-z0-9._~+/=\-]+", re.IGNORECASE), rf"\g<head>{MASK}"),
)

_remembered: set[str] = set()


def remember_secret(value: str | None) -> None:
    """Mask ``value`` literally from now on in this process (e.g. a connection's password)."""
    if value and len(value) >= _MIN_LITERAL_SECRET:
        _remembered.add(value)


def url_secrets(url: str) -> list[str]:
    """The password of a URL's userinfo and the values of its credential query parameters."""
    try:
        parts = urlsplit(url.strip())
        found = [unquote(parts.password)] if parts.password else []
    except ValueError:
        return []
    for pair in parts.query.split("&"):
        key, _, value = pair.partition("=")
        if value and re.fullmatch(_KEY, key, re.IGNORECASE):
            found.append(unquote(value))
    return found


def _configured_secrets(env: Mapping[str, str]) -> set[str]:
    """The passwords the environment configures: the BI database, the dbt target, Airflow connections."""
    found: set[str] = set()
    for name, value in env.items():
        if not value:
            continue
        if name in ("AR_BI_POSTGRES_URL", "AR_MLFLOW_TRACKING_URI", "AR_ALERT_WEBHOOK_URL"):
            found.update(url_secrets(value))
        elif name == "AR_PG_PASSWORD":
            found.add(value)
        elif name.startswith("AIRFLOW_CONN_") and value.lstrip().startswith("{"):
            try:
                conn = json.loads(value)
            except ValueError:
                continue
            found.update(str(v) for k, v in _walk(conn) if re.fullmatch(_KEY, k, re.IGNORECASE))
        elif name.startswith("AIRFLOW_CONN_"):
            found.update(url_secrets(value))
    return {s for s in found if len(s) >= _MIN_LITERAL_SECRET}


def _walk(value, key: str = "") -> Iterable[tuple[str, object]]:
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _walk(v, str(k))
    elif isinstance(value, list):
        for v in value:
            yield from _walk(v, key)
    elif value is not None:
        yield key, value


def known_secrets(env: Mapping[str, str] | None = None) -> set[str]:
    return _remembered | _configured_secrets(os.environ if env is None else env)


def redact(text: object, *, secrets: Iterable[str] = ()) -> str:
    """``text`` with every credential masked as ``***`` (see the module's docstring for the forms)."""
    result = str(text)
    for pattern, replacement in _PATTERNS:
        result = pattern.sub(replacement, result)
    # Longest first, so a password that contains another is masked whole.
    literals = known_secrets() | {s for s in secrets if s and len(s) >= _MIN_LITERAL_SECRET}
    for secret in sorted(literals, key=len, reverse=True):
        for spelling in {secret, quote(secret, safe=""), json.dumps(secret)[1:-1]}:
            result = result.replace(spelling, MASK)
    return result


def redact_values(value: Any) -> Any:
    """``value`` with every string in it redacted, through dicts and lists (an alert before it is sent)."""
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, Mapping):
        return {key: redact_values(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [redact_values(item) for item in value]
    return value


class RedactingFilter(logging.Filter):
    """Masks each record's message (arguments interpolated first) and traceback before any handler writes it."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a bad format string: logging reports it; leave the record as it is
            return True
        masked = redact(message)
        if record.exc_info:
            # An exception's message can hold the URL: render the traceback here, masked, since
            # formatters (structlog's too) would render it from the exception itself.
            trace = logging.Formatter().formatException(record.exc_info)
            masked_trace = redact(trace)
            if masked_trace != trace:
                masked, record.exc_info, record.exc_text = f"{masked}\n{masked_trace}", None, None
        if masked != message:
            record.msg, record.args = masked, ()
        return True


def install_log_redaction(logger: logging.Logger | None = None) -> None:
    """Put a :class:`RedactingFilter` on every handler of ``logger`` (default: the root logger).

    On the handlers, not on the logger: a logger's filter does not see records that reach it
    from child loggers such as ``ar_risk.publish.postgres``. Idempotent.
    """
    logger = logger or logging.getLogger()
    for handler in logger.handlers:
        if not any(isinstance(f, RedactingFilter) for f in handler.filters):
            handler.addFilter(RedactingFilter())


def share_with_airflow_masker() -> None:
    """Hand the known secrets to Airflow's own masker too, for what Airflow renders itself.

    Airflow masks the passwords of the connections it loads; it does not know the password of
    ``AR_BI_POSTGRES_URL`` or ``AR_PG_PASSWORD``. Outside a task this is a no-op.
    """
    try:
        from airflow.sdk.log import mask_secret
    except ImportError:
        return
    for secret in known_secrets():
        mask_secret(secret)
