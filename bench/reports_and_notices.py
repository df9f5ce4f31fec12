"""Time the report pages (the dashboard and the CPSC monthly report) and the dispatch of recall
notices to a local SMTP sink, each beside a yardstick of the same run.

Builds the demo recall in a scratch PostgreSQL database (bench/benchkit.py says which), with
BENCH_SCALE claims (69,000 unless set) in every status, each with the events of its path
(bench/scale_data.py, written with COPY), and 69,000 known purchasers. Then:

1. signed in as a Recall manager, requests the dashboard, the CPSC report of the last full month
   and the one-query yardstick view (bench/bench_urls.py) alternately;
2. starts an aiosmtpd sink on 127.0.0.1 in a process of its own (bench/smtp_sink.py) that counts
   what it receives, points Django's SMTP backend at it, writes the recall notice of --notices +
   --single purchasers with `notices_send` (publishing after commit switched off, every row made
   due), and times `deliver_batch` (four batches, one connection each) alternating with smtplib
   sending the same message bytes over one connection a round; then `deliver(email_id=...)` one
   by one against smtplib with a new connection each.

Run from the repository root:

    .venv/bin/python bench/reports_and_notices.py [--claims 69000] [--runs 20] \
        [--notices 4000] [--single 200]
"""

import argparse
import email.policy
import smtplib
import socket
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path
from unittest import mock

import benchkit
import scale_data
import staff_queue


class SmtpSink:
    """bench/smtp_sink.py, started in a process of its own (as a mail server is: in this process
    it would take the interpreter's lock from the code timed); `count` asks it what it received."""

    def __init__(self, port: int):
        self.process = subprocess.Popen(
            [sys.executable, str(Path(__file__).with_name("smtp_sink.py")), str(port)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.process.stdout.readline().strip() == "ready"

    @property
    def count(self) -> int:
        self.process.stdin.write("count\n")
        self.process.stdin.flush()
        return int(self.process.stdout.readline())

    def stop(self) -> None:
        self.process.stdin.close()
        self.process.wait(timeout=10)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def purchasers_create(recall, *, count: int) -> None:
    from django.db import connection

    from recallcases.claims.models import Language
    from recallcases.claims.services.milestones import claim_tallies_compact
    from recallcases.notices.models import Purchaser

    products = list(recall.products.all())
    for start in range(0, count, staff_queue.CHUNK):
        Purchaser.objects.bulk_create(
            Purchaser(
                recall=recall,
                name=f"Purchaser {n}",
                # One in three bought from a list and claimed with the same address.
                email=f"consumer{n}@example.com" if n % 3 == 0 else f"purchaser{n}@example.com",
                order_number=f"ORD{n:08d}",
                product=products[n % len(products)],
                country="CA" if n % 7 == 0 else "US",
                language=Language.FRENCH if n % 14 == 0 else Language.ENGLISH,
            )
            for n in range(start, min(start + staff_queue.CHUNK, count))
        )
    # The list's claims were marked on it as it was written (a -1 and a +1 row in the claim
    # tallies each): merged as the beat task does every five minutes (ADR 0011).
    claim_tallies_compact()
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE notices_purchaser")
        cursor.execute("VACUUM ANALYZE claims_claimtally")


def pages_time(recall, *, runs: int) -> list[tuple]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from recallcases.reports.selectors.periods import report_months

    client = staff_queue.manager_sign_in()
    months = report_months(recall)
    month = months[1] if len(months) > 1 else months[0]  # the last full month
    pages = {
        "dashboard": f"/workspace/reports/{recall.slug}/",
        f"CPSC report {month.key}": f"/workspace/reports/{recall.slug}/cpsc/{month.key}/",
    }

    def get(url: str) -> None:
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)

    rows = []
    for label, page_url in pages.items():
        page_ms, yardstick_ms = benchkit.time_alternately(
            lambda _i, u=page_url: get(u), lambda _i: get("/bench/claims/"), runs=runs, warmup=3
        )
        with CaptureQueriesContext(connection) as page_queries:
            get(page_url)
        with CaptureQueriesContext(connection) as yardstick_queries:
            get("/bench/claims/")
        rows.append((label, page_ms, len(page_queries), yardstick_ms, len(yardstick_queries)))
    return rows


def notices_time(recall, *, count: int, single: int) -> dict:
    """Dispatch `count` notices in batches (deliver_batch) in rounds alternating with the
    yardstick (smtplib, the same message bytes, one connection a round), then `single` more one
    by one (deliver, the single-row task's path) and with a connection each (smtplib)."""
    from django.conf import settings
    from django.db import connection
    from django.test.utils import CaptureQueriesContext, override_settings
    from django.utils import timezone

    from recallcases.notices.services import sending as services
    from recallcases.notifications.emails import compose
    from recallcases.notifications.models import EmailKind, EmailState, OutboundEmail
    from recallcases.notifications.services import Outcome, deliver, deliver_batch

    port = free_port()
    handler = SmtpSink(port)
    mailers = {
        "default": {
            "BACKEND": "recallcases.notifications.smtp.EmailBackend",
            "OPTIONS": {"host": "127.0.0.1", "port": port, "timeout": 10},
        }
    }
    rounds = 4
    size = count // rounds
    try:
        with override_settings(MAILERS=mailers, OUTBOX_BATCH_SIZE=size):
            # Write the notices; nothing is handed to a worker after commit, and every row is
            # made due now.
            start = time.perf_counter()
            with mock.patch.object(services, "notices_publish"):
                batch = services.notices_send(
                    recall=recall, kind=EmailKind.RECALL_NOTICE, limit=count + single
                )
            written_s = time.perf_counter() - start
            pending = OutboundEmail.objects.filter(
                kind=EmailKind.RECALL_NOTICE, state=EmailState.PENDING
            )
            ids = list(pending.order_by("pk").values_list("pk", flat=True))
            assert batch.written == len(ids) == count + single, (batch.written, len(ids))
            first = OutboundEmail.objects.get(pk=ids[0])
            raw = compose(first).message(policy=email.policy.SMTP).as_bytes()
            recipient = first.recipient
            sender = settings.DEFAULT_FROM_EMAIL

            # The single rows are left for last: not due until then.
            OutboundEmail.objects.filter(pk__in=ids[:count]).update(next_attempt_at=timezone.now())
            OutboundEmail.objects.filter(pk__in=ids[count:]).update(
                next_attempt_at=timezone.now() + timedelta(days=1)
            )
            batch_s = one_connection_s = 0.0
            batch_queries = 0
            for _round in range(rounds):
                received = handler.count
                with CaptureQueriesContext(connection) as queries:
                    start = time.perf_counter()
                    result = deliver_batch()
                    batch_s += time.perf_counter() - start
                batch_queries += len(queries)
                assert result.sent == size and handler.count - received == size, result

                start = time.perf_counter()
                with smtplib.SMTP("127.0.0.1", port, timeout=10) as smtp:
                    for _ in range(size):
                        smtp.sendmail(sender, [recipient], raw)
                one_connection_s += time.perf_counter() - start

            OutboundEmail.objects.filter(pk__in=ids[count:]).update(next_attempt_at=timezone.now())
            with CaptureQueriesContext(connection) as queries:
                assert deliver(email_id=ids[count])[0] == Outcome.SENT
            start = time.perf_counter()
            for email_id in ids[count + 1 :]:
                assert deliver(email_id=email_id)[0] == Outcome.SENT
            deliver_s = (time.perf_counter() - start) / (single - 1) * single

        start = time.perf_counter()
        for _ in range(single):
            with smtplib.SMTP("127.0.0.1", port, timeout=10) as smtp:
                smtp.sendmail(sender, [recipient], raw)
        each_connection_s = time.perf_counter() - start
        assert handler.count == 2 * rounds * size + 2 * single, handler.count
        assert not pending.exists()
    finally:
        handler.stop()
    return {
        "sent": rounds * size,
        "written_s": written_s,
        "batch_s": batch_s,
        "batch_queries": batch_queries / (rounds * size),
        "one_connection_s": one_connection_s,
        "deliver_s": deliver_s,
        "deliver_queries": len(queries),
        "each_connection_s": each_connection_s,
        "message_bytes": len(raw),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--claims", type=int, default=scale_data.bench_scale())
    parser.add_argument("--purchasers", type=int, default=69_000)
    parser.add_argument("--runs", type=int, default=20, help="timed requests of each page")
    parser.add_argument("--notices", type=int, default=4_000, help="notices sent in batches")
    parser.add_argument("--single", type=int, default=200, help="notices sent one by one")
    parser.add_argument("--seed", type=int, default=2024)
    args = parser.parse_args()

    url = benchkit.bench_database_url()
    benchkit.scratch_database_create(url)
    benchkit.django_setup(url)
    from recallcases.claims.models import Claim
    from recallcases.recalls.demo import demo_recall_load

    recall = demo_recall_load()
    print(f"Machine  {benchkit.machine()}")
    start = time.perf_counter()
    scale_data.recall_at_scale(recall, claims=args.claims, seed=args.seed)
    listed = time.perf_counter()
    purchasers_create(recall, count=args.purchasers)
    built, listed = time.perf_counter() - start, time.perf_counter() - listed

    pages = pages_time(recall, runs=args.runs)
    statuses = Claim.objects.values("status").distinct().count()
    print()
    print(
        f"Reports: {args.claims:,} claims in {statuses} statuses, {args.purchasers:,} purchasers "
        f"(built in {built:.0f} s, the purchasers in {listed:.0f} s), signed in as a Recall "
        f"manager; {args.runs} requests of each, interleaved with the one-query view"
    )
    print(f"{'':36}{'median ms':>10}{'p95 ms':>9}{'queries':>9}{'x yardstick':>13}")
    for label, page_ms, page_queries, yardstick_ms, yardstick_queries in pages:
        ratio = benchkit.median(page_ms) / benchkit.median(yardstick_ms)
        print(
            f"{label:36}{benchkit.median(page_ms):10.2f}{benchkit.p95(page_ms):9.2f}"
            f"{page_queries:9}{ratio:12.1f}x"
        )
        print(
            f"{'  one-query view (yardstick)':36}{benchkit.median(yardstick_ms):10.2f}"
            f"{benchkit.p95(yardstick_ms):9.2f}{yardstick_queries:9}"
        )

    n = args.notices
    result = notices_time(recall, count=n, single=args.single)
    n, single = result["sent"], args.single
    print()
    print(
        f"Notice dispatch: recall notices ({result['message_bytes']:,} bytes each) to an aiosmtpd "
        f"sink on 127.0.0.1 (its own process); notices_send wrote {n + single:,} in "
        f"{result['written_s']:.2f} s"
    )
    print(f"{'':58}{'messages':>9}{'seconds':>9}{'msg/s':>9}{'ms/msg':>9}")
    rows = (
        (
            f"deliver_batch, batches of {n // 4:,} ({result['batch_queries']:.2f} queries/msg)",
            n,
            result["batch_s"],
        ),
        ("  smtplib, one connection a batch (yardstick)", n, result["one_connection_s"]),
        (f"deliver() one by one ({result['deliver_queries']} queries/msg)", single,
         result["deliver_s"]),
        ("  smtplib, a new connection each (yardstick)", single, result["each_connection_s"]),
    )  # fmt: skip
    for label, count, seconds in rows:
        print(
            f"{label:58}{count:9,}{seconds:9.2f}{count / seconds:9.0f}{1000 * seconds / count:9.2f}"
        )
    batch_rate = n / result["batch_s"]
    print(
        f"deliver_batch / smtplib on one connection: "
        f"{result['one_connection_s'] / result['batch_s']:.0%} of its speed "
        "(batches and yardstick alternated, 4 rounds)"
    )
    from django.conf import settings

    per_minute = settings.NOTICE_RATE_PER_MINUTE
    print(
        f"1,100,000 notices: {1_100_000 / batch_rate / 3600:.1f} h for one worker at this speed; "
        f"{1_100_000 / (per_minute / 60) / 3600:.1f} h at NOTICE_RATE_PER_MINUTE={per_minute}"
    )


if __name__ == "__main__":
    main()
