"""Spreadsheet downloads (XLSX): streamed, formula-safe (QUALITY.md R13), as attachments.

The order exports stream 100k rows at ≥ 50k rows/s (QUALITY.md P7), which XlsxWriter, at
about 7,700 rows/s for its per-cell work, cannot. So the file is written here by hand: a zip
of the few parts a workbook needs and one sheet of inline strings, produced row by row as
the query yields them and sent as it is made. Memory stays flat whatever the row count: one
batch of rows and the compressor's window. Text is always written as text (never a formula:
there is no formula cell here at all); text that a spreadsheet would still run as a formula
when edited or re-saved as CSV (starting with = + - @ tab or CR) gets a leading apostrophe.
Characters XML 1.0 cannot carry (most control characters) are dropped; text starting with
one gets the apostrophe too, as what follows it might start a formula.

A query's rows (`xlsx_query_response`, the order exports) have their cells made by the
database on PostgreSQL, by the same rules: Python then joins, compresses and sends.
"""

import enum
import math
import queue
import re
import threading
import zipfile
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, tzinfo
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from django.db import connections
from django.db.models import QuerySet
from django.http import StreamingHttpResponse
from django.utils import timezone
from django.utils.http import content_disposition_header

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MAX_CELL_TEXT = 32_767  # Excel's limit: a longer text makes it call the file corrupt
BATCH_ROWS = 500  # rows per write to the compressor and, at most, per chunk sent
TEXT_CACHE_SIZE = 10_000  # distinct texts whose cells are kept (bounded: numbers never repeat)

# What text needs before it goes into XML: what XML 1.0 forbids dropped, the markup
# characters escaped, and CR kept as a reference (a parser turns a literal one into LF).
_DROPPED_CHARACTERS = (
    "".join(map(chr, [*range(0x09), 0x0B, 0x0C, *range(0x0E, 0x20)])) + "\ufffe\uffff"
)
_DROPPED = re.compile(f"[{re.escape(_DROPPED_CHARACTERS)}\ud800-\udfff]")
_SPECIAL = re.compile(f"[&<>\r{re.escape(_DROPPED_CHARACTERS)}\ud800-\udfff]")
_REPLACEMENTS = {"&": "&amp;", "<": "&lt;", ">": "&gt;", "\r": "&#13;"}
_SPACES = frozenset(" \t\n\r")
# The dropped characters in UTF-8: the controls are single bytes no other character's
# encoding contains; the others (U+FFFE, U+FFFF) are sequences looked for as such.
_DROPPED_BYTES = "".join(c for c in _DROPPED_CHARACTERS if c.isascii()).encode()
_DROPPED_SEQUENCES = tuple(c.encode() for c in _DROPPED_CHARACTERS if not c.isascii())
# The apostrophe also goes before a first character that is dropped: what follows it might
# start a formula, and the cell must not become one by losing it.
_APOSTROPHE_FIRST = (
    frozenset(FORMULA_STARTS)
    | frozenset(_DROPPED_CHARACTERS)
    | frozenset(map(chr, range(0xD800, 0xE000)))
)
_SHEET_NAME_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")

_EXCEL_EPOCH = date(1899, 12, 30).toordinal()  # serial 0 in the 1900 date system
_BOLD, _DAY, _MOMENT = 1, 2, 3  # cellXfs in styles.xml

_CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" '
    'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" ContentType="application/'
    'vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/'
    'vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    '<Override PartName="/xl/styles.xml" ContentType="application/'
    'vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
    "</Types>"
)
_ROOT_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/officeDocument" Target="xl/workbook.xml"/>'
    "</Relationships>"
)
_WORKBOOK = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
    "<bookViews><workbookView/></bookViews>"
    '<sheets><sheet name="{name}" sheetId="1" r:id="rId1"/></sheets>'
    "</workbook>"
)
_WORKBOOK_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/worksheet" Target="worksheets/sheet1.xml"/>'
    '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/styles" Target="styles.xml"/>'
    "</Relationships>"
)
# Styles 0 (plain), 1 (bold: the header), 2 (a date), 3 (a date and time).
_STYLES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    '<numFmts count="2"><numFmt numFmtId="164" formatCode="yyyy-mm-dd"/>'
    '<numFmt numFmtId="165" formatCode="yyyy-mm-dd hh:mm"/></numFmts>'
    '<fonts count="2"><font><sz val="11"/><name val="Calibri"/></font>'
    '<font><b/><sz val="11"/><name val="Calibri"/></font></fonts>'
    '<fills count="2"><fill><patternFill patternType="none"/></fill>'
    '<fill><patternFill patternType="gray125"/></fill></fills>'
    '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/>'
    "</cellStyleXfs>"
    '<cellXfs count="4"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
    '<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/>'
    '<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    '<xf numFmtId="165" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    "</cellXfs>"
    '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
    "</styleSheet>"
)
# The header row stays in view while scrolling.
_SHEET_START = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    '<sheetViews><sheetView workbookViewId="0">'
    '<pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/>'
    "</sheetView></sheetViews><sheetData>"
)
_SHEET_END = "</sheetData></worksheet>"


def formula_safe(value: object) -> str:
    """The value as text a spreadsheet shows as it is: an apostrophe before = + - @ tab CR."""
    text = str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def _replacement(match: re.Match[str]) -> str:
    return _REPLACEMENTS.get(match.group(), "")


def _text(value: str, style: str = "") -> str:
    """A text cell's XML (`style`: its s attribute): formula-safe, within Excel's length,
    escaped, without what XML cannot carry."""
    if value[0] in _APOSTROPHE_FIRST:
        value = "'" + value
    if len(value) > MAX_CELL_TEXT:
        value = value[:MAX_CELL_TEXT]
    if _SPECIAL.search(value) is not None:
        value = _SPECIAL.sub(_replacement, value)  # never empty: its first character stays
    if value[0] in _SPACES or value[-1] in _SPACES or value.endswith("&#13;"):
        return f'<c{style} t="inlineStr"><is><t xml:space="preserve">{value}</t></is></c>'
    return f'<c{style} t="inlineStr"><is><t>{value}</t></is></c>'


def _row_cells(row: Sequence[Any], zone: tzinfo, texts: dict[str, str]) -> str:
    """One row's cells: numbers as numbers, dates as dates (in `zone`), the rest as text.

    Cells carry no reference: an empty one is written as <c/>, so each cell's column is its
    place in the row (the reference is optional, and formatting one per cell was a good part
    of the time). `texts` keeps the cells of texts seen before: statuses, names and
    currencies repeat on every row."""
    cells: list[str] = []
    append = cells.append
    for value in row:
        kind = type(value)
        if kind is str:
            cell = texts.get(value)
            if cell is None:
                cell = _text(value)
                if len(texts) < TEXT_CACHE_SIZE:
                    texts[value] = cell
            append(cell)
        elif value is None:
            append("<c/>")
        elif kind is int or (kind is Decimal and value.is_finite()):
            append("<c><v>" + str(value) + "</v></c>")
        elif kind is datetime:
            local = value.astimezone(zone) if value.tzinfo is not None else value
            seconds = local.hour * 3600 + local.minute * 60 + local.second
            # The day's fraction in ten digits from integers (exact to well under a second):
            # a float's repr cost more than all the row's other cells.
            fraction = (seconds * 10**10 + 43_200) // 86_400
            day = local.toordinal() - _EXCEL_EPOCH
            append(f'<c s="{_MOMENT}"><v>{day}.{fraction:010d}</v></c>')
        elif kind is date:
            append(f'<c s="{_DAY}"><v>{value.toordinal() - _EXCEL_EPOCH}</v></c>')
        elif kind is bool:
            append(f'<c t="b"><v>{int(value)}</v></c>')
        elif kind is float and math.isfinite(value):
            append(f"<c><v>{value!r}</v></c>")
        else:  # lazy translations, str subclasses, anything else: its text
            text = str(value)
            append(_text(text) if text else "<c/>")
    return "".join(cells)


def _read_ahead(cursor: Any, database_errors: Any) -> Iterator[list[Any]]:
    """The batches of `cursor` (psycopg's own, executed), each fetched by a thread of its own
    while the one before is being written. The thread waits on the database's answer and the
    export on the compressor, both with the GIL released, so PostgreSQL making the next
    cells and Python zipping the last ones run at once on two cores instead of taking turns
    (P7-export; decisions.md, 2026-12-06). The cursor is the thread's alone until it ends;
    at most two batches wait. An error there is raised here, as Django's (`database_errors`,
    the connection's wrapper)."""
    batches: queue.Queue[list[Any] | BaseException | None] = queue.Queue(maxsize=2)
    stop = threading.Event()

    def put(item: list[Any] | BaseException | None) -> None:
        while not stop.is_set():  # the export may end early: a client gone
            try:
                batches.put(item, timeout=0.1)
                return
            except queue.Full:
                continue

    def fetch() -> None:
        try:
            while not stop.is_set() and (batch := cursor.fetchmany(SQL_FETCH_ROWS)):
                put(batch)
        except Exception as error:  # handed over to the export, raised there
            put(error)
            return
        put(None)

    reader = threading.Thread(target=fetch, name="export-read-ahead", daemon=True)
    reader.start()
    try:
        while (item := batches.get()) is not None:
            if isinstance(item, BaseException):
                with database_errors:
                    raise item
            yield item
    finally:
        stop.set()
        reader.join()


def _xml_bytes(text: str) -> bytes:
    """`text` in UTF-8 without the characters XML cannot carry: dropped from the bytes of a
    whole batch of rows in one pass, which costs a tenth of looking for them row by row."""
    try:
        data = text.encode()
    except UnicodeEncodeError:  # a lone surrogate: only a Python string can hold one
        return _DROPPED.sub("", text).encode()
    data = data.translate(None, _DROPPED_BYTES)
    # Both sequences start with 0xEF, which a one-byte search finds at memory speed.
    if b"\xef" in data and any(sequence in data for sequence in _DROPPED_SEQUENCES):
        return _DROPPED.sub("", data.decode()).encode()
    return data


class _Chunks:
    """The zip's output, collected until the next chunk is sent (a stream: no seeking)."""

    def __init__(self) -> None:
        self.parts: list[bytes] = []

    def write(self, data: bytes, /) -> int:
        self.parts.append(bytes(data))
        return len(data)

    def flush(self) -> None:
        pass

    def close(self) -> None:
        pass

    def take(self) -> bytes:
        data = b"".join(self.parts)
        self.parts.clear()
        return data


def _workbook(*, sheet: str, header: Sequence[str], rows: Iterable[str]) -> Iterator[bytes]:
    """The bytes of an XLSX file of `header` (bold) and `rows` (each one's cells' XML), as
    they are produced. Strings are inline, so nothing has to be kept for the end."""
    name = _SHEET_NAME_FORBIDDEN.sub(" ", _DROPPED.sub("", sheet))[:31].strip() or "Sheet1"
    name = _SPECIAL.sub(_replacement, name).replace('"', "&quot;")
    out = _Chunks()
    # Level 1: the sheet's XML is repetitive enough that stronger levels gain little and
    # cost the export its speed.
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as book:
        book.writestr("[Content_Types].xml", _CONTENT_TYPES)
        book.writestr("_rels/.rels", _ROOT_RELS)
        book.writestr("xl/workbook.xml", _WORKBOOK.format(name=name))
        book.writestr("xl/_rels/workbook.xml.rels", _WORKBOOK_RELS)
        book.writestr("xl/styles.xml", _STYLES)
        yield out.take()
        with book.open("xl/worksheets/sheet1.xml", "w") as part:
            bold = f' s="{_BOLD}"'
            titles = "".join(_text(str(title), bold) if title else "<c/>" for title in header)
            batch = [_SHEET_START, f'<row r="1">{titles}</row>']
            for number, cells in enumerate(rows, start=2):
                batch.append(f'<row r="{number}">{cells}</row>')
                if len(batch) >= BATCH_ROWS:
                    part.write(_xml_bytes("".join(batch)))
                    batch.clear()
                    if out.parts:
                        yield out.take()
            batch.append(_SHEET_END)
            part.write(_xml_bytes("".join(batch)))
    yield out.take()


def xlsx_stream(
    *, sheet: str, header: Sequence[str], rows: Iterable[Sequence[Any]], zone: tzinfo
) -> Iterator[bytes]:
    """The bytes of an XLSX file of `header` (bold) and `rows`, as they are produced.
    Date-times are shown in `zone`."""
    texts = {"": "<c/>"}
    cells = (_row_cells(row, zone, texts) for row in rows)
    return _workbook(sheet=sheet, header=header, rows=cells)


def _attachment(filename: str, body: Iterator[bytes]) -> StreamingHttpResponse:
    response = StreamingHttpResponse(body, content_type=XLSX_TYPE)
    response["Content-Disposition"] = content_disposition_header(True, filename)
    response["X-Content-Type-Options"] = "nosniff"
    return response


def xlsx_response(
    filename: str, *, sheet: str, header: Sequence[str], rows: Iterable[Sequence[Any]]
) -> StreamingHttpResponse:
    """An XLSX download of `rows`, streamed while they are read. Date-times are shown in the
    time zone active now: the body is produced after the view has returned."""
    zone = timezone.get_current_timezone()
    return _attachment(filename, xlsx_stream(sheet=sheet, header=header, rows=rows, zone=zone))


class Cell(enum.Enum):
    """How a column of a query's rows is written (`xlsx_query_response`)."""

    TEXT = "text"
    NUMBER = "number"  # an integer or a decimal
    DAY = "day"  # a date
    MOMENT = "moment"  # a date and time, shown in the time zone active now


@dataclass(frozen=True)
class Labelled:
    """A text column of stored values shown as their labels (a choice field's, translated);
    a value without one is shown as it is."""

    labels: Mapping[str, str]


Column = Cell | Labelled
SQL_FETCH_ROWS = 5000  # rows per fetch from the database


def xlsx_query_stream(
    *,
    sheet: str,
    header: Sequence[str],
    rows: QuerySet[Any],
    columns: Sequence[Column],
    zone: tzinfo,
    in_database: bool,
) -> Iterator[bytes]:
    """The bytes of an XLSX file of a `values_list` query's rows, each value written as its
    column says, as they are read. `in_database` (PostgreSQL only; `zone` must then be a
    ZoneInfo, whose name PostgreSQL knows too): the database makes the cells, the same ones."""
    if in_database:
        if not isinstance(zone, ZoneInfo):
            raise ValueError(f"the database needs the zone's name, and {zone!r} has none")
        cells = _sql_made_rows(rows, columns, zone.key)
        return _workbook(sheet=sheet, header=header, rows=cells)
    labelled = [
        (place, column.labels)
        for place, column in enumerate(columns)
        if isinstance(column, Labelled)
    ]

    def shown() -> Iterator[list[Any]]:
        for values in rows.iterator(chunk_size=SQL_FETCH_ROWS):
            row = list(values)
            for place, labels in labelled:
                row[place] = labels.get(row[place], row[place])
            yield row

    return xlsx_stream(sheet=sheet, header=header, rows=shown(), zone=zone)


def xlsx_query_response(
    filename: str,
    *,
    sheet: str,
    header: Sequence[str],
    rows: QuerySet[Any],
    columns: Sequence[Column],
) -> StreamingHttpResponse:
    """An XLSX download of a `values_list` query's rows, streamed while they are read.
    Date-times are shown in the time zone active now.

    On PostgreSQL the database makes each row's cells (`_sql_made_rows`). Python's share is
    then one string a row: half the Python work of making the cells one value at a time, and
    a fifth faster in all on our machine (QUALITY.md P7; decisions.md 2026-12-03, third)."""
    zone = timezone.get_current_timezone()
    in_database = connections[rows.db].vendor == "postgresql" and isinstance(zone, ZoneInfo)
    body = xlsx_query_stream(
        sheet=sheet, header=header, rows=rows, columns=columns, zone=zone, in_database=in_database
    )
    return _attachment(filename, body)


# The rules of `_text`, in SQL, but for dropping what XML cannot carry: that is done to
# the whole row (`_sql_made_rows`). Always xml:space="preserve": for text without spaces at
# its ends it changes nothing, and it saves testing for them.
_SQL_APOSTROPHE_FIRST = ", ".join(  # PostgreSQL's text holds no NUL and no surrogates
    str(code) for code in sorted(map(ord, _APOSTROPHE_FIRST)) if 0 < code < 0xD800 or code > 0xDFFF
)
_SQL_TEXT_CELL = (
    """COALESCE('<c t="inlineStr"><is><t xml:space="preserve">' || NULLIF("""
    "replace(replace(replace(replace(left("
    f"CASE WHEN ascii({{v}}) IN ({_SQL_APOSTROPHE_FIRST}) THEN '''' || {{v}} ELSE {{v}} END,"
    f" {MAX_CELL_TEXT}), '&', '&amp;'), '<', '&lt;'), '>', '&gt;'), chr(13), '&#13;'),"
    " '') || '</t></is></c>', '<c/>')"
)
_SQL_NUMBER_CELL = "COALESCE('<c><v>' || {v}::text || '</v></c>', '<c/>')"
_SQL_EPOCH = "DATE '1899-12-30'"  # serial 0 in the 1900 date system
_SQL_DAY_CELL = f"""COALESCE('<c s="{_DAY}"><v>' || ({{v}} - {_SQL_EPOCH}) || '</v></c>', '<c/>')"""
# {v} is the local date and time here. The fraction is made as in `_row_cells`, from whole
# seconds with integers, so both writers give the same digits.
_SQL_MOMENT_CELL = (
    f"""COALESCE('<c s="{_MOMENT}"><v>' || ({{v}}::date - {_SQL_EPOCH}) || '.' || lpad(("""
    "(floor(EXTRACT(EPOCH FROM {v}::time))::bigint * 10000000000 + 43200) / 86400)::text,"
    " 10, '0') || '</v></c>', '<c/>')"
)
_SQL_CELLS = {
    Cell.TEXT: _SQL_TEXT_CELL,
    Cell.NUMBER: _SQL_NUMBER_CELL,
    Cell.DAY: _SQL_DAY_CELL,
    Cell.MOMENT: _SQL_MOMENT_CELL,
}


def _sql_made_rows(rows: QuerySet[Any], columns: Sequence[Column], zone: str) -> Iterator[str]:
    """Each row's cells, made by PostgreSQL around the query's own SQL (its filters and
    order untouched), read through a server-side cursor a batch at a time.

    Two levels over the query. The inner one names its columns by place (two may share a
    name: a partner's and a counterparty's "name") and turns date-times to local: once a
    value, as OFFSET 0 keeps PostgreSQL from folding it into the outer level, which refers
    to each one twice. What XML cannot carry can only be in the texts; it is dropped from
    the bytes of each batch of rows by `_workbook` (translate() on each text in SQL cost
    1.2 µs a value, more than making all the cells; looking for it row by row in Python,
    a third of the export)."""
    sql, params = rows.query.get_compiler(using=rows.db).as_sql()
    names = [f"c{place}" for place in range(len(columns))]
    values: list[str] = []
    value_params: list[Any] = []
    cells: list[str] = []
    cell_params: list[Any] = []
    for name, column in zip(names, columns, strict=True):
        if column is Cell.MOMENT:
            values.append(f"{name} AT TIME ZONE %s AS {name}")
            value_params.append(zone)
        else:
            values.append(name)
        if isinstance(column, Labelled):
            # Each label's cell is made by `_text` and passed as a parameter.
            whens = " ".join("WHEN %s THEN %s" for _ in column.labels)
            for value, label in column.labels.items():
                cell_params += [value, _text(label) if label else "<c/>"]
            cells.append(f"CASE {name} {whens} ELSE {_SQL_TEXT_CELL.format(v=name)} END")
        else:
            cells.append(_SQL_CELLS[column].format(v=name))
    # Our own fragments around Django's compiled SQL; every value is a parameter.
    outer, inner, renamed = " || ".join(cells), ", ".join(values), ", ".join(names)
    statement = (
        f"SELECT {outer} FROM (SELECT {inner} FROM ({sql}) AS query ({renamed})"  # noqa: S608
        " OFFSET 0) AS local_values"
    )
    connection = connections[rows.db]
    with connection.chunked_cursor() as cursor:
        cursor.execute(statement, [*cell_params, *value_params, *params])
        for batch in _read_ahead(cursor.cursor, connection.wrap_database_errors):
            for (row,) in batch:
                yield row  # what XML cannot carry is dropped by _workbook (_xml_bytes)
