"""Time the consumer's public pages against a one-query view, through the whole middleware stack.

Builds the demo recall in a scratch PostgreSQL database (bench/benchkit.py says which) with one
claim, and requests, as a consumer's browser would (cookies kept, CSRF checked): the recall page,
the serial check with a recalled serial and with one that is not, the claim form (GET, after a
recalled check, so it is filled in) in a browser that has filed no claim (announcement day's
crowd), and the claim's private status page in a browser that opened its link before (it sends the
signed cookie of the claims it opened, and no session).
Each is interleaved with a POST to the one-query yardstick (bench/bench_urls.py), which carries
the same CSRF cookie and token. DEBUG is off, as in production. Run from the repository root:

    .venv/bin/python bench/public_pages.py [--runs 300] [--profile 200]

Then the claim form's POST with a 12-megapixel phone photo (bench/photo_pipeline.py makes it),
interleaved with the same yardstick: a claim filed (a new recalled serial each time), and a form
sent back for a mistyped email (ADR 0009: the photo's header is checked, the photo not decoded).

`--profile N` also runs N requests of each page under cProfile and prints where the time went.
"""

import argparse
import cProfile
import io
import os
import pstats
import re

import benchkit

RECALLED = "A3102DMX10000123"
NOT_RECALLED = "A3102DMX10000501"
RECALLED_MARK = 'role="alert" id="verdict"'


def claim_create(recall) -> str:
    """File one claim through the service, as the form would; return its status link's token."""
    from PIL import Image

    from recallcases.claims.services import ConsumerDetails, claim_submit
    from recallcases.core.photo_pipeline import process_photo

    out = io.BytesIO()
    Image.new("RGB", (800, 600), "gray").save(out, "JPEG")
    submitted = claim_submit(
        recall=recall,
        product=recall.products.get(model="A3102"),
        serial_as_typed="A3102DMX10000001",
        details=ConsumerDetails(
            name="Bench Consumer",
            email="bench@example.com",
            phone="613-555-0100",
            address_line1="1 Sussex Drive",
            address_line2="",
            city="Ottawa",
            region="ON",
            postal_code="K1A 0B1",
            country="CA",
            language="en",
        ),
        photo=process_photo(out.getvalue()),
    )
    return submitted.access_token


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=300, help="timed requests of each page")
    parser.add_argument("--profile", type=int, default=0, help="profiled requests of each page")
    parser.add_argument("--sql", action="store_true", help="print each page's queries")
    parser.add_argument("--claims", type=int, default=30, help="claim form POSTs of each kind")
    args = parser.parse_args()

    # The benchmark files claims as fast as it can, from one address.
    os.environ["CLAIM_SUBMIT_RATE"] = benchkit.UNLIMITED
    # Its claims' emails are sent in-process (to local memory), never published to a broker that
    # another site's workers might read.
    os.environ["CELERY_BROKER_URL"] = "memory://"
    url = benchkit.bench_database_url()
    benchkit.scratch_database_create(url)
    benchkit.django_setup(url)
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from recallcases.recalls.demo import demo_recall_load

    recall = demo_recall_load()
    token = claim_create(recall)
    print(f"Machine  {benchkit.machine()}")

    consumer = Client(enforce_csrf_checks=True)
    claimant = Client(enforce_csrf_checks=True)
    yardstick_client = Client(enforce_csrf_checks=True)
    for client in (consumer, yardstick_client):
        client.get(f"/en/{recall.slug}/")
    csrf = consumer.cookies["csrftoken"].value
    yardstick_csrf = yardstick_client.cookies["csrftoken"].value
    # The claimant's browser opened the claim's link once already, as one coming back would have.
    claimant.get(f"/en/status/{token}/")

    def check(serial: str, recalled: bool):
        def post(_i: int) -> str:
            response = consumer.post(
                f"/en/{recall.slug}/check/", {"serial": serial, "csrfmiddlewaretoken": csrf}
            )
            assert response.status_code == 200, response.status_code
            page = response.content.decode()
            assert (RECALLED_MARK in page) is recalled, serial
            return page

        return post

    def get(path: str, mark: str, browser=consumer):
        def request(_i: int) -> str:
            response = browser.get(path)
            assert response.status_code == 200, (path, response.status_code)
            page = response.content.decode()
            assert mark in page, (path, mark)
            return page

        return request

    pages = {
        "recall page (GET)": get(f"/en/{recall.slug}/", 'id="hazard-heading"'),
        "serial check, recalled (POST)": check(RECALLED, True),
        "serial check, not recalled (POST)": check(NOT_RECALLED, False),
        # After the recalled check above: the form comes filled in with that serial.
        "claim form (GET)": get(f"/en/{recall.slug}/claim/", f'value="{RECALLED}"'),
        "status page (GET)": get(f"/en/status/{token}/", "A3102DMX10000001", claimant),
    }

    def yardstick(_i: int) -> None:
        response = yardstick_client.post(
            "/bench/serial-exists/",
            {"serial": RECALLED, "recall": recall.pk, "csrfmiddlewaretoken": yardstick_csrf},
        )
        assert response.content == b"yes", response.content

    check(RECALLED, True)(0)  # the claim form's serial, before it is first asked for
    rows = []
    for label, page in pages.items():
        page_ms, yardstick_ms = benchkit.time_alternately(
            page, yardstick, runs=args.runs, warmup=20
        )
        with CaptureQueriesContext(connection) as page_queries:
            page(0)
        with CaptureQueriesContext(connection) as yardstick_queries:
            yardstick(0)
        rows.append((label, page_ms, yardstick_ms, len(page_queries), len(yardstick_queries)))
        if args.sql:
            print(f"\n{label}:", *(q["sql"][:160] for q in page_queries), sep="\n  ")

    print()
    print(
        f"Public pages, demo recall, one browser (cookies kept, CSRF checked), DEBUG off; "
        f"{args.runs} requests of each page interleaved with as many of the one-query view"
    )
    print(
        f"{'page':36}{'median ms':>10}{'p95 ms':>8}{'queries':>8}"
        f"{'yardstick ms':>13}{'y. queries':>11}{'ratio':>7}"
    )
    for label, page_ms, yardstick_ms, page_queries, yardstick_queries in rows:
        ratio = benchkit.median(yardstick_ms) / benchkit.median(page_ms)
        print(
            f"{label:36}{benchkit.median(page_ms):10.2f}{benchkit.p95(page_ms):8.2f}"
            f"{page_queries:8}{benchkit.median(yardstick_ms):13.2f}{yardstick_queries:11}"
            f"{ratio:7.0%}"
        )
    print("ratio: the yardstick's median over the page's (100% = as fast as the one-query view)")

    # Profiled before the claims: filing a claim gives the browser a session, which a browser
    # of the crowd does not have.
    if args.profile:
        for label, page in pages.items():
            profiler = cProfile.Profile()
            profiler.enable()
            for i in range(args.profile):
                page(i)
            profiler.disable()
            out = io.StringIO()
            pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(45)
            print(f"\n=== {label}: {args.profile} requests under cProfile ===")
            print(out.getvalue())

    if args.claims:
        claim_posts(recall, consumer, csrf, yardstick, runs=args.claims)


def claim_posts(recall, consumer, csrf: str, yardstick, *, runs: int) -> None:
    """Time the claim form's POST with a phone's photo: filed, and sent back for a typo."""
    from django.core.files.uploadedfile import SimpleUploadedFile
    from photo_pipeline import PHOTO_SIZE, phone_photo

    from recallcases.claims.models import Claim

    photo = phone_photo(PHOTO_SIZE, seed=2024)
    product = recall.products.get(model="A3302")
    serials = iter(f"A3302DMX2{n:07d}" for n in range(1, 501))

    def post(*, email: str, expect: int):
        def request(_i: int) -> None:
            response = consumer.post(
                f"/en/{recall.slug}/claim/",
                {
                    "csrfmiddlewaretoken": csrf,
                    "serial": next(serials),
                    "product": product.pk,
                    "name": "Jordan Smith",
                    "email": email,
                    "phone": "(206) 555-0143",
                    "address_line1": "1200 Pine St",
                    "city": "Seattle",
                    "country": "US",
                    "region": "WA",
                    "postal_code": "98101",
                    "language": "en",
                    "consent": "on",
                    "photo": SimpleUploadedFile("photo.jpg", photo, "image/jpeg"),
                },
            )
            if response.status_code != expect:
                errors = re.findall(r"invalid-feedback[^>]*>(?:<strong>)?([^<]+)", response.text)
                raise AssertionError((response.status_code, errors))

        return request

    claims_before = Claim.objects.count()
    filed_ms, filed_yardstick_ms = benchkit.time_alternately(
        post(email="jordan@example.com", expect=302), yardstick, runs=runs, warmup=2
    )
    assert Claim.objects.count() == claims_before + runs + 2
    typo_ms, typo_yardstick_ms = benchkit.time_alternately(
        post(email="jordan@", expect=200), yardstick, runs=runs, warmup=2
    )
    print()
    print(
        f"Claim form POST with a {PHOTO_SIZE[0]}x{PHOTO_SIZE[1]} JPEG ({len(photo) / 1e6:.1f} MB),"
        f" {runs} of each, interleaved with the one-query view"
    )
    print(f"{'':36}{'median ms':>10}{'p95 ms':>8}{'yardstick ms':>13}")
    for label, page_ms, yardstick_ms in (
        ("claim filed (photo re-encoded)", filed_ms, filed_yardstick_ms),
        ("sent back for a typo (header only)", typo_ms, typo_yardstick_ms),
    ):
        print(
            f"{label:36}{benchkit.median(page_ms):10.1f}{benchkit.p95(page_ms):8.1f}"
            f"{benchkit.median(yardstick_ms):13.2f}"
        )


if __name__ == "__main__":
    main()
