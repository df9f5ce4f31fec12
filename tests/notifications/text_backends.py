"""A text provider for the worker tests: django-sms's file backend that refuses while told to.

The worker is another process, so the test steers it through the file system: while the file
named by TEXTS_REFUSE_FILE exists, every send fails as a provider's refusal would (an exception
the outbox retries); once the test removes it, texts are written to SMS_FILE_PATH, one line block
each, as the file backend writes them.
"""

import os
from pathlib import Path

from sms.backends.filebased import SmsBackend as FileBackend


class ProviderRefused(Exception):
    """What a provider's client raises on a 503 or a refused request."""


class RefusingThenAcceptingBackend(FileBackend):
    def send_messages(self, messages) -> int:
        if Path(os.environ["TEXTS_REFUSE_FILE"]).exists():
            raise ProviderRefused("503 Service Unavailable")
        return super().send_messages(messages)
