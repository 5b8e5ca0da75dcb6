"""Structured logs: with ``LOG_FORMAT=json`` every log line is one JSON object, for a log
collector (journald, Loki, a cloud's logging) to parse without patterns.

Each object has ``time`` (UTC, ISO 8601), ``level``, ``logger``, ``message`` and ``pid``, then
the record's extra fields (Django's ``status_code``, the request's ``method`` and ``path``,
gunicorn's access fields), and ``exc`` with the traceback of a logged exception.
"""

from __future__ import annotations

import datetime as dt
import logging
import logging.config
import re
import sys
import threading
from types import TracebackType
from typing import Any

import orjson
from django.http import HttpRequest

# What every record carries; anything else on a record was passed as ``extra``.
_STANDARD = {*vars(logging.LogRecord("", 0, "", 0, "", None, None)), "message", "asctime"}

# Links whose last segment is a secret that acts on its own: a password reset (after the
# account's id), a verification or an address change, a digest's confirmation or unsubscribe.
_SECRET_LINK = re.compile(
    r"(/accounts/password/reset/[^/?#\s\"]+/|/accounts/verify/|/digest/(?:confirm|unsubscribe)/)"
    r"(?!(?:set-password|resend)(?:[/?#\s\"]|$))[^/?#\s\"]+"
)
REDACTED = "[redacted]"


def redact(text: str) -> str:
    """``text`` (a path, a URL, a request line) with the secret of each such link replaced."""
    return _SECRET_LINK.sub(rf"\1{REDACTED}", text)


class RedactSecrets(logging.Filter):
    """Takes the secrets of links (``redact``) out of a record's arguments, where Django's
    request logs put the path: whoever reads a log must not be able to reset a password."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(redact(a) if isinstance(a, str) else a for a in record.args)
        return True


class JsonFormatter(logging.Formatter):
    """A record as one line of JSON (newlines in messages and tracebacks escaped)."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(
                timespec="milliseconds"
            ),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "pid": record.process,
        }
        for key, value in vars(record).items():
            if key in _STANDARD or key in entry:
                continue
            if isinstance(value, HttpRequest):  # Django's request log passes the request
                entry.update(method=value.method, path=redact(value.path))
            else:
                entry[key] = value
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        elif record.exc_text:
            entry["exc"] = record.exc_text
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        try:
            return orjson.dumps(entry, default=str, option=orjson.OPT_NON_STR_KEYS).decode()
        except orjson.JSONEncodeError:  # an extra orjson refuses (an int past 64 bits, a cycle)
            return orjson.dumps(
                {k: v if isinstance(v, str) else repr(v) for k, v in entry.items()}
            ).decode()


def configure_json(config: dict[str, Any]) -> None:
    """Django's LOGGING_CONFIG under LOG_FORMAT=json: the LOGGING dict, and uncaught
    exceptions (in any thread) logged too, rather than printed as a traceback of many lines."""
    logging.config.dictConfig(config)
    sys.excepthook = _log_uncaught
    threading.excepthook = _log_uncaught_in_thread


def _log_uncaught(kind: type[BaseException], exc: BaseException, tb: TracebackType | None) -> None:
    logging.getLogger("dailypapers").critical("uncaught exception", exc_info=(kind, exc, tb))


def _log_uncaught_in_thread(args: threading.ExceptHookArgs) -> None:
    # The default hook ignores SystemExit too.
    if args.exc_value is not None and not isinstance(args.exc_value, SystemExit):
        _log_uncaught(args.exc_type, args.exc_value, args.exc_traceback)
