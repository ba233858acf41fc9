"""Logging that never records link tokens, and the application's own access log.

The link route ``/r/{token:path}`` takes everything after ``/r/``, so a token can reach a
log in many spellings: ``/R/<token>`` (answered 404, still the token), ``/r/%2F<token>``,
``/r%2F<token>`` (decoded to ``/r/<token>`` before routing), or a query string
(``/r/x?t=<token>``, ``/round?t=<token>``). :func:`redact` removes everything after any
spelling of ``/r/`` and every query-string value, in any message of any logger.
"""

from __future__ import annotations

import logging
import re

REDACTED = "[redacted]"
# "/r" then a slash, however encoded or repeated, then anything up to a space or quote.
_LINK_PATH = re.compile(r"/r(?:/|%2f|%5c|\\)+[^\s\"'<>]*", re.IGNORECASE)
_QUERY_VALUE = re.compile(r"([?&][^\s\"'<>=&?#]*=)[^\s\"'<>&#]*")
# Decoded request paths of the panelist's pages: the link route and the questionnaire.
_PANELIST_PATH = re.compile(r"^/(?:r(?:/|$)|round(?:/|$))", re.IGNORECASE)


def redact(text: str) -> str:
    """``text`` without link tokens and without query-string values."""
    return _QUERY_VALUE.sub(rf"\1{REDACTED}", _LINK_PATH.sub(f"/r/{REDACTED}", text))


def is_link_path(path: str) -> bool:
    """Whether the decoded request ``path`` is one the link route (or a guess at it) takes."""
    return bool(re.match(r"^/r/", path, re.IGNORECASE))


def is_panelist_path(path: str) -> bool:
    """Whether the decoded request ``path`` belongs to the panelist's pages."""
    return bool(_PANELIST_PATH.match(path))


class RedactTokens(logging.Filter):
    """Redact every record's message and string arguments (see :func:`redact`)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.args and isinstance(record.args, tuple):
            record.args = tuple(redact(a) if isinstance(a, str) else a for a in record.args)
        if isinstance(record.msg, str):
            record.msg = redact(record.msg)
        return True


def install(level: str = "INFO") -> None:
    """Attach the redacting filter to the loggers and handlers that see request paths.

    A logger's filter applies only to records logged on that very logger, not to those
    its children pass up; a handler's applies to all it writes. Both are set.
    """
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # SQL parameters hold panelists' addresses: never log them, whatever the level.
    logging.getLogger("sqlalchemy").setLevel(logging.WARNING)
    redact_filter = RedactTokens()
    for name in ("uvicorn.access", "uvicorn.error", "uvicorn", "app", "app.access", ""):
        logger = logging.getLogger(name)
        if not any(isinstance(f, RedactTokens) for f in logger.filters):
            logger.addFilter(redact_filter)
    for handler in logging.getLogger().handlers + logging.getLogger("uvicorn.access").handlers:
        if not any(isinstance(f, RedactTokens) for f in handler.filters):
            handler.addFilter(redact_filter)
