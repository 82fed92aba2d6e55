"""The order export's cells made by PostgreSQL are the cells Python makes: the same values
and types, in both readers, for the texts, dates and labels that are hardest to get right."""

import io
import random
import threading
from collections.abc import Generator
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import openpyxl
import pytest
from django.db import connection
from django.db.models import CharField, Value
from django.test import Client
from django.urls import reverse
from python_calamine import CalamineWorkbook

from kabinet.accounts.models import User
from kabinet.orders.models import Order, OrderStatus
from kabinet.orders.selectors import OrderFilters, order_export_rows
from kabinet.orders.tests.factories import placed_order
from kabinet.partners.models import Partner
from kabinet.web import spreadsheets
from kabinet.web.spreadsheets import Cell, Column, Labelled, xlsx_query_stream

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the database makes the cells on PostgreSQL only"
)

VLADIVOSTOK = ZoneInfo("Asia/Vladivostok")  # UTC+10: a UTC date and the local one differ
NASTY = [
    "",
    " ",
    "  padded  ",
    "=1+1",
    '=HYPERLINK("http://x")',
    "+7 900",
    "-5",
    "@SUM(A1)",
    "\tTAB",
    "\rCR",
    "CR at the end\r",
    "tab at the end\t",
    "line\nbreak",
    "\n",
    "\x01=1",  # the apostrophe is not lost to the dropped character before it
    "\x01\x0b\x1f",  # only the apostrophe is left
    "a\x01b\x08c\x0bd\x0ce\x1ff\ufffeg\uffffh",
    "Партнёр & Co <b> > 'q' \"dq\"",
    "&amp; stays as typed",
    "emoji 😀 and ñ",
    "x" * 32_766 + "&<>",  # cut at Excel's limit before escaping
    "=" + "y" * 40_000,
]


def _local(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0
) -> datetime:
    """A date and time as the readers give it back: naive (a spreadsheet has no zone)."""
    return datetime(year, month, day, hour, minute, second, tzinfo=UTC).replace(tzinfo=None)


def _cells(data: bytes) -> tuple[list[list[Any]], list[list[Any]]]:
    """Every cell's value as calamine and openpyxl read it (empty as "" and None alike)."""
    calamine = CalamineWorkbook.from_filelike(io.BytesIO(data)).get_sheet_by_index(0).to_python()
    sheet = openpyxl.load_workbook(io.BytesIO(data)).active
    assert sheet is not None
    opened = [[cell.value for cell in row] for row in sheet.iter_rows()]
    return (
        [[value if value != "" else None for value in row] for row in calamine],
        [[value if value != "" else None for value in row] for row in opened],
    )


def _both(rows: Any, columns: list[Column], zone: ZoneInfo = VLADIVOSTOK) -> list[bytes]:
    """The file as the database makes its cells, and as Python does."""
    header = [f"c{place}" for place in range(len(columns))]
    books = []
    for in_database in (True, False):
        stream = xlsx_query_stream(
            sheet="Orders", header=header, rows=rows, columns=columns, zone=zone,
            in_database=in_database,
        )  # fmt: skip
        books.append(b"".join(stream))
    return books


def test_texts_give_the_same_cells(partner_a: Partner, partner_user: User) -> None:
    order = placed_order(partner_a, partner_user, lines=1)
    generated = random.Random(20261203)  # noqa: S311 (test data, the same every run)
    alphabet = ["=", "+", "-", "@", "\t", "\r", "\n", " ", "&", "<", ">", "'", "\x01", "\x1f",
                "\ufffe", "a", "я", "😀"]  # fmt: skip
    texts = NASTY + [
        "".join(generated.choice(alphabet) for _ in range(generated.randrange(1, 6)))
        for _ in range(150)
    ]
    rows = Order.objects.filter(pk=order.pk).values_list(
        *(Value(text, output_field=CharField()) for text in texts)
    )
    in_database, in_python = _both(rows, [Cell.TEXT] * len(texts))
    made, expected = _cells(in_database), _cells(in_python)
    assert made == expected
    row = expected[1][1]
    assert row[2] == "  padded  "
    assert row[3] == "'=1+1"
    assert row[14] == "'=1"
    assert row[15] == "'"
    assert row[16] == "abcdefgh"
    assert row[20] == "x" * 32_766 + "&"
    assert row[21] == "'=" + "y" * 32_765
    assert not [
        cell for cell in made[1][1] if isinstance(cell, str) and cell.startswith(("=", "+", "-"))
    ]


def test_order_rows_give_the_same_cells(
    partner_a: Partner, partner_user: User, partner_b: Partner, other_partner_user: User
) -> None:
    first = placed_order(partner_a, partner_user, lines=2, comment="=cmd|' /C calc'!A0")
    second = placed_order(partner_a, partner_user, lines=1)
    third = placed_order(partner_b, other_partner_user, lines=3)
    Order.objects.filter(pk=first.pk).update(
        # 00:59:59 on 2 March in Vladivostok; the microseconds are not shown.
        ordered_at=datetime(2026, 3, 1, 14, 59, 59, 999_999, tzinfo=UTC),
        desired_date=date(2026, 3, 10),
        erp_number="ЗК-0001\r",
        total=Decimal("1234567.89"),
        delivery_address_text="  Владивосток, ул. Светланская, 1 & 2 <корп. 3>",
    )
    Order.objects.filter(pk=second.pk).update(
        ordered_at=datetime(2026, 12, 31, 13, 59, 59, tzinfo=UTC),  # 23:59:59 local
        desired_date=None,
        status=OrderStatus.CANCELLED,  # without a label below: shown as it is
        po_number="@PO 1 ",
        source="erp",
        total=Decimal("0.10"),
    )
    Order.objects.filter(pk=third.pk).update(
        ordered_at=datetime(1999, 12, 31, 14, 0, 0, tzinfo=UTC),  # midnight local
        agreement=None,
    )
    statuses = Labelled(
        {value: str(label) for value, label in OrderStatus.choices if value != "cancelled"}
    )
    columns: list[Column] = [
        Cell.TEXT, Cell.MOMENT, statuses, Labelled({"portal": "Портал", "erp": "=ERP"}),
        Cell.TEXT, Cell.TEXT, Cell.TEXT, Cell.TEXT, Cell.TEXT, Cell.NUMBER, Cell.NUMBER,
        Cell.TEXT, Cell.DAY, Cell.TEXT, Cell.TEXT,
    ]  # fmt: skip
    rows = order_export_rows(partner=None, filters=OrderFilters())
    in_database, in_python = _both(rows, columns)
    made, expected = _cells(in_database), _cells(in_python)
    assert made == expected
    calamine, opened = made
    assert len(opened) == 4  # the header and the three orders, newest first
    newest, middle, oldest = opened[1:]
    assert newest[0] == second.number
    assert newest[1] == _local(2026, 12, 31, 23, 59, 59)
    assert newest[2] == "cancelled"
    assert newest[3] == "'=ERP"
    assert newest[7] == "'@PO 1 "
    assert newest[10] == 0.1
    assert newest[12] is None
    assert middle[1] == _local(2026, 3, 2, 0, 59, 59)
    assert middle[2] == str(OrderStatus(first.status).label)
    assert middle[3] == "Портал"
    assert middle[8] == "ЗК-0001\r"
    assert middle[9] == 2
    assert middle[10] == 1234567.89
    assert middle[12] == _local(2026, 3, 10)
    assert middle[13] == "  Владивосток, ул. Светланская, 1 & 2 <корп. 3>"
    assert middle[14] == "'=cmd|' /C calc'!A0"
    assert oldest[1] == _local(2000, 1, 1)
    assert oldest[6] is None
    assert calamine[1][1] == _local(2026, 12, 31, 23, 59, 59)


def test_the_download_is_made_by_the_database(
    manager_client: Client, partner_a: Partner, partner_user: User
) -> None:
    placed_order(partner_a, partner_user, lines=1, po_number="+1")
    with connection.execute_wrapper(_statements := _Statements()):
        response = manager_client.get(reverse("orders:staff_export"))
        content = b"".join(response.streaming_content)  # type: ignore[attr-defined]
    assert response.status_code == 200
    assert any("OFFSET 0) AS local_values" in sql for sql in _statements.seen)
    _calamine, opened = _cells(content)
    assert opened[1][7] == "'+1"


class _Statements:
    def __init__(self) -> None:
        self.seen: list[str] = []

    def __call__(self, execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        self.seen.append(sql)
        return execute(sql, params, many, context)


def test_a_download_left_half_way_stops_its_reader_and_frees_the_connection(
    partner_a: Partner, partner_user: User, monkeypatch: Any
) -> None:
    """The database's batches are read ahead by a thread (`_read_ahead`): a client gone
    half-way (the server closes the body's iterator) must leave no thread behind and the
    connection usable. A row a batch and a chunk, so that the reader is still at work."""
    monkeypatch.setattr(spreadsheets, "SQL_FETCH_ROWS", 1)
    monkeypatch.setattr(spreadsheets, "BATCH_ROWS", 1)
    for _ in range(6):
        placed_order(partner_a, partner_user, lines=1)
    rows = order_export_rows(partner=partner_a, filters=OrderFilters()).values_list("number")
    stream = xlsx_query_stream(
        sheet="Orders", header=["Number"], rows=rows, columns=[Cell.TEXT], zone=VLADIVOSTOK,
        in_database=True,
    )  # fmt: skip
    assert isinstance(stream, Generator)  # closed below, as a server closes a body
    assert next(stream).startswith(b"PK")  # the workbook's fixed parts
    next(stream)  # the sheet's first rows: the reader has started
    assert [t for t in threading.enumerate() if t.name == "export-read-ahead"]
    stream.close()
    assert [t for t in threading.enumerate() if t.name == "export-read-ahead"] == []
    assert Order.objects.filter(partner=partner_a).count() == 6
