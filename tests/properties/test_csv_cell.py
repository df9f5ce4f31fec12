"""Properties of the formula-safe CSV cell: a spreadsheet shows what was typed, never runs it."""

import csv
import io

from hypothesis import example, given
from hypothesis import strategies as st

try:  # the shared CSV helpers' home once the CSV branch lands
    from recallcases.core.csv_files import FORMULA_PREFIXES, csv_cell
except ImportError:
    from recallcases.claims.fulfilment_csv import FORMULA_PREFIXES, csv_cell

# Text as consumers type it into the fields the shipping list exports, formula starts included.
cells = st.one_of(
    st.text(st.characters(codec="utf-8"), max_size=60),
    st.tuples(
        st.sampled_from(["=", "+", "-", "@", "\t", "\r", "'", '"']), st.text(max_size=30)
    ).map("".join),
)


@given(text=cells)
@example(text='=HYPERLINK("http://x","y")')
@example(text="+1 613 555 0100")
@example(text="-5")
@example(text="@SUM(A1)")
@example(text="\t=1")
@example(text="\r=1")
@example(text="'=already quoted")
def test_csv_cell_never_starts_with_a_formula(text):
    cell = csv_cell(text)
    assert not cell.startswith(FORMULA_PREFIXES)
    # what the spreadsheet shows is the text, behind at most the one quote that keeps it text
    assert cell in (text, "'" + text)
    assert (cell != text) == text.startswith(FORMULA_PREFIXES)


@given(value=st.one_of(st.none(), st.integers(), st.floats(allow_nan=False), st.booleans()))
def test_csv_cell_writes_values_as_their_text(value):
    cell = csv_cell(value)
    text = "" if value is None else str(value)
    assert cell == ("'" + text if text.startswith(FORMULA_PREFIXES) else text)


@given(row=st.lists(cells, min_size=1, max_size=8))
@example(row=["a\r\nb", '"quoted"', "=1", "", "\r"])
def test_csv_row_round_trips_apart_from_the_safety_quote(row):
    # given
    written = io.StringIO()
    csv.writer(written).writerow([csv_cell(text) for text in row])
    # when
    read = next(csv.reader(io.StringIO(written.getvalue(), newline="")))
    # then
    assert len(read) == len(row)
    for text, cell in zip(row, read, strict=True):
        unquoted = cell[1:] if text.startswith(FORMULA_PREFIXES) else cell
        assert unquoted == text
