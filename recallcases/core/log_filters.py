"""Keep the secret of private status links out of every log line."""

import logging
import re

# A status link is /<language>/status/<token>/...; the token is the part to hide.
_STATUS_TOKEN = re.compile(r"(/status/)[A-Za-z0-9_\-]{16,}")


class RedactStatusTokens(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        redacted = _STATUS_TOKEN.sub(r"\1[redacted]", message)
        if redacted != message:
            record.msg, record.args = redacted, None
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
