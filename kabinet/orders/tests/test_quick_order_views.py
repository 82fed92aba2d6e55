"""The quick order pages: upload → columns → report → merge or replace (ORD5, R11, R13)."""

import io
import re
from decimal import Decimal
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from python_calamine import CalamineWorkbook

from kabinet.accounts.models import User
from kabinet.catalog.models import Price, PriceList, Variant
from kabinet.catalog.tests.factories import PartnerArticleFactory
from kabinet.orders.models import CartLine, QuickOrderImport
from kabinet.orders.quick_order import files
from kabinet.orders.quick_order.services import INLINE_ROWS
from kabinet.orders.services import cart_lines_add
from kabinet.orders.tests.factories import priced_variants
from kabinet.orders.tests.quick_order_files import (
    PNG,
    csv_bytes,
    minimal_xlsx_parts,
    sheet_xml,
    xlsx_bytes,
    zip_bytes,
)
from kabinet.partners.models import Agreement, Partner
from kabinet.partners.rights import Right
from kabinet.partners.tests.factories import MembershipFactory
from kabinet.web.spreadsheets import FORMULA_STARTS as FORMULA_PREFIXES
from tests.support import signed_in

UPLOAD = reverse("orders:quick_order")
Status = QuickOrderImport.Status


@pytest.fixture
def variants(price_list_a: PriceList) -> list[Variant]:
    return priced_variants(price_list_a, 4, price="10.00")


def _upload(client: Client, data: bytes, name: str = "order.xlsx") -> Any:
    return client.post(UPLOAD, {"file": SimpleUploadedFile(name, data)})


def _import() -> QuickOrderImport:
    return QuickOrderImport.objects.get()


def _cart(user: User) -> dict[str, Decimal]:
    return dict(CartLine.objects.filter(cart__user=user).values_list("variant__sku", "quantity"))


def _map(client: Client, item: QuickOrderImport, **changes: str) -> Any:
    data = {"header": "on", "code": "0", "kind": "any", "quantity": "1", "price": "2"}
    data.update(changes)
    return client.post(reverse("orders:quick_order_map", args=[item.pk]), data)


def _order_file(variants: list[Variant]) -> bytes:
    return xlsx_bytes(
        [
            ["Артикул", "Количество", "Цена"],
            [variants[0].sku, 2, 10],
            [variants[1].sku.lower(), 1.5, 9.99],  # another price expected
            ["NO-SUCH-CODE", 1, None],
            [variants[2].sku, 0, None],
            [variants[2].sku, "-1", None],
            [variants[0].sku, 3, None],  # summed with row 2
            ['=HYPERLINK("http://x")', 1, None],
        ]
    )


def test_upload_map_report_and_merge(
    user_client_a: Client,
    partner_user: User,
    partner_a: Partner,
    agreement_a: Agreement,
    variants: list[Variant],
) -> None:
    cart_lines_add(
        partner=partner_a,
        user=partner_user,
        agreement=agreement_a,
        quantities={variants[0].pk: Decimal(1), variants[3].pk: Decimal(4)},
    )
    before = _cart(partner_user)
    page = user_client_a.get(UPLOAD)
    assert page.status_code == 200
    assert reverse("orders:quick_order_template_xlsx") in page.content.decode()

    response = _upload(user_client_a, _order_file(variants), "Заказ март.xlsx")
    item = _import()
    assert response.status_code == 302
    assert response["Location"] == reverse("orders:quick_order_map", args=[item.pk])
    assert (item.status, item.file_name, item.row_count) == (Status.UPLOADED, "Заказ март.xlsx", 8)
    # The guess from the header: code, quantity, price.
    assert item.mapping == {"code": 0, "quantity": 1, "price": 2, "kind": "sku", "header": True}

    mapping_page = user_client_a.get(response["Location"]).content.decode()
    assert "A: Артикул" in mapping_page
    assert mapping_page.count('data-testid="preview-row"') == 7
    assert "Unknown code." in mapping_page
    assert _cart(partner_user) == before, "nothing reaches the cart before the confirmation"

    response = _map(user_client_a, item, kind="any")
    assert response.status_code == 302
    assert response["Location"] == reverse("orders:quick_order_result", args=[item.pk])
    item.refresh_from_db()
    assert (item.status, item.rows_read, item.rows_recognised, item.rows_rejected) == (
        Status.READY,
        7,
        3,
        4,
    )
    report = user_client_a.get(response["Location"]).content.decode()
    assert report.count('data-testid="rejected-row"') == 4
    assert "A quantity must be a positive number." in report
    assert "The price differs from the expected one." in report
    assert _cart(partner_user) == before

    response = user_client_a.post(
        reverse("orders:quick_order_apply", args=[item.pk]), {"mode": "merge"}
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("orders:cart")
    assert _cart(partner_user) == {
        variants[0].sku: Decimal(6),
        variants[1].sku: Decimal("1.5"),
        variants[3].sku: Decimal(4),
    }
    item.refresh_from_db()
    assert (item.status, item.mode, item.rows) == (Status.APPLIED, "merge", [])
    # A second confirmation changes nothing.
    user_client_a.post(reverse("orders:quick_order_apply", args=[item.pk]), {"mode": "merge"})
    assert _cart(partner_user)[variants[0].sku] == Decimal(6)


def test_replace_empties_the_cart_first(
    user_client_a: Client,
    partner_user: User,
    partner_a: Partner,
    agreement_a: Agreement,
    variants: list[Variant],
) -> None:
    cart_lines_add(
        partner=partner_a,
        user=partner_user,
        agreement=agreement_a,
        quantities={variants[3].pk: Decimal(4)},
    )
    _upload(user_client_a, csv_bytes([["Код", "Кол-во"], [variants[0].sku, "2"]]), "o.csv")
    item = _import()
    _map(user_client_a, item, price="")
    user_client_a.post(reverse("orders:quick_order_apply", args=[item.pk]), {"mode": "replace"})
    assert _cart(partner_user) == {variants[0].sku: Decimal(2)}


def test_a_line_taken_off_sale_after_the_report_changes_nothing(
    user_client_a: Client, partner_user: User, variants: list[Variant], price_list_a: PriceList
) -> None:
    _upload(user_client_a, csv_bytes([["Код", "Кол-во"], [variants[0].sku, "2"]]), "o.csv")
    item = _import()
    _map(user_client_a, item, price="")
    Price.objects.filter(variant=variants[0]).delete()
    response = user_client_a.post(
        reverse("orders:quick_order_apply", args=[item.pk]), {"mode": "replace"}, follow=True
    )
    assert "The cart was not changed." in response.content.decode()
    assert _cart(partner_user) == {}
    item.refresh_from_db()
    assert item.status == Status.READY


def test_the_preview_follows_the_mapping_over_htmx(
    user_client_a: Client, variants: list[Variant]
) -> None:
    _upload(user_client_a, csv_bytes([["x", "y"], ["3", variants[0].sku]]), "o.csv")
    item = _import()
    url = reverse("orders:quick_order_preview", args=[item.pk])
    swapped = user_client_a.get(
        url, {"code": "1", "quantity": "0", "kind": "any", "header": "on"}, HTTP_HX_REQUEST="true"
    ).content.decode()
    assert variants[0].sku in swapped
    assert "✓" in swapped
    assert "<html" not in swapped
    same = user_client_a.get(url, {"code": "0", "quantity": "0", "kind": "any"}).content.decode()
    assert "different columns" in same


def test_own_article_codes_hint_and_match(
    user_client_a: Client, partner_a: Partner, partner_user: User, variants: list[Variant]
) -> None:
    PartnerArticleFactory.create(partner=partner_a, variant=variants[2], code="МОЙ-1")
    assert "1 own article code" in user_client_a.get(UPLOAD).content.decode()
    _upload(user_client_a, csv_bytes([["Мой артикул", "Количество"], ["мой-1", "5"]]), "o.csv")
    item = _import()
    assert item.mapping["kind"] == "article"
    _map(user_client_a, item, kind="article", price="")
    user_client_a.post(reverse("orders:quick_order_apply", args=[item.pk]), {"mode": "merge"})
    assert _cart(partner_user) == {variants[2].sku: Decimal(5)}


@pytest.mark.parametrize(
    ("data", "name", "message"),
    [
        (PNG, "photo.xlsx", "not a spreadsheet"),
        (b"MZ\x90\x00\x03" + bytes(200), "tool.csv", "not a spreadsheet"),
        (PNG + xlsx_bytes([["a", "b"]]), "polyglot.xlsx", "not a spreadsheet"),
        (xlsx_bytes([["a", "b"]]), "../../../etc/cron.d/order.xlsx", None),
        (xlsx_bytes([["a", "b"]]), "order.exe", "XLSX (Excel) or CSV"),
        (
            zip_bytes(
                {**minimal_xlsx_parts(sheet_xml("")), **{f"xl/p{n}": b"" for n in range(1001)}}
            ),
            "many.xlsx",
            "more than 1,000 parts",
        ),
        (
            zip_bytes(
                {
                    **minimal_xlsx_parts(sheet_xml("")),
                    "xl/worksheets/sheet1.xml": b" " * (files.MAX_UNPACKED_BYTES + 1),
                }
            ),
            "bomb.xlsx",
            "Unpacked, the file would be larger than 100 MB.",
        ),
    ],
    ids=["png", "exe-as-csv", "polyglot", "path-name", "exe-name", "entries", "bomb"],
)
def test_bad_files_get_a_clear_message_and_change_nothing(
    user_client_a: Client, partner_user: User, data: bytes, name: str, message: str | None
) -> None:
    response = _upload(user_client_a, data, name)
    if message is None:
        # Django keeps only the last part of a name with a path before the view sees it; the
        # file is never written anywhere under any name, and the name is cleaned for display.
        assert response.status_code == 302
        assert _import().file_name == "order.xlsx"
        return
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not QuickOrderImport.objects.exists()
    assert _cart(partner_user) == {}


def test_an_oversize_upload_is_413(user_client_a: Client) -> None:
    data = b"SKU-1;1\n" * (files.MAX_UPLOAD_BYTES // 8 + 10_000)
    response = _upload(user_client_a, data, "big.csv")
    assert response.status_code == 413
    assert "larger than 10 MB" in response.content.decode()
    assert not QuickOrderImport.objects.exists()


def test_upload_without_csrf_token_is_refused(partner_user: User) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(partner_user)
    response = client.post(UPLOAD, {"file": SimpleUploadedFile("o.csv", b"a;1\n")})
    assert response.status_code == 403
    assert not QuickOrderImport.objects.exists()


def test_templates_download_as_attachments(user_client_a: Client) -> None:
    for name, kind in (("quick_order_template_xlsx", "xlsx"), ("quick_order_template_csv", "csv")):
        response = user_client_a.get(reverse(f"orders:{name}"))
        assert response.status_code == 200
        assert response["Content-Disposition"].startswith("attachment;")
        assert response["X-Content-Type-Options"] == "nosniff"
        # The template reads back as an order file with its columns recognised.
        table = files.table_read(response.content, f"template.{kind}")
        assert table.rows == [[1, "Code", "Quantity", "Expected price"]]


def _cells(content: bytes) -> list[object]:
    book = CalamineWorkbook.from_filelike(io.BytesIO(content))
    return [
        cell
        for name in book.sheet_names
        for row in book.get_sheet_by_name(name).iter_rows()
        for cell in row
    ]


def test_the_report_downloads_formula_safe(user_client_a: Client, variants: list[Variant]) -> None:
    _upload(user_client_a, _order_file(variants), "order.xlsx")
    item = _import()
    url = reverse("orders:quick_order_report", args=[item.pk])
    assert user_client_a.get(url).status_code == 302  # not before the file is read
    _map(user_client_a, item)
    response = user_client_a.get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    assert re.match(r'attachment; filename="order-report\.xlsx"', response["Content-Disposition"])
    assert response["X-Content-Type-Options"] == "nosniff"
    cells = _cells(response.content)
    texts = [cell for cell in cells if isinstance(cell, str)]
    assert '\'=HYPERLINK("http://x")' in texts
    assert "'-1" in texts
    assert not [text for text in texts if text.startswith(FORMULA_PREFIXES)]
    assert "Unknown code." in texts
    assert variants[0].sku in texts


def test_another_user_of_the_same_partner_gets_404(
    user_client_a: Client, partner_a: Partner, variants: list[Variant]
) -> None:
    _upload(user_client_a, _order_file(variants), "order.xlsx")
    item = _import()
    _map(user_client_a, item)
    colleague = MembershipFactory.create(partner=partner_a, rights=[Right.ORDERS.value]).user
    client = signed_in(colleague)
    for name in (
        "quick_order_map",
        "quick_order_preview",
        "quick_order_result",
        "quick_order_progress",
        "quick_order_apply",
        "quick_order_report",
    ):
        url = reverse(f"orders:{name}", args=[item.pk])
        assert client.get(url).status_code == 404, name
        assert client.post(url, {"mode": "merge"}).status_code == 404, name
    assert not CartLine.objects.exists()


def test_a_user_without_the_orders_right_is_refused(partner_a: Partner) -> None:
    member = MembershipFactory.create(partner=partner_a, rights=[Right.FINANCE.value]).user
    assert signed_in(member).get(UPLOAD).status_code == 403


def test_big_files_are_processed_in_the_background(
    user_client_a: Client,
    partner_user: User,
    variants: list[Variant],
    django_capture_on_commit_callbacks: object,
    settings: object,
) -> None:
    """The task is enqueued on commit; here it runs in this process (the real worker runs it
    in tests/test_quick_order_worker.py)."""
    from django_tasks_db.models import DBTaskResult

    from kabinet.orders.quick_order.services import quick_order_process

    rows = [["SKU", "Qty"]] + [[variants[n % 4].sku, "1"] for n in range(INLINE_ROWS + 1)]
    _upload(user_client_a, csv_bytes(rows), "big.csv")
    item = _import()
    with django_capture_on_commit_callbacks(execute=True) as callbacks:  # type: ignore[operator]
        response = _map(user_client_a, item, price="")
    assert len(callbacks) == 1
    [task] = DBTaskResult.objects.all()
    assert task.task_path == "kabinet.orders.quick_order.tasks.quick_order_process_task"
    assert task.args_kwargs["kwargs"] == {"import_id": item.pk}
    item.refresh_from_db()
    assert (item.status, item.progress_total) == (Status.PROCESSING, INLINE_ROWS + 1)

    page = user_client_a.get(response["Location"]).content.decode()
    assert 'hx-trigger="every 1s"' in page
    assert "progress-bar qo-progress-0" in page
    progress = reverse("orders:quick_order_progress", args=[item.pk])
    assert "HX-Redirect" not in user_client_a.get(progress, HTTP_HX_REQUEST="true")
    # Mapping again while it runs is refused.
    assert _map(user_client_a, item, price="").status_code == 302  # to the progress page

    assert quick_order_process(import_id=item.pk) is True
    assert quick_order_process(import_id=item.pk) is False  # idempotent: done already
    item.refresh_from_db()
    assert (item.status, item.progress_done, item.rows_recognised) == (
        Status.READY,
        INLINE_ROWS + 1,
        INLINE_ROWS + 1,
    )
    done = user_client_a.get(progress, HTTP_HX_REQUEST="true")
    assert done["HX-Redirect"] == reverse("orders:quick_order_result", args=[item.pk])
    assert _cart(partner_user) == {}
