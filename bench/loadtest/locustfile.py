"""A launch day's traffic for Locust: consumers checking serials, filing claims with a phone's
photo, and opening their status links. Started by bench/loadtest/run.py, which sets up the stack
and passes everything through the environment (see that file's docstring).

Each visit is a new consumer: a new browser (no cookies) and a new address. The address reaches
the site as the production proxy would give it (X-Forwarded-For, TRUSTED_PROXY_COUNT=1), so the
rate limits count per consumer at their production values instead of all on 127.0.0.1.
"""

import itertools
import json
import os
import random
import re
import uuid
from pathlib import Path

from locust import FastHttpUser, constant_throughput, task

RECALL = "/en/anker-speakers-2024/"
CSRF_FIELD = re.compile(rb'name="csrfmiddlewaretoken" value="([^"]+)"')
STATUS_LINK = re.compile(rb"/(?:en|fr-ca)/status/[A-Za-z0-9_-]+/")

RUN = json.loads(Path(os.environ["LOADTEST_PLAN"]).read_text())
PHOTO = Path(RUN["photo"]).read_bytes()
# Status links of the claims filed before the run and of those filed during it.
STATUS_LINKS: list[str] = list(RUN["status_links"])
# Serials no claim has taken yet, for the claim form (one open claim per serial).
UNCLAIMED = iter(RUN["unclaimed_serials"])
_addresses = itertools.count(1)


def serial_any() -> str:
    """What consumers type into the check: mostly recalled serials, some not, some typos."""
    roll = random.random()
    if roll < 0.7:
        return random.choice(RUN["recalled_samples"])
    if roll < 0.9:
        return random.choice(RUN["not_recalled_samples"])
    return random.choice(RUN["malformed_samples"])


class Consumer(FastHttpUser):
    abstract = True

    def visit(self) -> None:
        """A new consumer: a browser of their own and an address of their own."""
        self.client.cookiejar.clear()
        n = next(_addresses)
        self.address = f"10.{(n >> 16) & 255}.{(n >> 8) & 255}.{n & 255}"

    def headers(self, **extra) -> dict:
        return {"X-Forwarded-For": self.address, **extra}

    def page(self, path: str, *, name: str, expect: bytes = b"") -> bytes:
        with self.client.get(
            path, name=name, headers=self.headers(), catch_response=True
        ) as response:
            if response.status_code == 200 and expect and expect not in response.content:
                response.failure(f"200 without {expect!r}")
            return response.content or b""

    def serial_check(self, page: bytes, serial: str) -> None:
        """Check a serial on the recall's page (the form is on it): every answer is a verdict."""
        token = CSRF_FIELD.search(page)
        with self.client.post(
            RECALL + "check/",
            name="serial check (POST)",
            data=f"csrfmiddlewaretoken={token[1].decode() if token else ''}&serial={serial}",
            headers=self.headers(**{"Content-Type": "application/x-www-form-urlencoded"}),
            catch_response=True,
        ) as response:
            if response.status_code == 200 and b'id="verdict"' not in response.content:
                response.failure("no verdict on the check's page")


class CheckingConsumer(Consumer):
    """Opens the recall's page and checks the serial under their speaker."""

    fixed_count = RUN["users"]["CheckingConsumer"]
    wait_time = constant_throughput(RUN["per_user_rate"]["check"])

    @task
    def check(self):
        self.visit()
        page = self.page(RECALL, name="recall page", expect=b"csrfmiddlewaretoken")
        self.serial_check(page, serial_any())


class ClaimingConsumer(Consumer):
    """Checks a recalled serial, then files a claim with a 12-megapixel photo from the phone."""

    fixed_count = RUN["users"]["ClaimingConsumer"]
    wait_time = constant_throughput(RUN["per_user_rate"]["claim"])

    @task
    def claim(self):
        self.visit()
        try:
            serial = next(UNCLAIMED)
        except StopIteration:
            return
        page = self.page(RECALL, name="recall page", expect=b"csrfmiddlewaretoken")
        self.serial_check(page, serial)
        form = self.page(RECALL + "claim/", name="claim form", expect=serial.encode())
        token = CSRF_FIELD.search(form)
        body, content_type = multipart(
            fields={
                "csrfmiddlewaretoken": token[1].decode() if token else "",
                "serial": serial,
                "product": str(RUN["products"][serial[:5]]),
                "name": "Jordan Smith",
                "email": f"consumer-{uuid.uuid4().hex[:12]}@example.com",
                "phone": "(206) 555-0143",
                "address_line1": "1200 Pine St",
                "city": "Seattle",
                "country": "US",
                "region": "WA",
                "postal_code": "98101",
                "language": "en",
                "order_number": "112-1234567-1234567",
                "consent": "on",
            },
            photo=PHOTO,
        )
        with self.client.post(
            RECALL + "claim/",
            name="claim submit (POST, 12 MP photo)",
            data=body,
            headers=self.headers(**{"Content-Type": content_type}),
            allow_redirects=False,
            catch_response=True,
        ) as response:
            if response.status_code != 302:
                response.failure(f"claim not filed: HTTP {response.status_code}")
                return
        received = self.page(RECALL + "claim/received/", name="claim received", expect=b"status/")
        if link := STATUS_LINK.search(received):
            STATUS_LINKS.append(link[0].decode())


class StatusViewer(Consumer):
    """Opens their claim's private status link, from an email."""

    fixed_count = RUN["users"]["StatusViewer"]
    wait_time = constant_throughput(RUN["per_user_rate"]["status"])

    @task
    def status(self):
        self.visit()
        self.page(random.choice(STATUS_LINKS), name="status page", expect=b"claim")


def multipart(*, fields: dict[str, str], photo: bytes) -> tuple[bytes, str]:
    """A form as a phone's browser posts it: the fields, and the photo as `photo`."""
    boundary = uuid.uuid4().hex
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
        for name, value in fields.items()
    ]
    parts.append(
        f'--{boundary}\r\nContent-Disposition: form-data; name="photo"; filename="IMG_4032.jpg"'
        f"\r\nContent-Type: image/jpeg\r\n\r\n".encode()
        + photo
        + f"\r\n--{boundary}--\r\n".encode()
    )
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"
