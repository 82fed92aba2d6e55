"""Reading uploads safely (QUALITY.md R11, R12): what is read, and what is refused how fast."""

import io
import resource
import time
import zipfile

import pytest
from django.core.exceptions import ValidationError

from kabinet.orders.quick_order.files import (
    MAX_UNPACKED_BYTES,
    MAX_UPLOAD_BYTES,
    Table,
    csv_delimiter,
    file_name_clean,
    table_read,
)
from kabinet.orders.tests.quick_order_files import (
    HEADER,
    PNG,
    csv_bytes,
    minimal_xlsx_parts,
    sheet_xml,
    xlsx_bytes,
    zip_bytes,
)


def test_xlsx_cells_become_text_with_their_row_numbers() -> None:
    data = xlsx_bytes(
        [HEADER, ["GLV-M", 3, 12.5], [], [4601234567890, 2.25, None], ["  spaced  ", "1,5"]]
    )
    table = table_read(data, "Заказ.XLSX")
    assert table == Table(
        format="xlsx",
        rows=[
            [1, *HEADER],
            [2, "GLV-M", "3", "12.5"],
            [4, "4601234567890", "2.25"],
            [5, "spaced", "1,5"],
        ],
    )


def test_a_sheet_that_starts_further_down_keeps_the_file_s_row_numbers() -> None:
    data = zip_bytes(
        minimal_xlsx_parts(
            sheet_xml(
                '<row r="3"><c r="C3" t="inlineStr"><is><t>SKU-1</t></is></c>'
                '<c r="D3"><v>2</v></c></row>'
            )
        )
    )
    table = table_read(data, "order.xlsx")
    assert table.rows == [[3, "SKU-1", "2"]]
    assert table.column_offset == 2


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp1251", "utf-16"])
@pytest.mark.parametrize("delimiter", [";", ",", "\t"])
def test_csv_in_each_encoding_and_delimiter(encoding: str, delimiter: str) -> None:
    rows = [HEADER, ["ХАЛАТ-1", "1,5" if delimiter != "," else "1.5", ""], ["SKU-2", "2", "10"]]
    table = table_read(csv_bytes(rows, delimiter=delimiter, encoding=encoding), "order.csv")
    assert table.rows == [
        [1, *HEADER],
        [2, "ХАЛАТ-1", "1,5" if delimiter != "," else "1.5"],
        [3, "SKU-2", "2", "10"],
    ]


def test_the_delimiter_is_the_one_that_splits_lines_alike() -> None:
    assert csv_delimiter('code;qty\n"A,1";2\n"B,2";3\n') == ";"
    assert csv_delimiter("code,qty\nA;1,2\nB;2,3\n") == ","
    assert csv_delimiter("code\tqty\nA\t1\n") == "\t"


def _refused(data: bytes, name: str = "order.xlsx") -> ValidationError:
    began = time.perf_counter()
    with pytest.raises(ValidationError) as caught:
        table_read(data, name)
    # Well under a second on an idle machine; a bomb that got through would take minutes or
    # exhaust memory, so the margin only absorbs a loaded CI box.
    assert time.perf_counter() - began < 5, "R12: refused in seconds"
    return caught.value


@pytest.mark.parametrize(
    ("data", "name"),
    [
        (PNG, "picture.xlsx"),  # a PNG renamed
        (PNG, "picture.csv"),
        (b"%PDF-1.7\n" + b"\x00" * 100, "scan.csv"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 500, "old.xlsx"),  # XLS (OLE)
        (csv_bytes([HEADER]), "order.xlsx"),  # a CSV named XLSX
        (zip_bytes({"readme.txt": b"hello"}), "archive.xlsx"),  # a ZIP, not a workbook
        (PNG + xlsx_bytes([HEADER]), "polyglot.xlsx"),  # a picture with a workbook appended
        (xlsx_bytes([HEADER]) + b"<script>alert(1)</script>", "polyglot.xlsx"),
        (xlsx_bytes([HEADER])[:-30], "truncated.xlsx"),
        (b"", "empty.csv"),
        (b"\n\n;;\n", "blank.csv"),
        (xlsx_bytes([HEADER]), "order.xls"),
        (xlsx_bytes([HEADER]), "order"),
        (xlsx_bytes([HEADER]), "../../etc/order.xlsx"),
        (xlsx_bytes([HEADER]), "..\\order.xlsx"),
    ],
    ids=[
        "png-as-xlsx",
        "png-as-csv",
        "pdf-as-csv",
        "xls",
        "csv-as-xlsx",
        "plain-zip",
        "png+zip",
        "zip+html",
        "truncated",
        "empty",
        "blank",
        "xls-name",
        "no-extension",
        "path",
        "windows-path",
    ],
)
def test_what_is_not_an_order_file_is_refused(data: bytes, name: str) -> None:
    error = _refused(data, name)
    assert error.code in {"type", "empty", "name", "unreadable"}, error.code


def test_too_many_zip_entries_is_refused_before_parsing() -> None:
    parts = minimal_xlsx_parts(sheet_xml(""))
    parts.update({f"xl/media/pad{n}.bin": b"" for n in range(1_000)})
    assert _refused(zip_bytes(parts, compression=zipfile.ZIP_STORED)).code == "bomb"


def test_a_zip_bomb_is_refused_from_its_central_directory() -> None:
    bomb = minimal_xlsx_parts(sheet_xml(""))
    bomb["xl/worksheets/sheet1.xml"] = b" " * (MAX_UNPACKED_BYTES + 1)  # 100 MB → ~100 kB
    data = zip_bytes(bomb)
    assert len(data) < 200_000
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    assert _refused(data).code == "bomb"
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before < 200 * 1024  # kB


def test_a_bomb_that_lies_about_its_size_is_caught_while_inflating() -> None:
    """The central directory says 1 kB; the entry inflates to 20 MB. Inflation stops at the
    declared size and the CRC does not match."""
    parts = minimal_xlsx_parts(sheet_xml(""))
    parts["xl/worksheets/sheet1.xml"] = sheet_xml("<row>" + "<c/>" * 5_000_000 + "</row>")
    data = bytearray(zip_bytes(parts))
    entry = zipfile.ZipFile(io.BytesIO(bytes(data))).getinfo("xl/worksheets/sheet1.xml")
    lie = (1024).to_bytes(4, "little")
    # The uncompressed size: at byte 22 of the local header, 24 of the central one (whose
    # fixed part of 46 bytes precedes the name).
    data[entry.header_offset + 22 : entry.header_offset + 26] = lie
    central = data.find(entry.filename.encode(), data.find(b"PK\x01\x02")) - 46
    data[central + 24 : central + 28] = lie
    assert zipfile.ZipFile(io.BytesIO(bytes(data))).getinfo(entry.filename).file_size == 1024
    assert _refused(bytes(data)).code == "type"


def test_a_sparse_sheet_is_refused_before_calamine_allocates_its_grid() -> None:
    """Two cells, A1 and XFD1048576: calamine would ask for 512 GB and abort the process."""
    for quote in ('"', "'"):
        cells = (
            f"<row r={quote}1{quote}><c r={quote}A1{quote}><v>1</v></c></row>"
            f"<row r={quote}1048576{quote}><c r={quote}XFD1048576{quote}><v>1</v></c></row>"
        )
        assert _refused(zip_bytes(minimal_xlsx_parts(sheet_xml(cells)))).code == "bomb"
    # A reference written with a character reference cannot be checked: refused too.
    odd = '<row r="1"><c r="&#88;FD1048576"><v>1</v></c></row>'
    assert _refused(zip_bytes(minimal_xlsx_parts(sheet_xml(odd)))).code == "type"


def test_a_wide_sheet_without_references_is_refused() -> None:
    cells = "<row>" + "<c/>" * (3_000_001) + "</row>"
    assert _refused(zip_bytes(minimal_xlsx_parts(sheet_xml(cells)))).code == "bomb"


def test_billion_laughs_and_xxe_are_refused() -> None:
    laughs = (
        b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
        b'<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>'
        b"<sst><si><t>&lol2;</t></si></sst>"
    )
    xxe = b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><x>&e;</x>'
    for part, content in (("xl/sharedStrings.xml", laughs), ("xl/worksheets/sheet1.xml", xxe)):
        parts = minimal_xlsx_parts(sheet_xml(""))
        parts[part] = content
        assert _refused(zip_bytes(parts)).code == "bomb"


def test_oversize_and_overlong_files_are_refused() -> None:
    assert _refused(b"a;1\n" * (MAX_UPLOAD_BYTES // 4 + 1), "big.csv").code == "too_large"
    rows = b"".join(b"S%d;1\n" % n for n in range(100_002))
    assert _refused(rows, "long.csv").code == "too_many_rows"


def test_text_encodings_that_are_not_supported_are_named() -> None:
    # Bytes that are neither UTF-8 nor windows-1251 (0x98 is undefined there).
    assert _refused(b"code;qty\n\x98\x98;1\n", "order.csv").code == "encoding"


@pytest.mark.parametrize(
    ("name", "clean"),
    [
        ("Заказ март.xlsx", "Заказ март.xlsx"),
        ("../../etc/passwd", "passwd"),
        ("C:\\Users\\a\\order.csv", "order.csv"),
        ('<img src=x onerror="alert(1)">.csv', "img src_x onerror_alert(1)_.csv"),
        ("...", ""),
    ],
)
def test_file_names_are_cleaned_for_display(name: str, clean: str) -> None:
    assert file_name_clean(name) == clean
