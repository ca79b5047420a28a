"""Structured logs: a request id on every record of a request, and one JSON object per line.

The request id lives in a context variable: the middleware (``wuye.core.middleware.RequestIdMiddleware``)
sets it from a sane incoming ``X-Request-ID`` or a new one, and a job queued by the request carries it
into its worker by calling ``request_id_set`` with the value ``request_id_get`` gave when it was
queued. ``RequestIdFilter`` copies it onto every log record (``-`` outside a request or job), and
``JsonFormatter`` writes each record as one line of JSON (``WUYE_LOG_FORMAT=json``).
"""

from __future__ import annotations

import contextvars
import datetime
import json
import logging
import re
import uuid

_request_id: contextvars.ContextVar[str] = contextvars.ContextVar("wuye_request_id", default="")

# What an incoming X-Request-ID may be to be kept (a proxy's or a load balancer's id): short, and only
# characters that cannot forge a log line or a header. Anything else is replaced by an id of ours.
SANE_REQUEST_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:@/+=-]{0,127}")


def request_id_get() -> str:
    """The current request's (or job's) id; "" outside any."""
    return _request_id.get()


def request_id_set(value: str) -> contextvars.Token:
    """Make ``value`` the current request id; ``request_id_reset(token)`` puts the previous one back."""
    return _request_id.set(value)


def request_id_reset(token: contextvars.Token) -> None:
    _request_id.reset(token)


def request_id_new() -> str:
    return uuid.uuid4().hex


def request_id_from_header(raw: str | None) -> str:
    """The incoming header's id when it is sane, else a new one."""
    if raw and SANE_REQUEST_ID.fullmatch(raw):
        return raw
    return request_id_new()


class RequestIdFilter(logging.Filter):
    """Adds ``request_id`` to every record (``-`` outside a request or job). Put it on the handlers,
    so records of every logger get it, those of libraries too."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id_get() or "-"
        return True


# Attributes every LogRecord has: what is left on a record besides them came from ``extra=``.
_STANDARD = frozenset(logging.LogRecord("", 0, "", 0, "", None, None).__dict__) | {"message", "asctime"}


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time (UTC, ISO 8601), level, logger, message, request_id, the
    exception's traceback when there is one, and any ``extra=`` values."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.datetime.fromtimestamp(record.created, tz=datetime.UTC).isoformat(
                timespec="milliseconds"
            ),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", None) or request_id_get() or "-",
        }
        for key, value in record.__dict__.items():
            if key not in _STANDARD and key not in entry:
                entry[key] = value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        return json.dumps(entry, ensure_ascii=False, default=str)
