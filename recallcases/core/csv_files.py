"""CSV files in and out: one reader for every staff import, one writer for every export.

The reader takes an upload (or a file opened in binary) and gives its rows one at a time as
(line number, {column: value}); what a valid row is stays with each app's service. Whatever is
wrong with the file as a whole (too big, not text, a NUL, a missing column, a field that never
ends) raises `CsvRefused`, whose message is fit to show the person who sent it.

Encoding, decided once for the whole file before any row is read:
- a UTF-8 byte order mark → UTF-8; a UTF-16 one (either byte order) → UTF-16;
- no mark → UTF-8 if every byte of the file decodes as UTF-8 (checked in one streaming pass),
  else Latin-1, which any byte decodes as: a list saved as "CSV" by an older spreadsheet.
"""

import codecs
import csv
import io
import itertools
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from operator import itemgetter

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

# A report lists this many problem lines of each kind (the first by line) and counts them all:
# a file of a million bad rows must fill neither the memory nor the page.
REPORT_LIST_LIMIT = 1000
# A physical line longer than this is refused before the csv module parses it, so that a file
# of one endless line never sits in memory whole. (A field over csv.field_size_limit(), 128 Ki
# characters unless changed, is refused by the csv module; its error is caught below.)
MAX_LINE_CHARS = 1024 * 1024
# Bytes read at a time when checking the encoding.
_CHUNK = 1024 * 1024
# A spreadsheet runs a cell that starts with one of these as a formula; consumers type the fields.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


class CsvRefused(Exception):
    """A file that cannot be read at all; `message` is fit to show the person who sent it."""

    def __init__(self, message):
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return str(self.message)


@dataclass(frozen=True)
class CsvColumn:
    """A column an import reads: its name, whether the header must have it, other names for it."""

    name: str
    required: bool = False
    aliases: tuple[str, ...] = ()


class LineList(list):
    """(line, text) pairs of a file's problem rows: the first `limit` kept, every one counted.

    Only `append` adds (so the count stays right); `total` is how many were appended, `more`
    how many of them are not listed.
    """

    def __init__(self, limit: int = REPORT_LIST_LIMIT):
        super().__init__()
        self.limit = limit
        self.total = 0

    def append(self, item) -> None:
        self.total += 1
        if len(self) < self.limit:
            super().append(item)

    @property
    def more(self) -> int:
        return self.total - len(self)


def header_key(cell: str) -> str:
    """A header cell as a column name: "Tracking Number", " tracking-number " → tracking_number."""
    return "_".join(cell.replace("-", " ").replace("_", " ").split()).casefold()


def too_big_message(max_bytes: int) -> str:
    return _("The file is larger than %(max)d MB. Split it and upload each part.") % {
        "max": max_bytes // (1024 * 1024)
    }


class CsvFileField(forms.FileField):
    """A CSV file of at most `max_bytes` (each staff page sets its own)."""

    widget = forms.ClearableFileInput(attrs={"accept": ".csv,text/csv"})

    def __init__(self, *, max_bytes: int, **kwargs):
        kwargs.setdefault("label", gettext_lazy("CSV file"))
        super().__init__(**kwargs)
        self.max_bytes = max_bytes

    def clean(self, data, initial=None):
        upload = super().clean(data, initial)
        if upload and upload.size > self.max_bytes:
            raise forms.ValidationError(too_big_message(self.max_bytes), code="too_big")
        return upload


class CsvReader:
    """The rows of a CSV file after its header, read one at a time, never the whole file.

    `file` is binary (an upload, a file opened "rb": its encoding is found as the module says)
    or text (already decoded). The header, the first line that is not blank, is read now: a
    missing required column raises CsvRefused before any row is read.

    Iterating gives (line number, values) for each row that is not blank: the line numbers are
    the file's (the header is line 1 if it comes first), the values stripped and in the order of
    `columns`, "" for a column the header does not name. (A list, not a dict: a registry of a
    million rows is read a second sooner.) A problem found on the way (a NUL, a line or a field
    too long, more than `max_rows` rows, bytes that do not decode) raises CsvRefused then, and
    so does a file with a header but no rows once its end is reached.
    """

    def __init__(
        self,
        file,
        *,
        columns: Iterable[CsvColumn],
        max_bytes: int | None = None,
        max_rows: int | None = None,
    ):
        self.columns = tuple(columns)
        self.max_rows = max_rows
        # A wrapper made here is let go of at the end; a text file given is the caller's.
        self._wrapped = not isinstance(file, io.TextIOBase)
        self.encoding, self._text = _text_of(file, max_bytes=max_bytes)
        self._reader = csv.reader(_checked_lines(self._text))
        try:
            header = next((cells for cells in self._cells() if not _blank(cells)), None)
            if header is None:
                raise CsvRefused(_("The file is empty."))
            self._positions = _positions(header=header, columns=self.columns)
        except CsvRefused:
            self.close()
            raise

    def __iter__(self) -> Iterator[tuple[int, list[str]]]:
        # Each column's cell, picked in C: a row is padded with empty cells, so that a short row
        # and a column the header does not name (the last cell, always one of the padding) read "".
        indexes = [self._positions.get(column.name, -1) for column in self.columns]
        padding = [""] * (max(indexes) + 2)
        cells_of = itemgetter(*indexes) if len(indexes) > 1 else lambda row: (row[indexes[0]],)
        max_rows = sys.maxsize if self.max_rows is None else self.max_rows
        reader = self._reader
        count = 0
        try:
            for cells in reader:
                if not "".join(cells).strip():  # a blank line
                    continue
                count += 1
                if count > max_rows:
                    raise CsvRefused(
                        _("The file has more than %(max)d rows. Split it and upload each part.")
                        % {"max": max_rows}
                    )
                cells += padding
                yield reader.line_num, [cell.strip() for cell in cells_of(cells)]
        except csv.Error as error:
            raise _unreadable(error, line=reader.line_num) from None
        finally:
            self.close()
        if not count:
            raise CsvRefused(_("The file has a header but no rows."))

    def _cells(self) -> Iterator[list[str]]:
        try:
            yield from self._reader
        except csv.Error as error:
            raise _unreadable(error, line=self._reader.line_num) from None

    def close(self) -> None:
        """Let go of the file without closing it: whoever opened it closes it."""
        if self._wrapped and self._text is not None:
            self._text.detach()
        self._text = None


def _unreadable(error: csv.Error, *, line: int) -> CsvRefused:
    if "field limit" in str(error):
        return CsvRefused(
            _(
                "Line %(line)d of the file has a field longer than %(max)s characters: "
                "is a quote left open?"
            )
            % {"line": line, "max": f"{csv.field_size_limit():,}"}
        )
    return CsvRefused(
        _("Line %(line)d of the file cannot be read as CSV (%(error)s).")
        % {"line": line, "error": error}
    )


def _blank(cells: list[str]) -> bool:
    return not cells or not "".join(cells).strip()


def _text_of(file, *, max_bytes: int | None) -> tuple[str, io.TextIOBase]:
    """The file's encoding and the file as text; CsvRefused if it is too big."""
    if isinstance(file, io.TextIOBase):
        return file.encoding or "text", file
    size = file.seek(0, io.SEEK_END)
    file.seek(0)
    if max_bytes is not None and size > max_bytes:
        raise CsvRefused(too_big_message(max_bytes))
    head = file.read(4)
    file.seek(0)
    if head.startswith(codecs.BOM_UTF8):
        encoding = "utf-8-sig"
    elif head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        encoding = "utf-16"  # the codec reads the mark and the byte order from it
    else:
        encoding = "utf-8" if _is_utf8(file) else "latin-1"
    return encoding, io.TextIOWrapper(file, encoding=encoding, newline="")


def _is_utf8(file) -> bool:
    """Whether every byte of the binary `file` decodes as UTF-8, read a chunk at a time."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        while chunk := file.read(_CHUNK):
            decoder.decode(chunk)
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    finally:
        file.seek(0)
    return True


def _checked_lines(text: io.TextIOBase) -> Iterator[str]:
    """The file's physical lines; CsvRefused at a NUL, a line too long or bytes not text.

    Read a chunk at a time and split in C (a line at a time from Python costs a second per
    million rows): each chunk is checked for a NUL whole, and a line is never longer in memory
    than MAX_LINE_CHARS.
    """
    return itertools.chain.from_iterable(_line_chunks(text))


def _line_chunks(text: io.TextIOBase) -> Iterator[list[str]]:
    """The file's lines, a chunk's worth at a time (see _checked_lines)."""
    before = 0  # lines handed out so far
    carry = ""  # the start of a line that the last chunk cut
    first = True
    while True:
        try:
            chunk = text.read(_CHUNK)
        except UnicodeDecodeError:
            raise CsvRefused(
                _("The file is not UTF-8 text. Save it as “CSV UTF-8” and upload it again.")
            ) from None
        if first and chunk.startswith("\ufeff"):
            chunk = chunk[1:]  # a byte order mark that a text reader left on
        first = False
        data = carry + chunk
        # PostgreSQL refuses a NUL in text; a file holding one is not a CSV file anyway.
        if (at := data.find("\0")) >= 0:
            line = before + len(io.StringIO(data[:at] + "x", newline="").readlines())
            raise CsvRefused(
                _("The file is not CSV text: line %(line)d holds a NUL character.") % {"line": line}
            )
        # Split as csv reads lines: at \r\n, \n or \r, each line keeping its ending.
        lines = io.StringIO(data, newline="").readlines()
        # The last line may go on in the next chunk (and a \r may be half of a \r\n).
        carry = lines.pop() if chunk and lines and not lines[-1].endswith("\n") else ""
        if lines and max(map(len, lines)) > MAX_LINE_CHARS:
            longest = max(range(len(lines)), key=lambda index: len(lines[index]))
            raise _too_long(before + longest + 1)
        if len(carry) > MAX_LINE_CHARS:
            raise _too_long(before + len(lines) + 1)
        before += len(lines)
        if lines:
            yield lines
        if not chunk:
            return


def _too_long(line: int) -> CsvRefused:
    return CsvRefused(
        _("Line %(line)d of the file is longer than %(max)s characters.")
        % {"line": line, "max": f"{MAX_LINE_CHARS:,}"}
    )


def _positions(*, header: list[str], columns: tuple[CsvColumn, ...]) -> dict[str, int]:
    """Where each column is in the header; CsvRefused if a required one is missing."""
    keys = [header_key(cell) for cell in header]
    positions: dict[str, int] = {}
    for column in columns:
        for name in (column.name, *column.aliases):
            key = header_key(name)
            if keys.count(key) > 1:
                raise CsvRefused(
                    _("The column “%(column)s” appears twice in the header.") % {"column": key}
                )
            if key in keys:
                positions.setdefault(column.name, keys.index(key))
    missing = [column for column in columns if column.required and column.name not in positions]
    if missing:
        raise CsvRefused(_missing_message(columns=columns, missing=missing))
    return positions


def _missing_message(*, columns: tuple[CsvColumn, ...], missing: list[CsvColumn]) -> str:
    def named(column: CsvColumn) -> str:
        if not column.aliases:
            return column.name
        return _("%(column)s (or %(aliases)s)") % {
            "column": column.name,
            "aliases": ", ".join(column.aliases),
        }

    required = ", ".join(named(column) for column in columns if column.required)
    optional = ", ".join(named(column) for column in columns if not column.required)
    names = {"missing": ", ".join(column.name for column in missing), "required": required}
    if not optional:
        return (
            _(
                "The first line of the file must name the columns: %(required)s. "
                "Missing: %(missing)s."
            )
            % names
        )
    return _(
        "The first line of the file must name the columns: %(required)s, and optionally "
        "%(optional)s. Missing: %(missing)s."
    ) % {**names, "optional": optional}


# --- Writing --------------------------------------------------------------------------------------


def csv_cell(value) -> str:
    """The value as a CSV cell a spreadsheet shows as text, never runs as a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_PREFIXES) else text


class _Line:
    """A file-like object that hands back what csv.writer writes, one line at a time."""

    def write(self, text: str) -> str:
        return text


def csv_lines(*, header: Iterable[str], rows: Iterable[Iterable]) -> Iterator[str]:
    """The CSV lines of a header and rows, one at a time, every cell of the rows formula-safe."""
    writer = csv.writer(_Line())
    yield writer.writerow(list(header))
    for row in rows:
        yield writer.writerow([csv_cell(value) for value in row])
