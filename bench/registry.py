"""Time the serial registry: its import against PostgreSQL's COPY of the same file, and the serial
check at 10,000 and at 1,000,000 serials against a one-query Django view.

Builds the demo recall in a scratch PostgreSQL database (bench/benchkit.py says which), writes
registry files of single serials in the real shape (16 characters, no O or I: a batch prefix and
8 digits, with gaps) to a temporary folder, and then:

- imports the large file with `registry_import_csv` (parse, check overlaps, add: one transaction,
  commit included) and COPYs the same file into a temporary table, three times, as the yardstick;
  then writes the entries it stored again with one INSERT ... SELECT (the import's floor, whatever
  reads the file: the registry's three indexes and its foreign key, for each entry stored: a run
  of consecutive serials is one entry, so about one per five rows of this file);
- posts serials to the consumer's check page, half recalled and half not (in the gaps), and as
  many to a view doing one `.exists()` on the lookup index, interleaved, at each registry size.
  The registry is vacuumed and analysed after each import, as autovacuum would do within a minute.

Run from the repository root:

    .venv/bin/python bench/registry.py [--rows 1000000] [--small 10000] [--checks 2000]
"""

import argparse
import contextlib
import random
import resource
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import benchkit

# Letters a serial of this recall may hold (never O or I), and digits.
LETTERS = "ABCDEFGHJKLMNPQRSTUVWXYZ"
CHARACTERS = LETTERS + "0123456789"
BATCH_SIZE = 50_000
MODELS = ("A3102", "A3302")
RECALLED_MARK = 'role="alert" id="verdict"'


@dataclass
class RegistryFile:
    """A registry CSV, and serials to check against it: some in it, some in its gaps."""

    path: Path
    rows: int = 0
    megabytes: float = 0.0
    recalled: list[str] = field(default_factory=list)
    not_recalled: list[str] = field(default_factory=list)


class Reservoir:
    """A uniform sample of `size` items from a stream of unknown length (algorithm R)."""

    def __init__(self, size: int, rng: random.Random):
        self.size, self.rng, self.seen, self.items = size, rng, 0, []

    def offer(self, item: str) -> None:
        self.seen += 1
        if len(self.items) < self.size:
            self.items.append(item)
        elif (slot := self.rng.randrange(self.seen)) < self.size:
            self.items[slot] = item


def registry_file_write(path: Path, *, rows: int, samples: int, seed: int) -> RegistryFile:
    """Write `rows` single serials in batches of up to 50,000, about one number in five skipped."""
    rng = random.Random(seed)
    recalled, gaps = Reservoir(samples, rng), Reservoir(samples, rng)
    written = 0
    with path.open("w", encoding="utf-8", newline="") as file:
        file.write("model,first_serial,last_serial\n")
        batch = 0
        while written < rows:
            model = MODELS[batch % len(MODELS)]
            prefix = "".join(rng.choice(CHARACTERS) for _ in range(7)) + rng.choice(LETTERS)
            number = rng.randrange(10_000_000, 50_000_000)
            lines = []
            for _ in range(min(BATCH_SIZE, rows - written)):
                serial = f"{prefix}{number:08d}"
                lines.append(f"{model},{serial},\n")
                recalled.offer(serial)
                if rng.random() < 0.2:
                    gaps.offer(f"{prefix}{number + 1:08d}")
                    number += 2
                else:
                    number += 1
            file.writelines(lines)
            written += len(lines)
            batch += 1
    return RegistryFile(
        path,
        rows=written,
        megabytes=path.stat().st_size / 1e6,
        recalled=recalled.items,
        not_recalled=gaps.items,
    )


def registry_file_import(recall, registry: RegistryFile):
    """Import the file as `manage.py registry_import` does; return the report and its seconds."""
    from recallcases.recalls.services import registry_import_csv

    start = time.perf_counter()
    with registry.path.open("rb") as file:
        report = registry_import_csv(recall=recall, file=file)
    seconds = time.perf_counter() - start
    assert report.rows_added == report.units_added == registry.rows, report
    assert 0 < report.entries_added < registry.rows, report
    return report, seconds


def copy_seconds(registry: RegistryFile) -> float:
    """Seconds to COPY the file, as it is, into a temporary table (commit included)."""
    from django.db import connection, transaction

    start = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "CREATE TEMPORARY TABLE bench_copy (model text, first_serial text, last_serial text) "
            "ON COMMIT DROP"
        )
        copy = "COPY bench_copy FROM STDIN WITH (FORMAT csv, HEADER true)"
        with cursor.copy(copy) as copying, registry.path.open("rb") as file:
            while chunk := file.read(1 << 20):
                copying.write(chunk)
        assert cursor.rowcount == registry.rows, cursor.rowcount
    return time.perf_counter() - start


def registry_write_seconds(recall) -> float:
    """Seconds to write the entries the import stored again with one INSERT ... SELECT (commit
    included, where PostgreSQL checks each entry's foreign key): the import's floor, whatever
    reads the file. The entries, not the file's rows: one per run of consecutive serials."""
    from django.db import connection, transaction

    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TEMPORARY TABLE bench_entries AS SELECT recall_id, product_id, prefix, digits, "
            "first_number, last_number, is_demo, created_at FROM recalls_registryentry "
            "WHERE recall_id = %s AND NOT is_demo",
            [recall.pk],
        )
        cursor.execute(
            "DELETE FROM recalls_registryentry WHERE recall_id = %s AND NOT is_demo", [recall.pk]
        )
        cursor.execute("VACUUM recalls_registryentry")  # as before the import: no dead entries
        start = time.perf_counter()
        with transaction.atomic():
            cursor.execute(
                "INSERT INTO recalls_registryentry (recall_id, product_id, prefix, digits, "
                "first_number, last_number, is_demo, created_at) SELECT * FROM bench_entries"
            )
        seconds = time.perf_counter() - start
        cursor.execute("DROP TABLE bench_entries")
    return seconds


def registry_vacuum() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE recalls_registryentry")


@dataclass
class CheckTimes:
    page_ms: list[float]
    yardstick_ms: list[float]
    # Queries of the check page for a recalled serial and for one not recalled.
    page_queries: tuple[int, int]
    yardstick_queries: int


def check_times(recall, registry: RegistryFile, *, seed: int) -> CheckTimes:
    """Post every sample serial to the check page and to the yardstick, interleaved."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    samples = [(s, True) for s in registry.recalled] + [(s, False) for s in registry.not_recalled]
    random.Random(seed).shuffle(samples)
    page_url = f"/en/{recall.slug}/check/"
    consumer, yardstick_client = Client(), Client()

    def page(i: int) -> None:
        serial, recalled = samples[i % len(samples)]
        response = consumer.post(page_url, {"serial": serial})
        assert response.status_code == 200, response.status_code
        assert (RECALLED_MARK in response.content.decode()) is recalled, serial

    def yardstick(i: int) -> None:
        serial, recalled = samples[i % len(samples)]
        response = yardstick_client.post(
            "/bench/serial-exists/", {"serial": serial, "recall": recall.pk}
        )
        assert response.content == (b"yes" if recalled else b"no"), serial

    page_ms, yardstick_ms = benchkit.time_alternately(page, yardstick, runs=len(samples), warmup=50)
    queries = []
    for serial in (registry.recalled[0], registry.not_recalled[0]):
        with CaptureQueriesContext(connection) as captured:
            consumer.post(page_url, {"serial": serial})
        queries.append(len(captured))
    with CaptureQueriesContext(connection) as captured:
        yardstick(0)
    return CheckTimes(page_ms, yardstick_ms, (queries[0], queries[1]), len(captured))


def memory_mb(field: str) -> float:
    """The process's resident memory (VmRSS) or its peak since the last reset (VmHWM), in MB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def memory_peak_reset() -> None:
    # Linux resets the peak (VmHWM) to the current size when "5" is written here.
    with contextlib.suppress(OSError):
        Path("/proc/self/clear_refs").write_text("5")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000, help="serials in the large file")
    parser.add_argument("--small", type=int, default=10_000, help="serials in the small file")
    parser.add_argument("--checks", type=int, default=2000, help="serials checked at each size")
    parser.add_argument("--seed", type=int, default=2024)
    args = parser.parse_args()

    url = benchkit.bench_database_url()
    benchkit.scratch_database_create(url)
    benchkit.django_setup(url)
    from recallcases.recalls.demo import demo_recall_load
    from recallcases.recalls.models import RegistryEntry

    recall = demo_recall_load()
    print(f"Machine  {benchkit.machine()}")
    with tempfile.TemporaryDirectory(prefix="recallcases-bench-") as folder:
        half = args.checks // 2
        small = registry_file_write(
            Path(folder) / "small.csv", rows=args.small, samples=half, seed=args.seed
        )
        large = registry_file_write(
            Path(folder) / "large.csv", rows=args.rows, samples=half, seed=args.seed + 1
        )

        # The check with the small registry.
        registry_file_import(recall, small)
        registry_vacuum()
        small_times = check_times(recall, small, seed=args.seed)

        # The import of the large file into an empty registry (the demo's two ranges aside),
        # against COPY; then the check with the large registry.
        RegistryEntry.objects.filter(recall=recall, is_demo=False).delete()
        registry_vacuum()
        copies = [copy_seconds(large) for _ in range(3)]
        memory_peak_reset()
        memory_before = memory_mb("VmRSS")
        report, import_seconds = registry_file_import(recall, large)
        memory_growth = memory_mb("VmHWM") - memory_before
        write_seconds = registry_write_seconds(recall)
        registry_vacuum()
        large_times = check_times(recall, large, seed=args.seed)
        registry_size = RegistryEntry.objects.filter(recall=recall).count()

    copy = benchkit.median(copies)
    print()
    print(
        f"Registry import: {large.rows:,} single serials, {large.megabytes:.1f} MB of CSV "
        f"({report.rows:,} rows read, {report.units_added:,} serials added, "
        f"{report.entries_added:,} entries stored)"
    )
    print(f"{'':44}{'seconds':>9}{'rows/s':>12}")
    print(
        f"{'registry_import_csv (parse, check, add)':44}{import_seconds:9.2f}"
        f"{large.rows / import_seconds:12,.0f}"
    )
    print(f"{'COPY into a temporary table (median of 3)':44}{copy:9.2f}{large.rows / copy:12,.0f}")
    print(
        f"{'  of which the floor: INSERT of its entries':44}{write_seconds:9.2f}"
        f"{large.rows / write_seconds:12,.0f}"
    )
    print(
        f"{'import / COPY':44}{import_seconds / copy:8.1f}x  "
        f"({copy / import_seconds:.1%} of COPY's speed; the INSERT alone: "
        f"{write_seconds / copy:.1f}x)"
    )
    print(
        f"Memory: the process peaked {memory_growth:.1f} MB above its size before the import "
        f"({memory_before:.0f} MB)"
    )
    print()
    print(
        f"Serial check: {args.checks:,} POSTs at each size ({half:,} recalled, "
        f"{half:,} not), interleaved with the yardstick's"
    )
    print(f"{'':20}{'':28}{'median ms':>10}{'p95 ms':>9}{'queries':>9}")
    for size, times in ((small.rows, small_times), (large.rows, large_times)):
        label = f"{size:,} serials"
        recalled_q, not_q = times.page_queries
        print(
            f"{label:20}{'check page':28}{benchkit.median(times.page_ms):10.2f}"
            f"{benchkit.p95(times.page_ms):9.2f}{f'{recalled_q}/{not_q}':>9}"
        )
        print(
            f"{'':20}{'one-query view (yardstick)':28}"
            f"{benchkit.median(times.yardstick_ms):10.2f}{benchkit.p95(times.yardstick_ms):9.2f}"
            f"{times.yardstick_queries:>9}"
        )
    print(
        f"(the large registry holds {registry_size:,} entries with the demo's two ranges; "
        "check page queries: recalled/not recalled)"
    )


if __name__ == "__main__":
    main()
