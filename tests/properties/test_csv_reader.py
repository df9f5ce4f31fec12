"""Properties of the one CSV reader every import uses (recallcases.core.csv_files.CsvReader).

Whatever a staff member uploads, the reader either gives back exactly the rows a spreadsheet
wrote, in any encoding it may have saved them in, or refuses the file with CsvRefused: never
another exception (a 500), never a row changed on the way.
"""

import codecs
import csv
import io

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from recallcases.core.csv_files import CsvColumn, CsvReader, CsvRefused

COLUMNS = (CsvColumn("model", required=True), CsvColumn("serial"), CsvColumn("note"))

# What people type in a cell: any printable text, commas, quotes and line breaks included, but
# no NUL (refused on purpose) and no surrounding blanks (the reader strips cells).
cells = st.text(
    alphabet=st.characters(blacklist_categories=["Cs", "Cc"], blacklist_characters="\x00")
    | st.sampled_from([",", '"', "\n", "\r", ";"]),
    max_size=30,
).map(str.strip)
rows = st.lists(st.tuples(cells, cells, cells), min_size=1, max_size=20).filter(
    # a row of blanks is skipped as a blank line: leave it out of what must come back
    lambda rows: all("".join(row).strip() for row in rows)
)
ENCODINGS = {
    "utf-8": lambda text: text.encode("utf-8"),
    "utf-8 with a byte order mark": lambda text: codecs.BOM_UTF8 + text.encode("utf-8"),
    "utf-16": lambda text: text.encode("utf-16"),  # with its byte order mark
}


def written(rows, header=("model", "serial", "note")) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue()


def read(data: bytes) -> list[list[str]]:
    return [values for _line, values in CsvReader(io.BytesIO(data), columns=COLUMNS)]


@given(rows=rows, encoding=st.sampled_from(sorted(ENCODINGS)))
@example(rows=[("A3102", "ACCJRU1D16400841", 'He said "hot",\nthen smoke')], encoding="utf-16")
def test_rows_written_by_a_spreadsheet_come_back_unchanged_in_any_encoding(rows, encoding):
    data = ENCODINGS[encoding](written(rows))

    assert read(data) == [list(row) for row in rows]


@given(rows=rows)
def test_rows_saved_as_latin_1_come_back_unchanged(rows):
    text = written(rows)
    try:
        data = text.encode("latin-1")
    except UnicodeEncodeError:
        return  # text Latin-1 cannot hold is not what an old spreadsheet writes
    if data.isascii():
        return  # plain ASCII is read as UTF-8, the same text
    assert read(data) == [list(row) for row in rows]


@given(rows=rows, order=st.permutations(["model", "serial", "note"]))
def test_columns_are_found_by_name_in_any_order_and_case(rows, order):
    header = [name.upper() if i % 2 else f" {name} " for i, name in enumerate(order)]
    by_name = [dict(zip(order, row, strict=True)) for row in rows]
    data = written([tuple(row[name] for name in order) for row in by_name], header=header)

    assert read(data.encode()) == [[row["model"], row["serial"], row["note"]] for row in by_name]


@given(data=st.binary(max_size=2000))
@example(data=b"model,serial\r\nA3102,\x00\r\n")
@example(data=b'model\r\n"' + b"x" * 200_000)
@example(data=b"\xff\xfe" + "model\n".encode("utf-16-le")[:-1])
def test_any_bytes_are_read_or_refused_never_an_error(data):
    try:
        result = read(data)
    except CsvRefused as refused:
        assert str(refused)  # a message to show
        return
    assert all(len(values) == len(COLUMNS) for values in result)
    assert not any("\x00" in value for values in result for value in values)


@pytest.mark.parametrize("missing", ["model"])
def test_missing_required_column_is_refused_before_any_row(missing):
    with pytest.raises(CsvRefused):
        CsvReader(io.BytesIO(b"serial,note\nX,Y\n"), columns=COLUMNS)
