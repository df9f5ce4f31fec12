"""Log filters: keep the secret of private status links out of every log line, and log a cache
outage once instead of once per call."""

import logging
import re
import threading
from time import monotonic
from urllib.parse import quote, unquote

# A status link is /<language>/status/<token>/...; the token is the part to hide.
_STATUS_TOKEN = re.compile(r"(/status/)[A-Za-z0-9_\-]{16,}")
# A stretch of a log line that may be (part of) an address: no spaces or quotes.
_ADDRESS_LIKE = re.compile(r"[^\s\"'<>]+")
# What stays as it is when a redacted address is written back (the rest is percent-encoded, so
# that decoding can never put a line break or a control character in a log line).
_KEPT_AS_IS = "/[]-_.~:?=&;,+@!$*()"


def _percent_decoded(text: str) -> str:
    # Django decodes an address once; decode until nothing changes, so that no spelling of the
    # token (%41 for A, %252F for a slash encoded twice ...) escapes the pattern.
    for _ in range(5):
        decoded = unquote(text)
        if decoded == text:
            break
        text = decoded
    return text


def _redact_address(match: re.Match) -> str:
    written = match.group(0)
    decoded = _percent_decoded(written)
    if not _STATUS_TOKEN.search(decoded):
        return written
    return quote(_STATUS_TOKEN.sub(r"\1[redacted]", decoded), safe=_KEPT_AS_IS)


def redact_status_tokens(message: str) -> str:
    """The message with the token of every status link replaced by [redacted]."""
    if "/status/" not in message and "%" not in message:
        return message
    return _ADDRESS_LIKE.sub(_redact_address, message)


class RedactStatusTokens(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        redacted = redact_status_tokens(message)
        if redacted != message:
            record.msg, record.args = redacted, None
        return True


class OneLinePerOutage(logging.Filter):
    """Let the first error of an outage through as one line; drop the rest until a quiet spell.

    For django-redis's logger (DJANGO_REDIS_LOGGER), which otherwise logs a traceback for every
    cache call that fails while Redis is away: errors less than QUIET_SECONDS apart belong to
    the same outage.
    """

    QUIET_SECONDS = 60

    def __init__(self, name: str = ""):
        super().__init__(name)
        self._last_error = None
        self._lock = threading.Lock()

    def filter(self, record: logging.LogRecord) -> bool:
        now = monotonic()
        with self._lock:
            new_outage = self._last_error is None or now - self._last_error > self.QUIET_SECONDS
            self._last_error = now
        if not new_outage:
            return False
        if record.exc_info and record.exc_info[1] is not None:
            error = record.exc_info[1]
            cause = error.__cause__ or error
            record.msg = (
                "Redis is unreachable: the cache fails open (rate limits count nothing) until it "
                "answers again; one line per outage. %s: %s"
            )
            record.args = (type(cause).__name__, " ".join(str(cause).split()))
            record.exc_info = record.exc_text = None
        return True


def redacting_logging_config(*, level: str, loggers: list[str], stream: str = "ext://sys.stderr"):
    """A dictConfig that sends the root logger and `loggers` to one console handler, redacted.

    Django's settings and gunicorn's configuration both use it, so no log line of either process
    can carry a status token.
    """
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"redact_tokens": {"()": RedactStatusTokens}},
        "handlers": {
            "console": {
                "class": "logging.StreamHandler",
                "filters": ["redact_tokens"],
                "stream": stream,
            }
        },
        "root": {"handlers": ["console"], "level": level},
        "loggers": {
            name: {"handlers": ["console"], "level": "INFO", "propagate": False} for name in loggers
        },
    }
