"""Reading an uploaded order file safely into a table of text cells (QUALITY.md R11, R12).

Only two kinds of file are read, each recognised by its content, not its name alone:

- **XLSX**: a ZIP archive beginning with a local file header, with `[Content_Types].xml` and
  an `xl/` part, and nothing before or after the archive (no polyglots). Before calamine
  parses it, its central directory is checked (at most 1,000 entries, at most 100 MB
  unpacked), then every entry is inflated once as a stream, bounded by its declared size and
  verified by its CRC (so a lying header is caught), XML parts with a DTD are refused
  (billion laughs, XXE), and the cells of each worksheet are counted: calamine allocates a
  dense grid from the first to the last cell, so a 10 kB sheet with one cell in A1 and one
  in XFD1048576 would ask for 512 GB and abort the process.
- **CSV**: text in UTF-8 (with or without a BOM), UTF-16 with a BOM or windows-1251, no NUL
  bytes, the delimiter sniffed among `;`, `,` and tab.

Every cell comes out as stripped text (numbers as their shortest decimal form), blank rows
are left out, and each row keeps its number in the file for the report.
"""

import codecs
import csv
import io
import re
import zipfile
import zlib
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

import python_calamine
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext as _

MAX_UPLOAD_BYTES = 10 * 1024 * 1024  # the file as uploaded
MAX_UNPACKED_BYTES = 100 * 1024 * 1024  # an XLSX's parts together, inflated
MAX_ZIP_ENTRIES = 1_000
MAX_DATA_ROWS = 100_000  # lines of an order file (QUALITY.md P4), a header row aside
MAX_SHEET_CELLS = 3_000_000  # calamine's dense grid: about 100 MB
MAX_COLUMNS = 50  # columns kept; cells to the right of them are dropped
MAX_CELL_CHARS = 100  # longer cells are cut (a code has at most 64 characters)
FORMATS = ("xlsx", "csv")
CSV_DELIMITERS = (";", ",", "\t")

_CHUNK = 1024 * 1024
_DTD = re.compile(rb"<!(DOCTYPE|ENTITY)", re.IGNORECASE)
# Cell and row references (r="B12", r="12"); any `r` attribute (a reference written any other
# way, with character references or lower case, is refused); the elements of cells and rows.
_REFERENCE = re.compile(rb"""\sr\s*=\s*["']([A-Z]*)([0-9]+)["']""")
_ANY_REFERENCE = re.compile(rb"\sr\s*=")
_CELL = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?c[\s/>]")
_ROW = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?row[\s/>]")
_OVERLAP = 64  # bytes carried from one chunk to the next so no match is split
_NAME_UNSAFE = re.compile(r"[^\w .()\[\]-]+")


@dataclass
class Table:
    """A sheet as text: `rows` are [row number, cell, cell, …], blank rows left out."""

    format: str
    rows: list[list[Any]] = field(default_factory=list)
    column_offset: int = 0  # the sheet's first column (0 = A): labels follow the file's

    @property
    def width(self) -> int:
        return max((len(row) - 1 for row in self.rows), default=0)


def _refuse(message: str, code: str) -> ValidationError:
    return ValidationError(message, code=code)


def _not_a_spreadsheet() -> ValidationError:
    return _refuse(
        _("This is not a spreadsheet we can read. Upload an XLSX (Excel) or CSV file."),
        "type",
    )


def file_name_clean(name: str) -> str:
    """The uploaded file's name for display and downloads: its last path part, only letters,
    digits, spaces and . ( ) [ ] - _, at most 100 characters. Empty when nothing is left."""
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = _NAME_UNSAFE.sub("_", name).strip(" ._")
    return name[-100:]


def file_format(name: str) -> str:
    """The format the name claims ('xlsx' or 'csv'); ValidationError for any other."""
    raw = name.replace("\\", "/")
    if "/" in raw or ".." in raw or raw.startswith("."):
        raise _refuse(_("The file name must not contain a path."), "name")
    suffix = raw.rsplit(".", 1)[-1].lower() if "." in raw else ""
    if suffix not in FORMATS:
        raise _refuse(_("Upload an XLSX (Excel) or CSV file."), "type")
    return suffix


# A request may carry a little more than the file: the multipart envelope, the token.
REQUEST_SLACK_BYTES = 64 * 1024


def body_too_large(content_length: str | None) -> bool:
    """R11: refuse an upload from the size the client declared, before the body is read."""
    length = content_length or "0"
    return not length.isdigit() or int(length) > MAX_UPLOAD_BYTES + REQUEST_SLACK_BYTES


def upload_read(uploaded: UploadedFile) -> Table:
    """table_read of an uploaded file, reading at most one byte over the limit."""
    return table_read(uploaded.read(MAX_UPLOAD_BYTES + 1), uploaded.name or "")


def table_read(data: bytes, name: str) -> Table:
    """The first worksheet of an XLSX, or a CSV, as a Table; ValidationError (with a message
    for people) when the file is not one, is too big, is a bomb or holds nothing."""
    kind = file_format(name)
    if len(data) > MAX_UPLOAD_BYTES:
        raise _refuse(
            _("The file is larger than %(size)s MB.") % {"size": MAX_UPLOAD_BYTES // 2**20},
            "too_large",
        )
    if not data:
        raise _refuse(_("The file is empty."), "empty")
    table = _xlsx_read(data) if kind == "xlsx" else _csv_read(data)
    if not table.rows:
        raise _refuse(_("The file has no rows."), "empty")
    if len(table.rows) > MAX_DATA_ROWS + 1:
        raise _refuse(
            _("The file has more than %(count)s rows.") % {"count": f"{MAX_DATA_ROWS:,}"},
            "too_many_rows",
        )
    return table


# --- XLSX ----------------------------------------------------------------------------------


def _zip_bounds_ok(data: bytes) -> bool:
    """The archive starts at byte 0 and its end record (with its comment) ends the file:
    nothing is hidden before or after it."""
    end = data.rfind(b"PK\x05\x06", max(0, len(data) - 65_557))
    if end < 0 or end + 22 > len(data):
        return False
    comment = int.from_bytes(data[end + 20 : end + 22], "little")
    return end + 22 + comment == len(data)


def _xlsx_check(data: bytes) -> None:
    """R12: refuse bombs before any parser runs (see the module's docstring)."""
    if not data.startswith(b"PK\x03\x04") or not _zip_bounds_ok(data):
        raise _not_a_spreadsheet()
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        entries = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError) as exc:
        raise _not_a_spreadsheet() from exc
    if len(entries) > MAX_ZIP_ENTRIES:
        raise _refuse(
            _("The file has more than %(count)s parts: it is not an order.")
            % {"count": f"{MAX_ZIP_ENTRIES:,}"},
            "bomb",
        )
    if sum(entry.file_size for entry in entries) > MAX_UNPACKED_BYTES:
        raise _refuse(
            _("Unpacked, the file would be larger than %(size)s MB.")
            % {"size": MAX_UNPACKED_BYTES // 2**20},
            "bomb",
        )
    names = {entry.filename for entry in entries}
    if "[Content_Types].xml" not in names or not any(n.startswith("xl/") for n in names):
        raise _not_a_spreadsheet()
    if any(entry.flag_bits & 0x1 for entry in entries):
        raise _refuse(_("The file is protected by a password."), "type")
    if min(entry.header_offset for entry in entries) != 0:
        raise _not_a_spreadsheet()
    for entry in entries:
        _entry_check(archive, entry)


def _entry_check(archive: zipfile.ZipFile, entry: zipfile.ZipInfo) -> None:
    name = entry.filename
    is_xml = name.endswith((".xml", ".rels"))
    sheet = _SheetBounds() if name.startswith("xl/worksheets/") and name.endswith(".xml") else None
    tail = b""
    try:
        with archive.open(entry) as stream:
            while chunk := stream.read(_CHUNK):
                window = tail + chunk
                if is_xml and _DTD.search(window):
                    raise _refuse(
                        _("The file contains a document type declaration: refused."), "bomb"
                    )
                if sheet is not None:
                    sheet.scan(window, tail)
                    if sheet.too_large():
                        raise _sheet_too_large()
                tail = window[-_OVERLAP:]
    except ValidationError:
        raise
    except (zipfile.BadZipFile, zlib.error, NotImplementedError, EOFError, OSError) as exc:
        raise _not_a_spreadsheet() from exc
    if sheet is not None and sheet.odd():
        raise _not_a_spreadsheet()


def _sheet_too_large() -> ValidationError:
    return _refuse(
        _("A sheet of the file is too large: at most %(rows)s rows and %(cells)s cells are read.")
        % {"rows": f"{MAX_DATA_ROWS:,}", "cells": f"{MAX_SHEET_CELLS:,}"},
        "bomb",
    )


@dataclass
class _SheetBounds:
    """How large a grid calamine would allocate for a worksheet, counted from its XML as it
    streams by. Cells and rows without a reference follow the previous one, so the grid is at
    most as high as the last row referenced plus the rows without one, and likewise wide."""

    max_row: int = 0
    max_column: int = 0
    cells: int = 0
    rows: int = 0
    cell_references: int = 0
    row_references: int = 0
    any_references: int = 0

    def scan(self, window: bytes, tail: bytes) -> None:
        """Count what `window` adds to what was counted in the window before, whose last
        bytes are `tail` (matches wholly inside `tail` were counted then)."""
        references = _REFERENCE.findall(window)
        if references:
            self.max_row = max(self.max_row, max(int(n) for n in {n for _, n in references}))
            letters = {letters for letters, _ in references if letters}
            if letters:
                widest = max(_column_number(column) for column in letters)
                self.max_column = max(self.max_column, widest)
        in_tail = _REFERENCE.findall(tail)
        cells = sum(1 for letters, _ in references if letters)
        cells_in_tail = sum(1 for letters, _ in in_tail if letters)
        self.cell_references += cells - cells_in_tail
        self.row_references += len(references) - cells - (len(in_tail) - cells_in_tail)
        self.any_references += len(_ANY_REFERENCE.findall(window)) - len(
            _ANY_REFERENCE.findall(tail)
        )
        self.cells += len(_CELL.findall(window)) - len(_CELL.findall(tail))
        self.rows += len(_ROW.findall(window)) - len(_ROW.findall(tail))

    def odd(self) -> bool:
        """An `r` attribute that is not a plain reference (checked once the sheet is read)."""
        return self.any_references != self.cell_references + self.row_references

    def too_large(self) -> bool:
        height = self.max_row + max(0, self.rows - self.row_references)
        width = self.max_column + max(0, self.cells - self.cell_references)
        return height > MAX_DATA_ROWS + 1_000 or height * max(width, 1) > MAX_SHEET_CELLS


def _column_number(letters: bytes) -> int:
    number = 0
    for letter in letters:
        number = number * 26 + (letter - 64)
    return number


def _cell_text(value: Any) -> str:
    if isinstance(value, str):
        return value.strip()[:MAX_CELL_CHARS]
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e16:
            return str(int(value))
        return repr(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, timedelta):
        return str(value)
    return "" if value is None else str(value).strip()[:MAX_CELL_CHARS]


def _xlsx_read(data: bytes) -> Table:
    _xlsx_check(data)
    try:
        workbook = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data))
        sheets = [
            index
            for index, sheet in enumerate(workbook.sheets_metadata)
            if sheet.typ == python_calamine.SheetTypeEnum.WorkSheet
            and sheet.visible == python_calamine.SheetVisibleEnum.Visible
        ]
        if not sheets:
            raise _refuse(_("The file has no visible worksheet."), "empty")
        sheet = workbook.get_sheet_by_index(sheets[0])
        end_row, end_column = sheet.end if sheet.end else (0, 0)
        table = Table(format="xlsx")
        raw = list(sheet.iter_rows())
    except ValidationError:
        raise
    except (python_calamine.CalamineError, ValueError, TypeError, OSError) as exc:
        raise _refuse(_("The file could not be read as a spreadsheet."), "unreadable") from exc
    finally:
        if "workbook" in locals():
            workbook.close()
    # iter_rows may start at row 1 or at the first row with data: number rows from the end.
    first_row = end_row + 1 - len(raw)
    if raw:
        table.column_offset = max(0, end_column + 1 - len(raw[0]))
    for index, cells in enumerate(raw):
        texts = [_cell_text(value) for value in cells[:MAX_COLUMNS]]
        while texts and not texts[-1]:
            texts.pop()
        if texts:
            table.rows.append([first_row + index + 1, *texts])
    return table


# --- CSV -----------------------------------------------------------------------------------


def _decode(data: bytes) -> str:
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise _not_a_spreadsheet() from exc
    if b"\x00" in data:
        raise _not_a_spreadsheet()
    for encoding in ("utf-8-sig", "cp1251"):
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        if encoding == "cp1251" and _looks_binary(text):
            break
        return text
    raise _refuse(
        _("The file's text encoding is not UTF-8 or Windows-1251: save it as CSV UTF-8."),
        "encoding",
    )


def _looks_binary(text: str) -> bool:
    """Control characters other than tab and line breaks: not text someone typed."""
    sample = text[:65_536]
    controls = sum(1 for char in sample if char < " " and char not in "\t\r\n")
    return controls > 0


def csv_delimiter(text: str) -> str:
    """The delimiter that splits the first lines into the same number (> 1) of fields most
    often; `;` first on a tie (what Excel writes where the decimal mark is a comma)."""
    lines = [line for line in text[:65_536].splitlines()[:50] if line.strip()]
    best, best_score = ";", (0, 0)
    for delimiter in CSV_DELIMITERS:
        counts = Counter(len(fields) for fields in csv.reader(lines, delimiter=delimiter))
        width, often = max(counts.items(), key=lambda item: (item[1], item[0]), default=(0, 0))
        score = (often, width) if width > 1 else (0, 0)
        if score > best_score:
            best, best_score = delimiter, score
    return best


def _csv_read(data: bytes) -> Table:
    text = _decode(data)
    if _looks_binary(text):
        raise _not_a_spreadsheet()
    delimiter = csv_delimiter(text)
    table = Table(format="csv")
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        for number, cells in enumerate(reader, start=1):
            texts = [cell.strip()[:MAX_CELL_CHARS] for cell in cells[:MAX_COLUMNS]]
            while texts and not texts[-1]:
                texts.pop()
            if texts:
                table.rows.append([number, *texts])
                if len(table.rows) > MAX_DATA_ROWS + 1:
                    break
    except csv.Error as exc:
        raise _refuse(_("The file could not be read as CSV."), "unreadable") from exc
    return table
