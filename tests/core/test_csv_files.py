"""The shared CSV reader and writer (recallcases.core.csv_files), without a page or a database."""

import csv
import io

import pytest

from recallcases.core import csv_files
from recallcases.core.csv_files import (
    MAX_LINE_CHARS,
    CsvColumn,
    CsvReader,
    CsvRefused,
    LineList,
    csv_cell,
    csv_lines,
    header_key,
)

COLUMNS = (
    CsvColumn("email", required=True, aliases=("recipient", "email address")),
    CsvColumn("name"),
)
TEXT = "Email,Name\nrene@example.ca,René\n\n  ,  \ncamille@example.ca,Camille\n"


def rows(content, **options) -> list[tuple[int, dict[str, str]]]:
    """The rows as (line, {column: value}), for reading here."""
    file = io.BytesIO(content) if isinstance(content, bytes) else io.StringIO(content)
    reader = CsvReader(file, columns=COLUMNS, **options)
    return [(line, dict(zip(("email", "name"), values, strict=True))) for line, values in reader]


def refusal(content, **options) -> str:
    with pytest.raises(CsvRefused) as refused:
        rows(content, **options)
    return str(refused.value)


EXPECTED = [
    (2, {"email": "rene@example.ca", "name": "René"}),
    (5, {"email": "camille@example.ca", "name": "Camille"}),
]


@pytest.mark.parametrize(
    ("encoding", "found"),
    [
        ("utf-8", "utf-8"),
        ("utf-8-sig", "utf-8-sig"),
        ("utf-16", "utf-16"),  # with its byte order mark, little-endian here
        ("utf-16-be", "utf-16"),
        ("latin-1", "latin-1"),
    ],
)
def test_reader_finds_the_encoding_and_numbers_lines_as_the_file_does(encoding, found):
    content = TEXT.encode(encoding)
    if encoding == "utf-16-be":
        content = b"\xfe\xff" + content
    reader = CsvReader(io.BytesIO(content), columns=COLUMNS)
    assert reader.encoding == found
    assert list(reader) == [
        (2, ["rene@example.ca", "René"]),
        (5, ["camille@example.ca", "Camille"]),
    ]


def test_reader_takes_text_already_decoded_with_or_without_a_byte_order_mark():
    assert rows(TEXT) == EXPECTED
    assert rows("\ufeff" + TEXT) == EXPECTED


def test_reader_finds_a_column_by_any_name_case_and_spacing_aside():
    assert rows(" RECIPIENT ,NAME\nrene@example.ca,René\n") == [EXPECTED[0]]
    assert rows("Email-Address,name\nrene@example.ca,René\n") == [EXPECTED[0]]
    assert header_key(" Tracking  Number ") == header_key("tracking-number") == "tracking_number"


def test_reader_gives_an_empty_value_for_an_optional_column_or_a_short_row():
    assert rows("email\nrene@example.ca\n") == [(2, {"email": "rene@example.ca", "name": ""})]
    assert rows("name,email\nRené\n") == [(2, {"email": "", "name": "René"})]


def test_reader_takes_the_first_line_that_is_not_blank_as_the_header():
    assert rows("\n,\nemail,name\nrene@example.ca,René\n") == [
        (4, {"email": "rene@example.ca", "name": "René"})
    ]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "The file is empty."),
        (b"\n  \n,,\n", "The file is empty."),
        (b"email,name\n", "The file has a header but no rows."),
        (
            b"name\nRene\n",
            "The first line of the file must name the columns: email (or recipient, email "
            "address), and optionally name. Missing: email.",
        ),
        (b"email,Email\nx,y\n", "The column \u201cemail\u201d appears twice in the header."),
        (b"email,name\nrene@example.ca,Ren\x00e\n", "line 2 holds a NUL character"),
        (b"email\x00,name\n", "line 1 holds a NUL character"),
        # A UTF-16 file without its byte order mark is full of NULs.
        ("email,name\n".encode("utf-16-le"), "line 1 holds a NUL character"),
    ],
)
def test_reader_refuses_a_file_it_cannot_read(content, message):
    assert message in refusal(content)


def test_reader_refuses_a_field_over_the_csv_limit_with_its_line():
    field = "x" * (200 * 1024)
    message = refusal(f"email,name\nrene@example.ca,René\nrene@example.ca,{field}\n".encode())
    assert message == (
        f"Line 3 of the file has a field longer than {csv.field_size_limit():,} characters: "
        "is a quote left open?"
    )
    # and: a quote never closed makes one endless field of the rest of the file
    lines = "".join(f"a{n}@example.ca,x\n" for n in range(20_000))
    assert "has a field longer than" in refusal(f'email,name\n"{lines}'.encode())


def test_reader_refuses_a_line_too_long_without_reading_it_whole():
    message = refusal(b"email,name\n" + b"x," * MAX_LINE_CHARS + b"\n")
    assert message == f"Line 2 of the file is longer than {MAX_LINE_CHARS:,} characters."


def test_reader_refuses_a_file_over_its_size_or_row_limit():
    content = b"email\n" + b"rene@example.ca\n" * 70_000  # about 1.1 MB
    assert refusal(content, max_bytes=1024 * 1024) == (
        "The file is larger than 1 MB. Split it and upload each part."
    )
    assert "more than 100 rows" in refusal(content, max_rows=100)


def test_reader_refuses_text_that_does_not_decode():
    text = io.TextIOWrapper(io.BytesIO(b"email\nren\xe9@example.ca\n"), encoding="utf-8")
    with pytest.raises(CsvRefused, match="The file is not UTF-8 text"):
        list(CsvReader(text, columns=COLUMNS))


def test_reader_reads_row_by_row_and_leaves_the_file_open():
    # given: a file of 200,000 rows (about 5 MB), read from a binary file as uploads are
    content = b"email,name\n" + b"someone@example.ca,Someone\n" * 200_000
    file = io.BytesIO(content)
    reader = CsvReader(file, columns=COLUMNS)
    # when: read row by row, keeping none
    count = sum(1 for _row in reader)
    # then: every row, and the file is still the caller's to close
    assert count == 200_000
    assert not file.closed
    # and: when it refuses the file too
    refused = io.BytesIO(b"name\nRene\n")
    with pytest.raises(CsvRefused):
        CsvReader(refused, columns=COLUMNS)
    assert not refused.closed


def test_line_list_keeps_the_first_lines_and_counts_all():
    lines = LineList(limit=2)
    for line in range(2, 7):
        lines.append((line, "bad"))
    assert lines == [(2, "bad"), (3, "bad")]
    assert (len(lines), lines.total, lines.more) == (2, 5, 3)


def test_writer_makes_every_cell_text_a_spreadsheet_does_not_run():
    lines = list(csv_lines(header=["name", "note"], rows=[["=HYPERLINK(1)", None], ["a", 3]]))
    assert lines == ["name,note\r\n", "'=HYPERLINK(1),\r\n", "a,3\r\n"]
    assert csv_cell("-1") == "'-1" and csv_cell("a-1") == "a-1"


@pytest.mark.parametrize("chunk", [1, 2, 3, 7, 64])
def test_reader_reads_the_same_whatever_the_chunks_it_reads(monkeypatch, chunk):
    # given: chunks so small that line endings (\r\n too), quotes and lines fall across them
    monkeypatch.setattr(csv_files, "_CHUNK", chunk)
    text = (
        'email,name\r\nrene@example.ca,"René\r\nCôté"\r\n\r\ncamille@example.ca,Camille\rx@y.ca,Z'
    )
    # when / then: the lines are numbered as the file's
    assert rows(text.encode()) == [
        (3, {"email": "rene@example.ca", "name": "René\r\nCôté"}),
        (5, {"email": "camille@example.ca", "name": "Camille"}),
        (6, {"email": "x@y.ca", "name": "Z"}),
    ]
    assert "line 4 holds a NUL character" in refusal((text[:30] + "\r\n\r\n\0").encode())
