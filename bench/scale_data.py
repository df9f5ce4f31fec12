"""The claims and registry of a recall at scale, written with PostgreSQL's COPY (never one save at
a time), for the staff queue and report benchmarks.

Every claim gets the events of the path that led to its status (filed, verified, approved, shipped,
disposal sent and confirmed, closed; or asked for information, rejected, withdrawn), each a few
days after the one before, and a serial-label photo; a few share an email, an address or a photo,
as reviewers' signals expect. The registry holds `serials` serials as ranges of 100 (the shape the
manufacturer's pages list them in), and every claimed serial is in it.

The database's triggers are switched off while COPY writes (session_replication_role = replica, as
pg_restore does): the report dates they keep on each claim are written with the claim and checked
against the events (0 corrected), and the claim tallies are counted once from the claims, as
`claim_figures_rebuild` does after a restore (ADR 0011).

The scale is BENCH_SCALE claims (69,000 unless set; `make bench-large` sets 1,100,000), or
--claims on each benchmark.
"""

import hashlib
import os
import random
import time
from datetime import timedelta

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
# The steps that led to each status (the lifecycle's usual path when shipping comes first).
_SHIPPED = ["submitted", "verified", "replacement_approved", "replacement_shipped"]
PATHS = {
    "submitted": ["submitted"],
    "information_requested": ["submitted", "information_requested"],
    "resubmitted": ["submitted", "information_requested", "resubmitted"],
    "verified": ["submitted", "verified"],
    "replacement_approved": ["submitted", "verified", "replacement_approved"],
    "replacement_shipped": _SHIPPED,
    "disposal_submitted": [*_SHIPPED, "disposal_submitted"],
    "disposal_confirmed": [*_SHIPPED, "disposal_submitted", "disposal_confirmed"],
    "closed": [*_SHIPPED, "disposal_submitted", "disposal_confirmed", "closed"],
    "rejected": ["submitted", "rejected"],
    "withdrawn": ["submitted", "withdrawn"],
}
CONSUMER_STEPS = {"submitted", "resubmitted", "disposal_submitted", "withdrawn"}
CHUNK = 50_000
# Claims arrive over this many days, the oldest first; each step comes STEP_DAYS after the last.
SPREAD_DAYS = 140
STEP_DAYS = 3
REGISTRY_RANGE = 100


def bench_scale() -> int:
    """How many claims the benchmarks build: BENCH_SCALE, else 69,000 (the first recall's size)."""
    return int(os.environ.get("BENCH_SCALE", "69000").replace("_", "").replace(",", ""))


def code(n: int, length: int) -> str:
    """`n` in the references' alphabet, `length` characters: unique for each n."""
    from recallcases.claims.tokens import REFERENCE_ALPHABET

    base, chars = len(REFERENCE_ALPHABET), []
    for _ in range(length):
        n, digit = divmod(n, base)
        chars.append(REFERENCE_ALPHABET[digit])
    return "".join(reversed(chars))


def serial_of(model: str, n: int) -> str:
    return f"{model}BNX{n:08d}"


def _copy(cursor, table: str, columns: tuple[str, ...], lines: list[str]) -> None:
    with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
        copy.write("".join(lines))


CLAIM_COLUMNS = (
    "id", "recall_id", "product_id", "registry_product_id", "reference", "access_token_hash",
    "disposal_code", "status", "version", "serial", "serial_as_typed", "name", "email", "phone",
    "address_line1", "address_line2", "city", "region", "postal_code", "country", "address_key",
    "language", "email_disposable", "order_number", "consented_at", "privacy_notice_version",
    "created_at", "updated_at", "first_shipped_at", "disposal_confirmed_at", "channel",
    "text_number", "remedy", "reached",
)  # fmt: skip
EVENT_COLUMNS = ("claim_id", "actor_kind", "from_status", "to_status", "note", "created_at")
PHOTO_COLUMNS = (
    "id", "claim_id", "kind", "image", "thumbnail", "width", "height", "source_format",
    "source_sha256", "created_at",
)  # fmt: skip


def claims_copy(recall, *, count: int, seed: int = 2024) -> list[str]:
    """COPY `count` claims of `recall` with their events and photos; return their serials."""
    import uuid

    from django.db import connection
    from django.utils import timezone

    rng = random.Random(seed)
    products = list(recall.products.order_by("pk"))
    statuses = [s for s, share in STATUS_SHARES.items() for _ in range(share)]
    # The remedy the recall gives when the consumer chose none (the speaker recall offers one).
    remedy = recall.first_remedy
    start_at = timezone.now() - timedelta(days=SPREAD_DAYS)
    step = timedelta(days=STEP_DAYS)
    # Spread evenly over SPREAD_DAYS, whatever the count.
    gap = timedelta(days=SPREAD_DAYS - 40) / max(count, 1)
    with connection.cursor() as django_cursor:
        django_cursor.execute("SELECT coalesce(max(id), 0) FROM claims_claim")
        (first_id,) = django_cursor.fetchone()
    serials = []
    with connection.cursor() as django_cursor:
        cursor = django_cursor.cursor  # psycopg's own cursor: COPY
        cursor.execute("SET session_replication_role = replica")
        try:
            for chunk_start in range(0, count, CHUNK):
                claims, events, photos = [], [], []
                for n in range(chunk_start, min(chunk_start + CHUNK, count)):
                    pk = first_id + n + 1
                    product = products[n % len(products)]
                    serial = serial_of(product.model, n)
                    serials.append(serial)
                    status = rng.choice(statuses)
                    created = start_at + gap * n
                    # One claim in 200 shares an email or an address with another.
                    email_n = n - 1 if n % 200 == 1 else n
                    address_n = n - 1 if n % 200 == 2 else n
                    path = PATHS[status]
                    ref = code(n, 8)
                    # The report dates the triggers would keep: when each step was first reached.
                    reached = {s: (created + step * i).isoformat() for i, s in enumerate(path)}
                    row = (
                        pk, recall.pk, product.pk, product.pk, f"{ref[:4]}-{ref[4:]}",
                        hashlib.sha256(f"token {n}".encode()).hexdigest(), code(n + 7 * count, 8),
                        status, len(path), serial, serial, f"Consumer {n}",
                        f"consumer{email_n}@example.com", "613-555-0100",
                        f"{address_n} Sussex Drive", "", "Ottawa", "ON", "K1A 0B1",
                        "CA" if n % 7 == 0 else "US", f"ca{address_n}sussexdrive", "en", "f", "",
                        created.isoformat(), "2024-12", created.isoformat(),
                        (created + step * (len(path) - 1)).isoformat(),
                        reached.get("replacement_shipped", r"\N"),
                        reached.get("disposal_confirmed", r"\N"), "web", "", remedy,
                        " ".join(sorted(set(path))),
                    )  # fmt: skip
                    claims.append("\t".join(map(str, row)) + "\n")
                    before = ""
                    for i, to_status in enumerate(path):
                        actor = "consumer" if to_status in CONSUMER_STEPS else "staff"
                        when = (created + step * i).isoformat()
                        events.append(f"{pk}\t{actor}\t{before}\t{to_status}\t\t{when}\n")
                        before = to_status
                    # One photo in 300 is the photo of the claim before: sent again.
                    photo_n = n - 1 if n % 300 == 1 else n
                    photos.append(
                        f"{uuid.UUID(int=rng.getrandbits(128))}\t{pk}\tserial_label\t"
                        f"claims/serial_label/{pk:032x}.jpg\tclaims/serial_label/{pk:032x}-t.jpg\t"
                        "2000\t1500\tJPEG\t"
                        f"{hashlib.sha256(f'photo {photo_n}'.encode()).hexdigest()}\t"
                        f"{created.isoformat()}\n"
                    )
                _copy(cursor, "claims_claim", CLAIM_COLUMNS, claims)
                _copy(cursor, "claims_claimevent", EVENT_COLUMNS, events)
                _copy(cursor, "claims_claimphoto", PHOTO_COLUMNS, photos)
        finally:
            cursor.execute("SET session_replication_role = DEFAULT")
        cursor.execute(
            "SELECT setval(pg_get_serial_sequence('claims_claim', 'id'), "
            "(SELECT max(id) FROM claims_claim))"
        )
    return serials


def registry_copy(recall, *, serials: int, claimed: int) -> None:
    """COPY registry ranges of REGISTRY_RANGE serials covering `serials` serials in all, the first
    `claimed` numbers of each product being the claimed serials' (serial_of)."""
    from django.db import connection
    from django.utils import timezone

    products = list(recall.products.order_by("pk"))
    now = timezone.now().isoformat()
    per_product = -(-serials // len(products))
    lines = []
    for product in products:
        # serial_of(model, n): prefix "<model>BNX", 8 digits.
        for first in range(0, per_product, REGISTRY_RANGE):
            last = min(first + REGISTRY_RANGE, per_product) - 1
            lines.append(
                f"{recall.pk}\t{product.pk}\t{product.model}BNX\t8\t{first}\t{last}\tt\t{now}\n"
            )
    # Claimed serials n run over every product (n % products): widen to cover each claimed n.
    assert per_product >= claimed, "the registry must hold every claimed serial"
    with connection.cursor() as django_cursor:
        cursor = django_cursor.cursor
        columns = (
            "recall_id", "product_id", "prefix", "digits", "first_number", "last_number",
            "is_demo", "created_at",
        )  # fmt: skip
        for start in range(0, len(lines), CHUNK):
            _copy(cursor, "recalls_registryentry", columns, lines[start : start + CHUNK])


def figures_rebuild() -> None:
    """Check the report dates written with the claims against their events, then statistics."""
    from django.db import connection

    from recallcases.claims.services.milestones import (
        claim_milestones_rebuild,
        claim_tallies_rebuild,
    )

    corrected = claim_milestones_rebuild()
    assert corrected == 0, f"{corrected} claims' report dates differ from their events"
    # The tallies start empty after COPY (no trigger ran): counted once, as after a restore.
    claim_tallies_rebuild()
    with connection.cursor() as cursor:
        for table in (
            "claims_claim",
            "claims_claimevent",
            "claims_claimphoto",
            "claims_claimtally",
            "claims_claimdaytally",
            "recalls_registryentry",
        ):
            cursor.execute(f"VACUUM ANALYZE {table}")


def recall_at_scale(recall, *, claims: int, serials: int | None = None, seed: int = 2024):
    """Claims, events, photos and registry of `recall` at scale; return (serials, seconds)."""
    start = time.perf_counter()
    claimed = claims_copy(recall, count=claims, seed=seed)
    # 10 million serials for the 1.1 million claims of the largest recall, in proportion below.
    registry_copy(recall, serials=serials or max(claims * 100 // 11, 10_000), claimed=claims)
    figures_rebuild()
    return claimed, time.perf_counter() - start
