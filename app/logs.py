"""Logging that never records link tokens."""

from __future__ import annotations

import logging
import re

_TOKEN_PATH = re.compile(r"/r/[A-Za-z0-9_\-]+")


class RedactTokens(logging.Filter):
    """Replace the token in ``/r/<token>`` paths (uvicorn's access log) with a marker."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.args and isinstance(record.args, tuple):
            record.args = tuple(
                _TOKEN_PATH.sub("/r/[redacted]", a) if isinstance(a, str) else a
                for a in record.args
            )
        if isinstance(record.msg, str):
            record.msg = _TOKEN_PATH.sub("/r/[redacted]", record.msg)
        return True


def install(level: str = "INFO") -> None:
    """Attach the redacting filter to the loggers that see request paths."""
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # SQL parameters hold panelists' addresses: never log them, whatever the level.
    logging.getLogger("sqlalchemy").setLevel(logging.WARNING)
    redact = RedactTokens()
    for name in ("uvicorn.access", "uvicorn.error", "uvicorn", "app", ""):
        logger = logging.getLogger(name)
        if not any(isinstance(f, RedactTokens) for f in logger.filters):
            logger.addFilter(redact)
    for handler in logging.getLogger().handlers + logging.getLogger("uvicorn.access").handlers:
        if not any(isinstance(f, RedactTokens) for f in handler.filters):
            handler.addFilter(redact)
