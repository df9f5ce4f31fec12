"""The registry import at scale: streamed, overlaps found in SQL, all or nothing.

The tests without the `postgres` fixture run on whichever database the suite runs on: SQLite on a
developer's machine, PostgreSQL (where rows are loaded by COPY) in CI. Those with it need
PostgreSQL. None is timed: speed is for `make bench`.
"""

import io
import threading

import pytest
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.db.models import ProtectedError
from django.test.utils import CaptureQueriesContext

from recallcases.core.csv_files import CsvRefused
from recallcases.recalls import services
from recallcases.recalls.models import RegistryEntry
from recallcases.recalls.selectors import serial_lookup
from recallcases.recalls.services import registry_import, registry_import_csv
from tests.factories import ProductFactory

pytestmark = pytest.mark.django_db

HEADER = "model,first_serial,last_serial\n"


def import_csv(recall, text: str):
    return registry_import_csv(recall=recall, file=io.StringIO(text, newline=""))


def import_bytes(recall, content: bytes):
    """Import a file as the command reads one: UTF-8 (BOM or not), decoded as it is read."""
    text = io.TextIOWrapper(io.BytesIO(content), encoding="utf-8-sig", newline="")
    return registry_import_csv(recall=recall, file=text)


def entries(recall) -> set[tuple[str, int, int]]:
    """The recall's registry as (prefix, first number, last number), demo ranges left out."""
    return set(
        RegistryEntry.objects.filter(recall=recall, is_demo=False).values_list(
            "prefix", "first_number", "last_number"
        )
    )


def singles(count: int, *, prefix: str = "A3102BNX", start: int = 10_000_000) -> str:
    """`count` single serials of the real shape (16 characters, no O or I), one a row."""
    return "".join(f"A3102,{prefix}{start + n:08d},\n" for n in range(count))


# --- Overlaps, with the registry and within the file ---------------------------------------------


def test_registry_import_refuses_rows_overlapping_the_registry(recall):
    # given: the demo range A3102DMX10000001 to ...0500 is in the registry
    csv = HEADER + (
        "A3102,A3102DMX10000000,\n"  # 2: just before the range: new
        "A3102,A3102DMX10000250,\n"  # 3: inside it
        "A3102,A3102DMX09999990,A3102DMX10000001\n"  # 4: reaches its first serial
        "A3102,A3102DMX10000500,A3102DMX10000600\n"  # 5: starts on its last serial
        "A3102,A3102DMX09000000,A3102DMX11000000\n"  # 6: holds all of it
        "A3102,A3102DMX10000501,A3102DMX10000600\n"  # 7: just after it: new
        "A3302,A3302DMX10000250,\n"  # 8: same number, another prefix: new
    )
    # when
    report = import_csv(recall, csv)
    # then
    assert [line for line, _text in report.duplicates] == [3, 4, 5, 6]
    assert report.duplicates[1] == (4, "A3102DMX09999990 – A3102DMX10000001")
    assert (report.rows_added, report.units_added, report.entries_added) == (3, 102, 3)
    assert report.duplicate_count == 4
    assert entries(recall) == {
        ("A3102DMX", 10000000, 10000000),
        ("A3102DMX", 10000501, 10000600),
        ("A3302DMX", 10000250, 10000250),
    }


def test_registry_import_refuses_rows_overlapping_an_earlier_row_of_the_file(recall):
    csv = HEADER + (
        "A3102,A3102BNX00000100,A3102BNX00000200\n"  # 2: kept
        "A3102,A3102BNX00000150,\n"  # 3: inside line 2
        "A3102,A3102BNX00000100,\n"  # 4: line 2's first serial
        "A3102,A3102BNX00000201,\n"  # 5: just after line 2: kept
        "A3102,A3102BNX00000201,\n"  # 6: the same serial as line 5
        "A3102016,A3102BNX00000201,\n"  # 7: again, under the model number
        "A3102,A3102BNX00000050,A3102BNX00000099\n"  # 8: just before line 2: kept
    )
    report = import_csv(recall, csv)
    assert [line for line, _text in report.duplicates] == [3, 4, 6, 7]
    # and: lines 8, 2 and 5 follow on from each other: one entry holds them
    assert (report.rows_added, report.entries_added) == (3, 1)
    assert entries(recall) == {("A3102BNX", 50, 201)}


def test_registry_import_keeps_a_row_that_overlaps_only_a_refused_row(recall):
    # given: ranges in order of their first serial A (kept), B (overlaps A), C (overlaps B only)
    csv = HEADER + (
        "A3102,A3102BNX00000015,A3102BNX00000030\n"  # 2: C
        "A3102,A3102BNX00000001,A3102BNX00000010\n"  # 3: A
        "A3102,A3102BNX00000005,A3102BNX00000020\n"  # 4: B
    )
    # when
    report = import_csv(recall, csv)
    # then: B is refused, and C stays: nothing kept overlaps it (as the import always did)
    assert report.duplicates == [(4, "A3102BNX00000005 – A3102BNX00000020")]
    assert entries(recall) == {("A3102BNX", 1, 10), ("A3102BNX", 15, 30)}


def test_registry_import_rows_overlapping_the_registry_do_not_block_other_rows(recall):
    # given: a row overlapping the demo range, and a later row overlapping only that row
    csv = HEADER + (
        "A3102,A3102DMX10000400,A3102DMX10000600\n"  # 2: reaches into the registry
        "A3102,A3102DMX10000550,\n"  # 3: inside line 2, outside the registry
    )
    report = import_csv(recall, csv)
    assert [line for line, _text in report.duplicates] == [2]
    assert entries(recall) == {("A3102DMX", 10000550, 10000550)}


def test_registry_import_over_a_deleted_registry_adds_it_again(recall):
    # given: a registry imported, then deleted (its rows are dead until the next vacuum)
    import_csv(recall, HEADER + singles(3000))
    RegistryEntry.objects.filter(recall=recall, is_demo=False).delete()
    # when: it is imported again
    report = import_csv(recall, HEADER + singles(3000))
    # then: all of it is back
    assert (report.rows_added, report.entries_added, report.duplicate_count) == (3000, 1, 0)
    assert serial_lookup(recall=recall, raw_serial="A3102BNX10002999").is_recalled


# --- Runs of consecutive serials: one entry each ----------------------------------------------


def is_recalled(recall, serial: str) -> bool:
    return serial_lookup(recall=recall, raw_serial=serial).is_recalled


def test_registry_import_stores_consecutive_single_serials_as_one_entry(recall):
    # given: five consecutive serials, one a row, not in order
    csv = HEADER + "".join(f"A3102,A3102BNX{n:08d},\n" for n in (12, 10, 14, 11, 13))
    # when
    report = import_csv(recall, csv)
    # then: five rows added, stored as one entry
    assert (report.rows_added, report.units_added, report.entries_added) == (5, 5, 1)
    assert entries(recall) == {("A3102BNX", 10, 14)}
    # and: the check answers for each of them, and not for the numbers around them
    assert all(is_recalled(recall, f"A3102BNX{n:08d}") for n in range(10, 15))
    assert not is_recalled(recall, "A3102BNX00000009")
    assert not is_recalled(recall, "A3102BNX00000015")


def test_registry_import_keeps_a_gap_of_one_number_between_two_entries(recall):
    csv = HEADER + "".join(f"A3102,A3102BNX{n:08d},\n" for n in (1, 2, 4, 5))
    report = import_csv(recall, csv)
    assert (report.rows_added, report.entries_added) == (4, 2)
    assert entries(recall) == {("A3102BNX", 1, 2), ("A3102BNX", 4, 5)}
    assert not is_recalled(recall, "A3102BNX00000003")


def test_registry_import_keeps_two_products_adjacent_serials_in_two_entries(recall, speaker):
    # given: serials that follow on from each other, the first two a speaker's, then another's
    csv = HEADER + (
        "A3102,A3102BNX00000001,\n"
        "A3102,A3102BNX00000002,\n"
        "A3302,A3102BNX00000003,\n"
        "A3302,A3102BNX00000004,\n"
    )
    # when
    report = import_csv(recall, csv)
    # then: an entry per product, and the check names each serial's own
    assert (report.rows_added, report.entries_added) == (4, 2)
    assert entries(recall) == {("A3102BNX", 1, 2), ("A3102BNX", 3, 4)}
    assert serial_lookup(recall=recall, raw_serial="A3102BNX00000002").product == speaker
    assert serial_lookup(recall=recall, raw_serial="A3102BNX00000003").product.model == "A3302"


def test_registry_import_merges_ranges_and_single_serials_that_follow_on(recall):
    csv = HEADER + (
        "A3102,A3102BNX00000021,A3102BNX00000030\n"
        "A3102,A3102BNX00000009,\n"
        "A3102,A3102BNX00000010,A3102BNX00000019\n"
        "A3102,A3102BNX00000020,\n"
    )
    report = import_csv(recall, csv)
    assert (report.rows_added, report.units_added, report.entries_added) == (4, 22, 1)
    assert entries(recall) == {("A3102BNX", 9, 30)}
    assert not is_recalled(recall, "A3102BNX00000031")


def test_registry_import_merges_a_run_over_a_row_repeated_in_it(recall):
    # given: a run in which one serial is written twice
    csv = HEADER + "".join(f"A3102,A3102BNX{n:08d},\n" for n in (1, 2, 2, 3))
    # when
    report = import_csv(recall, csv)
    # then: the repeat is a duplicate; the serials still follow on from each other
    assert report.duplicates == [(4, "A3102BNX00000002")]
    assert (report.rows_added, report.entries_added) == (3, 1)
    assert entries(recall) == {("A3102BNX", 1, 3)}


def test_registry_import_does_not_merge_over_a_duplicate_nor_with_the_registry(recall):
    # given: a serial already in the registry
    import_csv(recall, HEADER + "A3102,A3102BNX00000003,\n")
    # when: a run of serials around it is imported
    report = import_csv(recall, HEADER + "".join(f"A3102,A3102BNX{n:08d},\n" for n in range(1, 6)))
    # then: its row is a duplicate, and the rows either side of it are two entries of their own,
    # next to the registry's (entries already there are left as they are)
    assert report.duplicates == [(4, "A3102BNX00000003")]
    assert (report.rows_added, report.entries_added) == (4, 2)
    assert entries(recall) == {("A3102BNX", 1, 2), ("A3102BNX", 3, 3), ("A3102BNX", 4, 5)}
    assert all(is_recalled(recall, f"A3102BNX{n:08d}") for n in range(1, 6))
    assert not is_recalled(recall, "A3102BNX00000006")


# --- The report ----------------------------------------------------------------------------------


def test_registry_import_reports_invalid_rows_by_line_and_counts_them_all(recall, monkeypatch):
    # given: a report that lists at most three of each
    monkeypatch.setattr(services, "REPORT_LIST_LIMIT", 3)
    good = singles(4)
    bad = "".join(f"A9999,A9999BNX{n:08d},\n" for n in range(5))
    repeated = singles(4)
    # when
    report = import_csv(recall, HEADER + good + bad + repeated)
    # then: all are counted, the first three of each listed, by line
    assert (report.rows, report.rows_added, report.units_added) == (13, 4, 4)
    assert report.invalid_count == 5
    assert report.invalid == [(line, "unknown model 'A9999' for this recall") for line in (6, 7, 8)]
    assert report.duplicate_count == 4
    assert report.duplicates == [
        (11, "A3102BNX10000000"),
        (12, "A3102BNX10000001"),
        (13, "A3102BNX10000002"),
    ]
    assert report.lists_are_cut


def test_registry_import_csv_numbers_lines_as_the_file_does(recall):
    # given: a blank line and a quoted field over two lines before the bad row
    csv = HEADER + 'A3102,A3102BNX00000001,\n\n"A3102",A3102BNX00000002,"\n"\nA3102,BAD,\n'
    report = import_csv(recall, csv)
    assert report.invalid == [(6, "BAD is not 16 characters long")]
    assert report.rows_added == 2


def test_registry_import_accepts_a_byte_order_mark_and_any_header_case(recall):
    content = "\ufeffModel, First_Serial ,LAST_SERIAL\r\nA3102,a3102-bnx0-0000-001,\r\n"
    report = import_bytes(recall, content.encode("utf-8"))
    assert (report.rows_added, report.invalid_count) == (1, 0)
    # and: read by a reader that kept the mark, too
    report = import_csv(recall, content.replace("001,", "002,"))
    assert (report.rows_added, report.invalid_count) == (1, 0)
    assert entries(recall) == {("A3102BNX", 1, 1), ("A3102BNX", 2, 2)}


def test_registry_import_of_dicts_streams_a_generator(recall):
    rows = ({"model": "A3302", "first_serial": f"A3302BNX{n:08d}"} for n in range(1000))
    report = registry_import(recall=recall, rows=rows)
    assert (report.rows, report.rows_added, report.invalid_count) == (1000, 1000, 0)


# --- Nothing half-imported -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("broken_row", "why"),
    [
        (b"A3102,A3102BNX2000\x000001,\n", "line 5002 holds a NUL character"),
        (b"A3102,A3102BNX20\xff000001,\n", "The file is not UTF-8 text"),
    ],
)
def test_registry_import_of_a_file_broken_midway_imports_nothing(recall, broken_row, why):
    # given: five thousand good rows, one broken row, then more good rows
    before = RegistryEntry.objects.count()
    content = (
        (HEADER + singles(5000)).encode() + broken_row + singles(100, start=30_000_000).encode()
    )
    # when / then: the import fails, and none of the rows read before the broken one is left
    with pytest.raises(CsvRefused, match=why):
        import_bytes(recall, content)
    assert RegistryEntry.objects.count() == before
    assert not serial_lookup(recall=recall, raw_serial="A3102BNX10000000").is_recalled


def test_registry_import_failure_inside_the_database_imports_nothing(recall, monkeypatch):
    # given: the database refuses the last step (the insert into the registry)
    before = RegistryEntry.objects.count()
    monkeypatch.setattr(
        services, "_ENTRIES_INSERT", "INSERT INTO no_such_table VALUES (%s, %s, %s)"
    )
    # when / then: the error comes out and nothing stays
    with pytest.raises(DatabaseError, match="no_such_table"):
        import_csv(recall, HEADER + singles(100))
    assert RegistryEntry.objects.count() == before


# --- On PostgreSQL: COPY, a hundred thousand rows, the lookup index ------------------------------


def test_registry_import_of_100000_rows_on_postgresql(postgres, recall, django_assert_num_queries):
    # given: 100,000 single serials, a range, some duplicates and invalid rows
    csv = (
        HEADER
        + singles(100_000)
        + "A3302,A3302BNX00000001,A3302BNX00050000\n"
        + singles(10, start=10_000_500)
        + "A3102,A3102BNX1000000,\n"
    )
    # when
    report = import_csv(recall, csv)
    # then
    assert report.rows == 100_012
    assert (report.rows_added, report.units_added) == (100_001, 150_000)
    # and: the run of 100,000 serials is one entry, the range another
    assert report.entries_added == 2
    assert report.duplicate_count == 10
    assert report.duplicates[0] == (100_003, "A3102BNX10000500")
    assert report.invalid == [(100_013, "A3102BNX1000000 is not 16 characters long")]
    # and: the serial check still answers right, in one query on the registry
    for serial, recalled in [
        ("A3102BNX10000000", True),
        ("A3102BNX10099999", True),
        ("A3102BNX10100000", False),
        ("A3302BNX00025000", True),
        ("A3302BNX00050001", False),
        ("A3102DMX10000001", True),  # the demo range is still there
    ]:
        recall.refresh_from_db()
        with django_assert_num_queries(2):  # the products, then the registry
            assert serial_lookup(recall=recall, raw_serial=serial).is_recalled is recalled


def test_serial_lookup_reads_the_lookup_index_after_a_big_import(postgres, recall):
    # given: a registry of 100,000 serials, just imported (not analysed yet)
    import_csv(recall, HEADER + singles(100_000))
    # when: the check's query is explained
    with CaptureQueriesContext(connection) as captured:
        serial_lookup(recall=recall, raw_serial="A3102BNX10050000")
    query = captured.captured_queries[-1]["sql"]
    assert "recalls_registryentry" in query
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN {query}")
        plan = "\n".join(row[0] for row in cursor.fetchall())
    # then: it reads one end of the lookup index, whatever the registry's size
    assert "registry_lookup" in plan, plan
    assert "Seq Scan" not in plan, plan


def test_registry_import_on_postgresql_loads_by_copy(postgres, recall, monkeypatch):
    # given: the batched insert that SQLite uses made to fail
    monkeypatch.setattr(services, "_ROWS_INSERT", "not sql")
    # then: PostgreSQL never needs it
    report = import_csv(recall, HEADER + singles(10))
    assert report.rows_added == 10


@pytest.mark.django_db(transaction=True)
def test_two_imports_into_one_recall_at_once_add_each_serial_once(postgres):
    # given: two staff members importing the same file at the same moment
    from recallcases.recalls.demo import demo_recall_load

    recall = demo_recall_load()
    reports = []

    def run():
        try:
            reports.append(import_csv(recall, HEADER + singles(5000)))
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    # when
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # then: one adds the serials, the other waits for it and finds them all there
    assert sorted((r.rows_added, r.duplicate_count) for r in reports) == [(0, 5000), (5000, 0)]
    assert entries(recall) == {("A3102BNX", 10_000_000, 10_004_999)}


# --- Reading serials, and the database's own rules ------------------------------------------------


def test_registry_import_reads_serials_as_written_and_as_canonical_alike(recall):
    # given: one serial written as a person types it, then canonical (line 3), and one with the
    # letter O that the speaker's serials never use, canonical in every other way
    csv = HEADER + (
        "a3102, a3102-bnx 1000 0001 ,\n"  # 2
        "A3102,A3102BNX10000001,\n"  # 3
        "A3102,A3102BNO10000002,\n"  # 4
        "A3102,A3102BNX1000000,\n"  # 5: one digit short
    )
    # when
    report = import_csv(recall, csv)
    # then: the same serial (the second is a duplicate of the first); the other two refused
    assert entries(recall) == {("A3102BNX", 10000001, 10000001)}
    assert report.duplicates == [(3, "A3102BNX10000001")]
    assert report.invalid == [
        (4, "A3102BNO10000002 contains a letter this product's serials never use (OI)"),
        (5, "A3102BNX1000000 is not 16 characters long"),
    ]


def test_registry_import_follows_the_products_own_serial_rules(recall, speaker):
    # given: a speaker whose serials are 14 characters and may hold an O
    speaker.serial_length, speaker.serial_excluded_letters = 14, ""
    speaker.save()
    # when
    report = import_csv(recall, HEADER + "A3102,A3102BO0000001,\nA3102,A3102BNX10000001,\n")
    # then
    assert entries(recall) == {("A3102BO", 1, 1)}
    assert report.invalid == [(3, "A3102BNX10000001 is not 14 characters long")]


def test_a_product_with_registry_entries_cannot_be_deleted(recall, speaker):
    with pytest.raises(ProtectedError):
        speaker.delete()


def test_the_database_refuses_an_entry_whose_product_is_of_another_recall(postgres, recall):
    # given: a product of another recall
    other = ProductFactory(model="L100")
    # when: an entry of this recall names it, written past the import
    with (
        pytest.raises(IntegrityError, match="registry_entry_product_in_recall"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(
            "INSERT INTO recalls_registryentry (recall_id, product_id, prefix, digits, "
            "first_number, last_number, is_demo, created_at) "
            "VALUES (%s, %s, 'L100X', 4, 1, 1, false, now())",
            [recall.pk, other.pk],
        )
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")


def test_the_registry_key_is_checked_once_migrations_ran(postgres):
    # 0011 adds the key unchecked, so as not to lock the registry while it reads every entry;
    # 0012 checks it: an unchecked key would let a restored bad entry pass unnoticed
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT convalidated, condeferrable FROM pg_constraint WHERE conname = %s",
            ["registry_entry_product_in_recall"],
        )
        assert cursor.fetchall() == [(True, True)]


def test_the_database_refuses_to_delete_a_product_with_registry_entries(postgres, speaker):
    # when: the speaker (whose demo serials are in the registry) is deleted past Django
    with (
        pytest.raises(IntegrityError, match="registry_entry_product_in_recall"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("DELETE FROM recalls_product WHERE id = %s", [speaker.pk])
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
