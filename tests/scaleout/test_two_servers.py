"""Two web servers and two workers share one state: rate limits count across servers, a photo
uploaded through one server is served by the other (from the object store, never a public URL),
and each email of the outbox is sent once, whichever worker takes it.

The processes are real (see conftest.py): gunicorn and Celery as production starts them, the
test's PostgreSQL database, Redis (REDIS_TEST_DB), moto's S3 server and an aiosmtpd server.
"""

import re
import time

import pytest
import requests
from django.contrib.auth.hashers import PBKDF2PasswordHasher
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from recallcases.claims.models import Claim, ClaimPhoto
from recallcases.notifications.models import EmailState, OutboundEmail
from recallcases.notifications.tasks import outbox_sweep
from recallcases.workspace.models import StaffPolicy
from recallcases.workspace.roles import REVIEWER
from tests.conftest import member_of
from tests.images import jpeg_bytes
from tests.notifications.conftest import poll, wait_for
from tests.scaleout.conftest import BUCKET

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.redis,
    # The servers and workers are other processes: they see only what the test has committed.
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("postgres"),
]

RECALL = "/en/anker-speakers-2024/"
STAFF_PASSWORD = "a-long-scaleout-password"
CSRF_FIELD = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
# The worker's log line of a finished sweep, with the number of emails it handed on.
SWEEP_DONE = re.compile(r"tasks\.outbox_sweep\[[\w-]+\] succeeded in [\d.e-]+s: (\d+)")


def form_token(browser: requests.Session, url: str) -> str:
    page = browser.get(url, timeout=10)
    assert page.status_code == 200, f"GET {url}: {page.status_code}"
    return CSRF_FIELD.search(page.text)[1]


def serial_check(browser: requests.Session, server, serial: str) -> requests.Response:
    """The consumer opens the recall's page on `server` and checks a serial there."""
    token = form_token(browser, server.url + RECALL)
    return browser.post(
        server.url + RECALL + "check/",
        data={"serial": serial, "csrfmiddlewaretoken": token},
        timeout=10,
    )


def claim_file(browser: requests.Session, server, *, product, n: int) -> None:
    """A consumer files a claim through `server`'s claim form, with a photo of their own."""
    url = server.url + RECALL + "claim/"
    token = form_token(browser, url)
    response = browser.post(
        url,
        data={
            "csrfmiddlewaretoken": token,
            "serial": f"A3102DMX{10000200 + n:08d}",
            "product": product.pk,
            "name": f"Jordan Smith {n}",
            "email": f"jordan{n}@example.com",
            "phone": "(206) 555-0143",
            "address_line1": "1200 Pine St",
            "city": "Seattle",
            "country": "US",
            "region": "WA",
            "postal_code": "98101",
            "language": "en",
            "consent": "on",
        },
        files={"photo": ("label.jpg", jpeg_bytes(color=(10 * n, 90, 200)), "image/jpeg")},
        allow_redirects=False,
        timeout=30,
    )
    assert response.status_code == 302, f"claim {n} through {server.name}: {response.status_code}"
    assert response.headers["Location"].endswith(RECALL + "claim/received/")


def staff_sign_in(browser: requests.Session, server, user) -> None:
    """A reviewer signs in on `server` with a password and an authenticator code."""
    # The servers hash passwords as production does (the test settings' MD5 is not among them).
    hasher = PBKDF2PasswordHasher()
    user.password = hasher.encode(STAFF_PASSWORD, hasher.salt())
    user.save(update_fields=["password"])
    device = TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
    token = form_token(browser, server.url + "/workspace/login/")
    response = browser.post(
        server.url + "/workspace/login/",
        data={
            "username": user.username,
            "password": STAFF_PASSWORD,
            "csrfmiddlewaretoken": token,
        },
        timeout=10,
    )
    assert response.url.startswith(server.url + "/workspace/two-factor/"), response.url
    token = CSRF_FIELD.search(response.text)[1]
    code = totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits)
    response = browser.post(
        server.url + "/workspace/two-factor/",
        data={"code": f"{code:06d}", "next": "/workspace/", "csrfmiddlewaretoken": token},
        allow_redirects=False,
        timeout=10,
    )
    assert response.status_code == 302, "the code is accepted"
    assert response.headers["Location"] == "/workspace/", response.headers["Location"]


def test_serial_check_limit_counts_the_checks_made_on_both_servers(recall, web_servers):
    # given two servers and one consumer's address, allowed 4 checks (SERIAL_CHECK_RATE)
    a, b = web_servers
    consumer = requests.Session()

    # when they check two serials on A and two on B
    answers = [
        serial_check(consumer, server, f"A3102DMX{10000001 + n:08d}")
        for n, server in enumerate((a, b, a, b))
    ]

    # then each server answered, and the fifth check is refused by both: they count together
    assert [answer.status_code for answer in answers] == [200] * 4
    assert all("A3102DMX1000000" in answer.text for answer in answers)
    assert serial_check(consumer, a, "A3102DMX10000005").status_code == 429
    # another browser on the same address is the same client
    assert serial_check(requests.Session(), b, "A3102DMX10000006").status_code == 429


def test_photo_uploaded_through_one_server_is_shown_to_staff_by_the_other(
    recall, speaker, web_servers, object_store
):
    # given a claim filed through A, with its photo
    a, b = web_servers
    claim_file(requests.Session(), a, product=speaker, n=1)
    claim = Claim.objects.get(serial="A3102DMX10000201")
    photo = ClaimPhoto.objects.get(claim=claim)

    # then the photo and its thumbnail are in the shared store, private, and on neither disk
    keys = object_store.keys()
    assert keys == sorted([f"private/{photo.image.name}", f"private/{photo.thumbnail.name}"])
    for key in keys:
        grants = object_store.client.get_object_acl(Bucket=BUCKET, Key=key)["Grants"]
        assert all("URI" not in grant["Grantee"] for grant in grants), "no public grant"
    assert not any(a.media.iterdir())
    assert not any(b.media.iterdir())

    # when a reviewer signs in on A and opens the claim and its photo on B
    StaffPolicy.objects.update_or_create(
        pk=StaffPolicy.SINGLETON_PK, defaults={"require_two_factor": True}
    )
    staff = requests.Session()
    staff_sign_in(staff, a, member_of(REVIEWER))
    page = staff.get(f"{b.url}/workspace/claims/{claim.reference}/", timeout=10)
    image = staff.get(f"{b.url}/photos/{photo.pk}/image/", timeout=10)

    # then B serves the photo A received, through its own view, never the store's address
    assert page.status_code == 200, page.url
    assert not page.history, [r.headers["Location"] for r in page.history]
    assert f"/photos/{photo.pk}/" in page.text
    assert object_store.endpoint not in page.text
    assert BUCKET not in page.text
    assert image.status_code == 200
    assert image.headers["Content-Type"] == "image/jpeg"
    assert image.content == object_store.read(f"private/{photo.image.name}")
    # and to no one else
    assert requests.get(f"{b.url}/photos/{photo.pk}/image/", timeout=10).status_code == 404


def test_each_email_is_sent_once_by_two_workers(
    recall, speaker, web_servers, workers, smtp_server, publisher
):
    # given two servers and two workers
    a, b = web_servers
    mailbox = smtp_server.mailbox

    # when six consumers file claims, three through each server
    for n in range(1, 7):
        claim_file(requests.Session(), (a, b)[n % 2], product=speaker, n=n)
    # and the sweep, which beat runs every 30 s, is published while the emails are being sent,
    # so that both workers may pick up the same email
    for _ in range(3):
        outbox_sweep.delay()

    # then each consumer gets their email once
    def states() -> list[tuple]:
        # A new query each time: a QuerySet evaluated once keeps the rows it read then.
        return list(OutboundEmail.objects.order_by("pk").values_list("kind", "state", "attempts"))

    def all_sent():
        now = states()
        return len(now) == 6 and all(state == EmailState.SENT for _kind, state, _n in now)

    # and beat's sweep runs meanwhile, every 2 s instead of 30 (a row whose publish after commit
    # was lost waits for it)
    deadline = time.monotonic() + 60
    while not poll(all_sent, timeout=2.0):
        assert time.monotonic() < deadline, f"the six emails not sent in 60 s: {states()}"
        outbox_sweep.delay()
    wait_for(lambda: len(mailbox.received()) >= 6, "the six emails to arrive")
    # once the sweeps published above and two more have run, nothing more is sent
    sweeps_before = sum(len(SWEEP_DONE.findall(w.text())) for w in workers)
    outbox_sweep.delay()
    outbox_sweep.delay()
    wait_for(
        lambda: sum(len(SWEEP_DONE.findall(w.text())) for w in workers) >= sweeps_before + 2,
        "the last two sweeps to run",
    )
    received = mailbox.received()
    rows = list(OutboundEmail.objects.order_by("pk"))
    assert len(received) == 6
    assert sorted(message.to for message in received) == [
        f"jordan{n}@example.com" for n in range(1, 7)
    ]
    assert {message.message_id for message in received} == {row.message_id for row in rows}
    assert [row.attempts for row in rows] == [1] * 6
