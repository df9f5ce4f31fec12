"""Time the staff queue (/workspace/) with 69,000 claims spread over every status, against a
one-query Django view listing the same first 50 claims.

Builds the demo recall in a scratch PostgreSQL database (bench/benchkit.py says which), adds the
claims in bulk (each with its first event and a photo; a few share an email, an address or a
photo, as reviewers' signals expect), signs in a Recall manager, and requests each page and the
yardstick alternately. Run from the repository root:

    .venv/bin/python bench/staff_queue.py [--claims 69000] [--runs 100]
"""

import argparse
import hashlib
import random
import time
from datetime import timedelta

import benchkit

# Of every 100 claims of a recall well under way: where they are now.
STATUS_SHARES = {
    "submitted": 10,
    "information_requested": 3,
    "resubmitted": 2,
    "verified": 5,
    "replacement_approved": 8,
    "replacement_shipped": 25,
    "disposal_submitted": 7,
    "disposal_confirmed": 10,
    "closed": 22,
    "rejected": 5,
    "withdrawn": 3,
}
CHUNK = 5000


def code(n: int, length: int) -> str:
    """`n` in the references' alphabet, `length` characters: unique for each n."""
    from recallcases.claims.tokens import REFERENCE_ALPHABET

    base, chars = len(REFERENCE_ALPHABET), []
    for _ in range(length):
        n, digit = divmod(n, base)
        chars.append(REFERENCE_ALPHABET[digit])
    return "".join(reversed(chars))


def photo_hash(n: int) -> str:
    # One photo in 300 is the photo of the claim before: sent again with another claim.
    return hashlib.sha256(f"photo {n - 1 if n % 300 == 1 else n}".encode()).hexdigest()


def claims_create(recall, *, count: int, seed: int) -> list[str]:
    """Add `count` claims over 140 days, each with its first event and a photo; return serials."""
    from django.db import connection
    from django.utils import timezone

    from recallcases.claims.models import Claim, ClaimEvent, ClaimPhoto

    rng = random.Random(seed)
    products = list(recall.products.all())
    statuses = [s for s, share in STATUS_SHARES.items() for _ in range(share)]
    now = timezone.now()
    serials = []
    for start in range(0, count, CHUNK):
        claims = []
        for n in range(start, min(start + CHUNK, count)):
            product = products[n % len(products)]
            serial = f"{product.model}BNX{n:08d}"
            serials.append(serial)
            # One claim in 200 shares an email or an address with another.
            email_n = n - 1 if n % 200 == 1 else n
            address_n = n - 1 if n % 200 == 2 else n
            claims.append(
                Claim(
                    recall=recall,
                    product=product,
                    registry_product=product,
                    reference=f"{code(n, 8)[:4]}-{code(n, 8)[4:]}",
                    access_token_hash=hashlib.sha256(f"token {n}".encode()).hexdigest(),
                    disposal_code=code(n, 8),
                    status=rng.choice(statuses),
                    serial=serial,
                    serial_as_typed=serial,
                    name=f"Consumer {n}",
                    email=f"consumer{email_n}@example.com",
                    phone="613-555-0100",
                    address_line1=f"{address_n} Sussex Drive",
                    city="Ottawa",
                    region="ON",
                    postal_code="K1A 0B1",
                    country="CA" if n % 7 == 0 else "US",
                    address_key=f"ca{address_n}sussexdrive",
                    language="en",
                    consented_at=now,
                    privacy_notice_version="2024-12",
                )
            )
        claims = Claim.objects.bulk_create(claims)
        ClaimEvent.objects.bulk_create(
            ClaimEvent(claim=claim, actor_kind="consumer", to_status="submitted")
            for claim in claims
        )
        ClaimPhoto.objects.bulk_create(
            ClaimPhoto(
                claim=claim,
                kind="serial_label",
                image=f"claims/serial_label/{claim.pk:032x}.jpg",
                thumbnail=f"claims/serial_label/{claim.pk:032x}-t.jpg",
                width=2560,
                height=1920,
                source_format="JPEG",
                source_sha256=photo_hash(claim.pk),
            )
            for claim in claims
        )
    # Spread the claims over 140 days, the oldest first, as they came in.
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE claims_claim SET created_at = %s + (id * interval '175 seconds'), "
            "updated_at = %s + (id * interval '175 seconds') + interval '2 days'",
            [now - timedelta(days=140), now - timedelta(days=140)],
        )
        cursor.execute("VACUUM ANALYZE claims_claim")
        cursor.execute("VACUUM ANALYZE claims_claimphoto")
        cursor.execute("VACUUM ANALYZE claims_claimevent")
    return serials


def manager_sign_in():
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group
    from django.test import Client

    from recallcases.workspace.models import StaffPolicy
    from recallcases.workspace.roles import RECALL_MANAGER

    # No password: the client signs in with force_login, and no second factor is asked (the
    # policy is relaxed in the scratch database; the pages would send the client to set one up).
    StaffPolicy.objects.update_or_create(
        pk=StaffPolicy.SINGLETON_PK, defaults={"require_two_factor": False}
    )
    user = get_user_model().objects.create_user(username="bench-manager", is_staff=True)
    user.groups.add(Group.objects.get(name=RECALL_MANAGER))
    client = Client()
    client.force_login(user)
    return client


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--claims", type=int, default=69_000)
    parser.add_argument("--runs", type=int, default=100, help="timed requests of each page")
    parser.add_argument("--seed", type=int, default=2024)
    args = parser.parse_args()

    url = benchkit.bench_database_url()
    benchkit.scratch_database_create(url)
    benchkit.django_setup(url)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from recallcases.claims.models import Claim
    from recallcases.recalls.demo import demo_recall_load

    recall = demo_recall_load()
    print(f"Machine  {benchkit.machine()}")
    start = time.perf_counter()
    serials = claims_create(recall, count=args.claims, seed=args.seed)
    built = time.perf_counter() - start
    client = manager_sign_in()
    searched = serials[len(serials) // 2]
    pages = {
        "queue, first page (oldest first)": "/workspace/",
        "queue, one status": "/workspace/?status=disposal_submitted",
        "queue, search by serial": f"/workspace/?q={searched}",
    }

    def get(url: str) -> str:
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
        return response.content.decode()

    assert searched in get(pages["queue, search by serial"])
    rows = []
    for label, page_url in pages.items():
        page_ms, yardstick_ms = benchkit.time_alternately(
            lambda _i, u=page_url: get(u),
            lambda _i: get("/bench/claims/"),
            runs=args.runs,
            warmup=5,
        )
        with CaptureQueriesContext(connection) as page_queries:
            get(page_url)
        with CaptureQueriesContext(connection) as yardstick_queries:
            get("/bench/claims/")
        rows.append((label, page_ms, len(page_queries), yardstick_ms, len(yardstick_queries)))

    counts = Claim.objects.values("status").distinct().count()
    print()
    print(
        f"Staff queue: {args.claims:,} claims in {counts} statuses (built in {built:.0f} s), "
        f"signed in as a Recall manager; {args.runs} requests of each, interleaved"
    )
    print(f"{'':36}{'median ms':>10}{'p95 ms':>9}{'queries':>9}")
    for label, page_ms, page_queries, yardstick_ms, yardstick_queries in rows:
        print(
            f"{label:36}{benchkit.median(page_ms):10.2f}{benchkit.p95(page_ms):9.2f}"
            f"{page_queries:9}"
        )
        print(
            f"{'  one-query view (yardstick)':36}{benchkit.median(yardstick_ms):10.2f}"
            f"{benchkit.p95(yardstick_ms):9.2f}{yardstick_queries:9}"
        )


if __name__ == "__main__":
    main()
