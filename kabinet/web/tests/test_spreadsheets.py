"""The streamed XLSX writer: a file both calamine and openpyxl read back with the values and
types written, formula-safe (R13), unbroken by control characters, sent as it is made."""

import io
import zipfile
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import openpyxl
from python_calamine import CalamineWorkbook

from kabinet.web.spreadsheets import XLSX_TYPE, _xml_bytes, xlsx_response, xlsx_stream

MOSCOW = ZoneInfo("Europe/Moscow")
# What the readers give back: local time, naive (a spreadsheet has no time zone).
AT_MOSCOW = datetime(2026, 5, 1, 13, 30, tzinfo=UTC).replace(tzinfo=None)
MIDNIGHT = datetime(2026, 5, 3, tzinfo=UTC).replace(tzinfo=None)
HEADER = ["Number", "Date", "Day", "Count", "Total", "Text", "Flag", "Ratio"]
ROW = (
    "K-000123",
    datetime(2026, 5, 1, 10, 30, tzinfo=UTC),  # 13:30 in Moscow
    date(2026, 5, 3),
    12,
    Decimal("12345.67"),
    "Партнёр & Co <b>",
    True,
    0.25,
)


def _book(rows: list[tuple[Any, ...]], header: list[str] = HEADER) -> bytes:
    return b"".join(xlsx_stream(sheet="Orders", header=header, rows=rows, zone=MOSCOW))


def _calamine(data: bytes) -> list[list[Any]]:
    rows: list[list[Any]] = (
        CalamineWorkbook.from_filelike(io.BytesIO(data)).get_sheet_by_index(0).to_python()
    )
    return rows


def _openpyxl(data: bytes) -> list[tuple[Any, ...]]:
    sheet = openpyxl.load_workbook(io.BytesIO(data)).active
    assert sheet is not None
    return [tuple(cell.value for cell in row) for row in sheet.iter_rows()]


def test_values_and_types_read_back_in_both_readers() -> None:
    data = _book([ROW])
    header, row = _calamine(data)
    assert header == HEADER
    assert row[0] == "K-000123"
    assert row[1] == AT_MOSCOW  # a date-time, in the zone given
    assert row[2] == date(2026, 5, 3)  # a date
    assert row[3] == 12
    assert isinstance(row[3], int | float)
    assert row[4] == 12345.67
    assert isinstance(row[4], float)
    assert row[5] == "Партнёр & Co <b>"
    assert row[6] is True
    assert row[7] == 0.25

    header_cells, cells = _openpyxl(data)
    assert list(header_cells) == HEADER
    assert cells[:2] == ("K-000123", AT_MOSCOW)
    assert cells[2] == MIDNIGHT  # openpyxl reads every date as a datetime
    assert cells[3:] == (12, 12345.67, "Партнёр & Co <b>", True, 0.25)

    sheet = openpyxl.load_workbook(io.BytesIO(data)).active
    assert sheet is not None
    assert sheet.title == "Orders"
    assert sheet["A1"].font.b  # the header is bold and stays in view
    assert sheet.freeze_panes == "A2"
    assert sheet["B2"].number_format == "yyyy-mm-dd hh:mm"
    assert sheet["C2"].number_format == "yyyy-mm-dd"


def test_formula_looking_text_stays_text() -> None:
    texts = ['=HYPERLINK("http://x")', "+1", "-2", "@SUM(A1)", "\tTAB", "\rCR", "=1+1"]
    data = _book([tuple(texts)], header=[f"c{n}" for n in range(len(texts))])
    for row in (_calamine(data)[1], _openpyxl(data)[1]):
        assert list(row) == ["'" + text for text in texts]
    with zipfile.ZipFile(io.BytesIO(data)) as book:
        sheet = book.read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in sheet
    assert 't="str"' not in sheet


def test_control_characters_do_not_break_the_file() -> None:
    nasty = "a\x00b\x01c\x08d\x0be\x0cf\x1fg\ufffeh\uffffi"
    written = ("K-1", nasty, "line\nbreak", "  padded  ", "", None, "x" * 40_000, "\x01=1")
    data = _book([written])
    for row in (_calamine(data)[1], _openpyxl(data)[1]):
        assert row[0] == "K-1"
        assert row[1] == "abcdefghi"
        assert row[2] == "line\nbreak"
        assert row[3] == "  padded  "  # spaces kept
        assert row[4] in ("", None)
        assert row[5] in ("", None)
        assert row[6] == "x" * 32_767  # Excel's limit per cell
        assert row[7] == "'=1"  # not a formula for losing the character before it


def test_many_rows_stream_in_chunks() -> None:
    def rows() -> Iterator[tuple[Any, ...]]:
        for n in range(5_000):
            moment = datetime(2026, 1, 1, tzinfo=UTC) + timedelta(seconds=n * 17)
            yield (f"K-{n:06d}", moment, n, Decimal(n) / 100)

    chunks = list(xlsx_stream(sheet="Orders", header=["a", "b", "c", "d"], rows=rows(), zone=UTC))
    assert len(chunks) > 3  # sent as it is made, not at the end
    data = b"".join(chunks)
    read = _calamine(data)
    assert len(read) == 5_001
    assert read[-1][0] == "K-004999"
    assert read[-1][2] == 4999
    last = datetime(2026, 1, 1, tzinfo=UTC) + timedelta(seconds=4999 * 17)
    assert read[-1][1] == last.replace(tzinfo=None)  # to the second
    assert len(_openpyxl(data)) == 5_001
    assert _openpyxl(data)[-1][1] == last.replace(tzinfo=None)


def test_the_response_is_a_streamed_attachment() -> None:
    response = xlsx_response("orders-2026-12-01.xlsx", sheet="Orders", header=HEADER, rows=[ROW])
    assert response.streaming
    assert response["Content-Type"] == XLSX_TYPE
    assert response["Content-Disposition"] == 'attachment; filename="orders-2026-12-01.xlsx"'
    assert response["X-Content-Type-Options"] == "nosniff"
    data = b"".join(response.streaming_content)  # type: ignore[arg-type]
    assert _calamine(data)[1][0] == "K-000123"


def test_what_xml_cannot_carry_is_dropped_from_a_batch_s_bytes() -> None:
    """The database-made rows (PostgreSQL's export) reach the file through `_xml_bytes`
    unchecked: it must drop every character XML 1.0 forbids and keep the rest."""
    kept = "Кириллица \t\n\r ok &amp; \ufffd \uffef 😀"
    for dropped in ("\x00", "\x01", "\x08", "\x0b", "\x0c", "\x0e", "\x1f", "\ufffe", "\uffff"):
        assert _xml_bytes(f"{dropped}{kept}{dropped}{dropped}") == kept.encode(), repr(dropped)
    assert _xml_bytes(f"a\ud800b{kept}") == f"ab{kept}".encode()  # a lone surrogate
    assert _xml_bytes(kept) == kept.encode()
