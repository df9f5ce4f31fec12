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
