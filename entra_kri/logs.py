"""Logging on stderr: readable lines for people, one JSON object per line for log shippers."""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime

from entra_kri.tenant_text import visible

LOGGER = "entra_kri"


class JsonFormatter(logging.Formatter):
    """`{"time", "level", "logger", "message"}` per record, UTC, one line each."""

    def format(self, record: logging.LogRecord) -> str:
        line = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info:
            line["traceback"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False)


class TextFormatter(logging.Formatter):
    """`entra-kri: LEVEL: message`; a message may quote tenant strings, so its controls
    are made visible (a traceback after it keeps its lines)."""

    def __init__(self) -> None:
        super().__init__("entra-kri: %(levelname)s: %(message)s")

    def formatMessage(self, record: logging.LogRecord) -> str:
        return visible(super().formatMessage(record))


def configure_logging(fmt: str = "text", quiet: bool = False, verbose: bool = False) -> None:
    """Log lines on stderr: WARNING and up with `quiet`, DEBUG and up with `verbose`."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter() if fmt == "json" else TextFormatter())
    logger = logging.getLogger(LOGGER)
    logger.handlers[:] = [handler]
    logger.setLevel(logging.WARNING if quiet else logging.DEBUG if verbose else logging.INFO)
    logger.propagate = False
    # The libraries' own log lines (gcsfs logs a traceback when it gives up on a request)
    # would reach stderr through Python's last-resort handler: they may quote endpoints and
    # signed URLs, and the failure is reported as one paragraph anyway.
    root = logging.getLogger()
    if not root.handlers:
        root.addHandler(logging.NullHandler())


def show_progress() -> bool:
    """Progress bars only for a person at a terminal with text logs at INFO; the
    per-collection INFO lines they replace are then held back."""
    logger = logging.getLogger(LOGGER)
    handler = logger.handlers[0] if logger.handlers else None
    wanted = (sys.stderr.isatty() and logger.level <= logging.INFO and handler is not None
              and not isinstance(handler.formatter, JsonFormatter))
    if wanted:
        logging.getLogger("entra_kri.capture").setLevel(logging.WARNING)
    return wanted
