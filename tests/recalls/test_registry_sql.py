"""A registry file read in SQL (PostgreSQL) reports and adds exactly what the reader's import does.

Each file is imported twice from the same registry: as an upload or the command gives it (binary:
COPY, then SQL), and through CsvReader (the file given as text, which the SQL path never takes);
the reports (every count, every listed line and message) and the entries added must be equal.
"""

import codecs
import io
import itertools

import pytest
from django.db import transaction

from recallcases.core.csv_files import CsvRefused, file_encoding
from recallcases.recalls import services
from recallcases.recalls.models import RegistryEntry
from recallcases.recalls.services import registry_import_csv

pytestmark = [pytest.mark.django_db, pytest.mark.postgres, pytest.mark.usefixtures("postgres")]

HEADER = "model,first_serial,last_serial\n"
GOOD = "".join(f"A3102,A3102BNX{10_000_000 + n:08d},\n" for n in range(50))
BAD_LINES = [
    "a3102, a3102-bnx0.0000/001 ,",  # lower case, separators, spaces: normalised, good
    "A3102016,A3102BNX00000100,A3102BNX00000199",  # a model number, a range
    "A9999,A3102BNX00000001,",  # unknown model
    "a3'02,A3102BNX00000001,",  # unknown model with a quote: repr's double quotes
    ",A3102BNX00000001,",  # no model
    "A3102,,",  # no serial
    "A3102,A3102BNX0000001,",  # 15 characters
    "A3102,A3102BNX0O000001,",  # a letter the product never uses
    "A3102,A3102BNX#0000001,",  # a character no serial has
    "A3102,A3'02BNX00000001,",  # ... with a quote
    "A3102,A3102BNX00000300,A3102BNY00000300",  # ends differ before their digits
    "A3102,A3102BNX00000400,A3102BNX00000399",  # reversed
    "A3102,A3102BNX00000001,A3102BNX0000000I",  # a bad last serial
    "A3102,A3102BN000000001,A3102BN099999999",  # over MAX_RANGE_SIZE
    "A3102,A3102BNX00000100,",  # overlaps the range above: a duplicate
    "A3102,A3102BNX00000500,,extra,cells",  # more cells than the header
    "A3102",  # fewer
    ",,,",  # blank: not a row
    "   ",  # blank
    "",  # empty
    '"A3102","A3102BNX00000600",""',  # quoted: read in Python
    '"A3102",A3102BNX0000060é,',  # quoted, not ASCII
    "A3102,A3102BNX00000700\t,",  # a tab: read in Python, stripped
    "A3102,\u00a0A3102BNX00000701,",  # a no-break space, stripped by Python
    "A3102,A3102BNX0000070\u0131,",  # a dotless i: not a serial character
    "A3102,A3102BNX0000070\\,",  # a backslash
    '"",""',  # blank once unquoted
    "A3102,A3102BNX00000800,A3102BNX00000799",  # reversed, later in the file
]
RANGE_SHAPES = [
    # 12 digits after a 4-letter prefix of a 16-character serial: big numbers
    "A3302,A330999999999990,A330999999999999",
]


def body(lines: list[str], *, end: str = "\n") -> str:
    return end.join(lines) + end


FILES = {
    "clean": HEADER + GOOD,
    "bad lines": HEADER + GOOD + body(BAD_LINES) + body(RANGE_SHAPES),
    "windows line ends": (HEADER + GOOD + body(BAD_LINES)).replace("\n", "\r\n"),
    "no newline at the end": HEADER + GOOD + "A3102,A3102BNX00000900,",
    "header late, in other words": (
        "\n, ,\n Last Serial ,MODEL,first-serial,notes\n"
        "A3102BNX00001000,A3102,A3102BNX00000990,x\n,A3102,A3102BNX00001001\n"
    ),
    "only bad rows": HEADER + body(BAD_LINES[2:14]),
}


def run(recall, content: bytes, *, as_text: bool):
    """The report and the entries added, all undone afterwards."""
    if as_text:  # decoded as the reader would
        encoding = file_encoding(io.BytesIO(content))
        file = io.TextIOWrapper(io.BytesIO(content), encoding=encoding, newline="")
    else:
        file = io.BytesIO(content)
    with transaction.atomic():
        report = registry_import_csv(recall=recall, file=file)
        added = set(
            RegistryEntry.objects.filter(recall=recall, is_demo=False).values_list(
                "product_id", "prefix", "digits", "first_number", "last_number"
            )
        )
        transaction.set_rollback(True)
    return report, added


def same_as_reader(recall, content: bytes, monkeypatch) -> None:
    with monkeypatch.context() as patched:
        # the SQL path must not need the reader for these files
        patched.setattr(services, "CsvReader", None)
        in_sql = run(recall, content, as_text=False)
    by_reader = run(recall, content, as_text=True)
    (sql_report, sql_added), (reader_report, reader_added) = in_sql, by_reader
    assert sql_report == reader_report
    assert sql_report.invalid_count == reader_report.invalid_count
    assert sql_added == reader_added


@pytest.mark.parametrize("name", FILES)
def test_registry_import_in_sql_reports_and_adds_what_the_reader_does(recall, name, monkeypatch):
    same_as_reader(recall, FILES[name].encode(), monkeypatch)


def test_registry_import_in_sql_reads_a_byte_order_mark_and_latin_1(recall, monkeypatch):
    same_as_reader(recall, codecs.BOM_UTF8 + FILES["bad lines"].encode(), monkeypatch)
    same_as_reader(recall, FILES["bad lines"].replace("\u0131", "ÿ").encode("latin-1"), monkeypatch)


def test_registry_import_in_sql_lists_the_first_problems_by_line_wherever_read(recall, monkeypatch):
    # given: a report listing three; invalid lines read in Python (quoted) before SQL's
    monkeypatch.setattr(services, "REPORT_LIST_LIMIT", 3)
    lines = ['"A9999",A3102BNX00000001,', "A9999,A3102BNX00000002,"] * 4
    content = (HEADER + body(lines)).encode()
    same_as_reader(recall, content, monkeypatch)
    report, _added = run(recall, content, as_text=False)
    assert report.invalid == [(line, "unknown model 'A9999' for this recall") for line in (2, 3, 4)]
    assert report.invalid_count == 8


@pytest.mark.parametrize(
    "content",
    [
        pytest.param((HEADER + '"A3102","A3102BNX\n00000001",\n').encode(), id="field over lines"),
        pytest.param(
            (HEADER + "A3102,A3102BNX00000001,\r\nA3102,A\n").encode(), id="line ends mixed"
        ),
        pytest.param(
            (HEADER + "A3102,A3102BNX00000001,\n\\.\nA3102,B,\n").encode(), id="COPY's end"
        ),
        pytest.param("model,first_serial\nA3102,A3102BNX00000001\n".encode("utf-16"), id="UTF-16"),
        pytest.param(b"", id="empty"),
        pytest.param(HEADER.encode(), id="no rows"),
        pytest.param((HEADER + "A3102," + "x" * 200_000 + ",\n").encode(), id="a field too long"),
        pytest.param((HEADER + "A3102,\x1fA3102BNX00000001,\n").encode(), id="a control character"),
    ],
)
def test_registry_import_hands_the_files_sql_cannot_read_to_the_reader(recall, content):
    # the SQL path declines them, leaving nothing
    assert (
        services._registry_file_import_in_sql(
            recall=recall, file=io.BytesIO(content), is_demo=False, actor=None, file_name=""
        )
        is None
    )
    assert not RegistryEntry.objects.filter(recall=recall, is_demo=False).exists()
    # and the import reads them as the reader does: the same report, or the same refusal
    try:
        expected = run(recall, content, as_text=True)
    except CsvRefused as refused:
        with pytest.raises(CsvRefused, match=str(refused)[:30]):
            run(recall, content, as_text=False)
    else:
        assert run(recall, content, as_text=False) == expected


def test_registry_import_in_sql_refuses_a_header_without_a_column(recall):
    with pytest.raises(CsvRefused, match="Missing: first_serial"):
        registry_import_csv(recall=recall, file=io.BytesIO(b"model,serial\nA3102,X\n"))


def test_registry_import_in_sql_keeps_the_registry_free_of_overlaps(recall):
    # given: a file imported, then a file overlapping it and itself
    registry_import_csv(recall=recall, file=io.BytesIO((HEADER + GOOD).encode()))
    again = HEADER + "A3102,A3102BNX10000040,A3102BNX10000060\n" + GOOD
    report = registry_import_csv(recall=recall, file=io.BytesIO(again.encode()))
    # then: the range overlapping the registry and every repeated serial are duplicates
    assert (report.rows, report.entries_added, report.duplicate_count) == (51, 0, 51)
    ranges = sorted(
        RegistryEntry.objects.filter(recall=recall, is_demo=False).values_list(
            "prefix", "first_number", "last_number"
        )
    )
    assert all(a[2] < b[1] for a, b in itertools.pairwise(ranges) if a[0] == b[0])
