"""A partner's own article codes (ORD2): upload → report → merge or replace; list, search,
delete, download. Through the pages, as a partner user works with them."""

import io
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from python_calamine import CalamineWorkbook

from kabinet.accounts.models import AuditEvent, AuditKind, User
from kabinet.catalog.models import ArticleUpload, PartnerArticle, PriceList, Variant
from kabinet.catalog.own_codes.matching import article_rows_check
from kabinet.catalog.own_codes.services import article_upload_create, partner_articles_apply
from kabinet.catalog.tests.factories import (
    PartnerArticleFactory,
    VariantFactory,
    article_upload_of,
    listed_product,
)
from kabinet.orders.quick_order.files import Table
from kabinet.orders.tests.quick_order_files import PNG, csv_bytes, xlsx_bytes
from kabinet.partners.models import Partner
from kabinet.partners.tests.factories import MembershipFactory
from tests.support import signed_in

LIST = reverse("catalog:own_codes")
UPLOAD = reverse("catalog:own_codes_upload")


def _upload(client: Client, data: bytes, name: str = "codes.xlsx", **extra: Any) -> Any:
    return client.post(UPLOAD, {"file": SimpleUploadedFile(name, data), **extra})


def _table(partner: Partner) -> dict[str, str]:
    return dict(PartnerArticle.objects.filter(partner=partner).values_list("code", "variant__sku"))


def _apply(client: Client, mode: str, **extra: Any) -> Any:
    upload = ArticleUpload.objects.get()
    return client.post(
        reverse("catalog:own_codes_apply", args=[upload.pk]), {"mode": mode, **extra}
    )


@pytest.fixture(autouse=True)
def _english(settings: Any) -> None:
    """Messages are asserted in English (the source language)."""
    settings.LANGUAGE_CODE = "en"


@pytest.fixture
def client_a(partner_user: User) -> Client:
    return signed_in(partner_user)


@pytest.fixture
def gowns(price_list_a: PriceList) -> list[Variant]:
    """Three listed products with one variant each: SKU GOWN-n, EAN 999000000000n."""
    variants = []
    for n in range(1, 4):
        product = listed_product(price_lists=[price_list_a], name=f"Халат {n}")
        variant = product.variants.get()
        variant.sku, variant.ean = f"GOWN-{n}", f"999000000000{n}"
        variant.save()
        variants.append(variant)
    return variants


def test_a_bad_row_is_reported_with_its_number_and_nothing_changes_until_confirmed(
    client_a: Client, partner_a: Partner, gowns: list[Variant]
) -> None:
    PartnerArticleFactory.create(partner=partner_a, variant=gowns[2], code="OLD-3")
    # The SKU of one variant that is also the EAN of another: ambiguous.
    VariantFactory.create(sku="9990000000002", ean=None)
    rows = [
        ("Мой код", "Артикул или EAN"),
        ("МОЙ-1", "gown-1"),  # 2: SKU in any case
        ("МОЙ-2", "9990000000002"),  # 3: ambiguous
        ("МОЙ-3", "NO-SUCH"),  # 4: unknown
        ("", "GOWN-2"),  # 5: no code
        ("МОЙ-4", ""),  # 6: no SKU
        ("X" * 65, "GOWN-2"),  # 7: too long
        ("ДВА", "GOWN-1"),  # 8: duplicate with different products
        ("два", "GOWN-2"),  # 9
        ("МОЙ-5", "9990000000003"),  # 10: EAN
        ("мой-1", "GOWN-1"),  # 11: the same code again, same product: fine
    ]
    before = _table(partner_a)
    events = AuditEvent.objects.count()

    response = _upload(client_a, xlsx_bytes(rows))
    assert response.status_code == 302
    report = client_a.get(response["Location"])
    page = report.content.decode()
    assert report.status_code == 200
    assert '<div class="fs-4" data-testid="rows-read">10</div>' in page
    assert 'data-testid="rows-rejected">7</div>' in page
    rejected = ArticleUpload.objects.get().rejected
    assert [(row, reason) for row, _, _, reason in rejected] == [
        (3, "ambiguous"),
        (4, "unknown"),
        (5, "no_code"),
        (6, "no_target"),
        (7, "too_long"),
        (8, "duplicate"),
        (9, "duplicate"),
    ]
    assert "No product has this SKU or EAN." in page
    assert "The file gives this code to different products." in page
    assert "<td>4</td><td>МОЙ-3</td><td>NO-SUCH</td>" in page
    # Nothing stored, nothing logged: only the report.
    assert _table(partner_a) == before
    assert AuditEvent.objects.count() == events

    assert _apply(client_a, "merge").status_code == 302
    assert _table(partner_a) == {"OLD-3": "GOWN-3", "МОЙ-1": "GOWN-1", "МОЙ-5": "GOWN-3"}
    event = AuditEvent.objects.get(kind=AuditKind.ARTICLE_CODES_UPLOADED)
    assert event.partner_id == partner_a.pk
    assert event.details["added"] == 2
    assert not ArticleUpload.objects.exists()


def test_merge_keeps_other_codes_and_replace_all_deletes_them(
    client_a: Client, partner_a: Partner, gowns: list[Variant]
) -> None:
    kept = PartnerArticleFactory.create(partner=partner_a, variant=gowns[0], code="KEEP")
    PartnerArticleFactory.create(partner=partner_a, variant=gowns[0], code="MOVE")
    PartnerArticleFactory.create(partner=partner_a, variant=gowns[1], code="OTHER")
    rows = [("KEEP", "GOWN-1"), ("move", "GOWN-3"), ("NEW", "GOWN-2")]

    _upload(client_a, csv_bytes(rows), "codes.csv")
    report = client_a.get(
        reverse("catalog:own_codes_report", args=[ArticleUpload.objects.get().pk])
    )
    changes = report.context["changes"]
    assert (changes.new, changes.changed, changes.unchanged, changes.not_in_file) == (1, 1, 1, 1)
    response = _apply(client_a, "merge")
    assert response["Location"] == LIST
    assert _table(partner_a) == {
        "KEEP": "GOWN-1",
        "move": "GOWN-3",
        "NEW": "GOWN-2",
        "OTHER": "GOWN-2",
    }
    # An unchanged code is left as it is, not deleted and written again.
    assert PartnerArticle.objects.filter(pk=kept.pk).exists()

    _upload(client_a, csv_bytes([("KEEP", "GOWN-1"), ("NEW", "9990000000003")]), "codes.csv")
    _apply(client_a, "replace")
    assert _table(partner_a) == {"KEEP": "GOWN-1", "NEW": "GOWN-3"}
    event = AuditEvent.objects.filter(kind=AuditKind.ARTICLE_CODES_UPLOADED).latest("pk")
    assert event.details | {"file": ""} == {
        "file": "",
        "mode": "replace",
        "added": 0,
        "replaced": 1,
        "removed": 2,
        "unchanged": 1,
    }


def test_a_code_whose_capitals_differ_in_the_database_is_still_replaced(
    client_a: Client, partner_a: Partner, gowns: list[Variant]
) -> None:
    """Python's upper() makes "ß" "SS", PostgreSQL's leaves it: the stored code is found by
    its spelling too, and replaced rather than inserted a second time (a unique violation)."""
    PartnerArticleFactory.create(partner=partner_a, variant=gowns[0], code="straße")
    _upload(client_a, csv_bytes([("straße", "GOWN-2")]), "codes.csv")
    assert _apply(client_a, "merge").status_code == 302
    assert _table(partner_a) == {"straße": "GOWN-2"}


def test_catalog_search_finds_the_product_by_an_uploaded_code(
    client_a: Client, partner_a: Partner, gowns: list[Variant]
) -> None:
    catalog = reverse("catalog:list")
    assert "Халат 2" not in client_a.get(catalog, {"q": "МОЙ-ХАЛАТ"}).content.decode()
    _upload(client_a, xlsx_bytes([("Your code", "SKU or EAN"), ("МОЙ-ХАЛАТ", "GOWN-2")]))
    _apply(client_a, "merge")
    page = client_a.get(catalog, {"q": "мой-халат"}).content.decode()
    assert "Халат 2" in page
    assert "Халат 1" not in page


def test_a_file_that_is_not_a_spreadsheet_gets_a_clear_message(
    client_a: Client, partner_a: Partner
) -> None:
    response = _upload(client_a, PNG, "codes.xlsx")
    assert response.status_code == 400
    assert "This is not a spreadsheet we can read." in response.content.decode()
    response = _upload(client_a, b"%PDF-1.4", "codes.pdf")
    assert response.status_code == 400
    assert "Upload an XLSX (Excel) or CSV file." in response.content.decode()
    assert not ArticleUpload.objects.exists()


def test_an_oversize_file_is_refused_with_413(client_a: Client, partner_a: Partner) -> None:
    response = _upload(client_a, b"a;b\n" * (3 * 1024 * 1024), "codes.csv")
    assert response.status_code == 413
    assert not ArticleUpload.objects.exists()


def test_a_posted_partner_id_is_ignored(
    client_a: Client, partner_a: Partner, partner_b: Partner, gowns: list[Variant]
) -> None:
    _upload(client_a, csv_bytes([("MINE", "GOWN-1")]), "codes.csv", partner=partner_b.pk)
    _apply(client_a, "merge", partner=partner_b.pk, partner_id=partner_b.pk)
    assert _table(partner_a) == {"MINE": "GOWN-1"}
    assert _table(partner_b) == {}


def test_another_partners_codes_are_never_listed_searched_or_downloaded(
    client_a: Client, partner_a: Partner, partner_b: Partner, gowns: list[Variant]
) -> None:
    PartnerArticleFactory.create(partner=partner_a, variant=gowns[0], code="ALPHA-CODE")
    PartnerArticleFactory.create(partner=partner_b, variant=gowns[1], code="BETA-CODE")
    page = client_a.get(LIST).content.decode()
    assert "ALPHA-CODE" in page
    assert "BETA-CODE" not in page
    assert "BETA-CODE" not in client_a.get(LIST, {"q": "BETA"}).content.decode()
    download = client_a.get(reverse("catalog:own_codes_export"))
    assert b"BETA" not in b"".join(download.streaming_content)  # type: ignore[attr-defined]


def test_search_by_code_sku_ean_and_name(
    client_a: Client, partner_a: Partner, gowns: list[Variant]
) -> None:
    PartnerArticleFactory.create(partner=partner_a, variant=gowns[0], code="ABC-1")
    PartnerArticleFactory.create(partner=partner_a, variant=gowns[1], code="XYZ-2")

    def found(term: str) -> list[str]:
        page = client_a.get(LIST, {"q": term}).context["page"]
        return [code for _, code, *_ in page.object_list]

    assert found("abc") == ["ABC-1"]
    assert found("gown-2") == ["XYZ-2"]
    assert found("9990000000001") == ["ABC-1"]
    assert found("халат 2") == ["XYZ-2"]
    assert found("") == ["ABC-1", "XYZ-2"]


def test_the_list_is_paginated(client_a: Client, partner_a: Partner) -> None:
    variant = VariantFactory.create()
    PartnerArticle.objects.bulk_create(
        PartnerArticle(partner=partner_a, variant=variant, code=f"C-{n:03d}") for n in range(120)
    )
    first = client_a.get(LIST).context["page"]
    third = client_a.get(LIST, {"page": "3"}).context["page"]
    assert [row[1] for row in first.object_list][:2] == ["C-000", "C-001"]
    assert [row[1] for row in third.object_list] == [f"C-{n:03d}" for n in range(100, 120)]


def test_delete_one_code(client_a: Client, partner_a: Partner, gowns: list[Variant]) -> None:
    gone = PartnerArticleFactory.create(partner=partner_a, variant=gowns[0], code="GONE")
    PartnerArticleFactory.create(partner=partner_a, variant=gowns[1], code="STAYS")
    url = reverse("catalog:own_code_delete", args=[gone.pk])
    assert client_a.get(url).status_code == 405
    response = client_a.post(url, {"q": "GO", "page": "1"})
    assert response.status_code == 302
    assert response["Location"] == f"{LIST}?q=GO&page=1"
    assert _table(partner_a) == {"STAYS": "GOWN-2"}
    event = AuditEvent.objects.get(kind=AuditKind.ARTICLE_CODE_DELETED)
    assert event.details == {"code": "GONE", "sku": "GOWN-1"}
    assert client_a.post(url).status_code == 404


def test_download_and_template_are_formula_safe_xlsx(
    client_a: Client, partner_a: Partner, gowns: list[Variant]
) -> None:
    PartnerArticleFactory.create(partner=partner_a, variant=gowns[0], code="=HYPERLINK(1)")
    response = client_a.get(reverse("catalog:own_codes_export"))
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment")
    assert response["X-Content-Type-Options"] == "nosniff"
    content = b"".join(response.streaming_content)  # type: ignore[attr-defined]
    rows = CalamineWorkbook.from_filelike(io.BytesIO(content)).get_sheet_by_index(0).to_python()
    assert rows[1][:2] == ["'=HYPERLINK(1)", "GOWN-1"]

    template = client_a.get(reverse("catalog:own_codes_template"))
    content = b"".join(template.streaming_content)  # type: ignore[attr-defined]
    sheet = CalamineWorkbook.from_filelike(io.BytesIO(content)).get_sheet_by_index(0)
    assert sheet.to_python() == [["Your code", "SKU or EAN"]]
    # The template, filled in, reads back: its header row is skipped.
    check = article_rows_check(rows=[[1, "Your code", "SKU or EAN"], [2, "A", "GOWN-1"]])
    assert check.header
    assert (check.read, len(check.entries)) == (1, 1)


def test_a_second_apply_finds_nothing_and_logs_once(
    client_a: Client, partner_a: Partner, gowns: list[Variant]
) -> None:
    _upload(client_a, csv_bytes([("ONCE", "GOWN-1")]), "codes.csv")
    upload = ArticleUpload.objects.get()
    url = reverse("catalog:own_codes_apply", args=[upload.pk])
    assert client_a.post(url, {"mode": "merge"}).status_code == 302
    assert client_a.post(url, {"mode": "replace"}).status_code == 404
    assert _table(partner_a) == {"ONCE": "GOWN-1"}
    assert AuditEvent.objects.filter(kind=AuditKind.ARTICLE_CODES_UPLOADED).count() == 1


def test_an_unknown_mode_and_a_discard_change_nothing(
    client_a: Client, partner_a: Partner, gowns: list[Variant]
) -> None:
    _upload(client_a, csv_bytes([("NEVER", "GOWN-1")]), "codes.csv")
    upload = ArticleUpload.objects.get()
    assert _apply(client_a, "everything").status_code == 302
    assert _table(partner_a) == {}
    client_a.post(reverse("catalog:own_codes_discard", args=[upload.pk]))
    assert not ArticleUpload.objects.exists()
    assert _table(partner_a) == {}


def test_a_product_gone_meanwhile_refuses_the_whole_file(
    client_a: Client, partner_a: Partner, gowns: list[Variant]
) -> None:
    PartnerArticleFactory.create(partner=partner_a, variant=gowns[0], code="OLD")
    _upload(client_a, csv_bytes([("A", "GOWN-1"), ("B", "GOWN-2")]), "codes.csv")
    gowns[1].delete()
    response = _apply(client_a, "replace")
    assert response.status_code == 302
    assert _table(partner_a) == {"OLD": "GOWN-1"}
    assert ArticleUpload.objects.exists()
    assert not AuditEvent.objects.filter(kind=AuditKind.ARTICLE_CODES_UPLOADED).exists()


def test_a_new_upload_replaces_the_users_previous_one(
    partner_a: Partner, partner_user: User
) -> None:
    first = article_upload_of(partner_a, partner_user)
    second = article_upload_of(partner_a, partner_user)
    assert list(ArticleUpload.objects.values_list("pk", flat=True)) == [second.pk]
    assert first.pk != second.pk


def test_without_the_orders_right_the_pages_are_refused(partner_a: Partner) -> None:
    member = MembershipFactory.create(partner=partner_a, rights=[])
    client = signed_in(member.user)
    assert client.get(LIST).status_code == 403
    assert client.get(UPLOAD).status_code == 403
    menu = signed_in(member.user).get(reverse("partners:company")).content.decode()
    assert LIST not in menu


def test_the_menu_and_the_quick_order_offer_the_page(client_a: Client, partner_a: Partner) -> None:
    page = client_a.get(LIST).content.decode()
    assert f'href="{LIST}"' in page
    assert "My article codes" in page
    quick_order = client_a.get(reverse("orders:quick_order")).content.decode()
    assert f'href="{LIST}" data-testid="own-codes-link"' in quick_order


@pytest.mark.parametrize("size", [10, 10_000])
def test_ten_thousand_rows_in_a_fixed_number_of_queries(
    size: int, partner_a: Partner, partner_user: User
) -> None:
    """One lookup query for the whole file; bulk writes (QUALITY.md P4's rule, for codes)."""
    first = VariantFactory.create()
    variants = [
        first,
        *Variant.objects.bulk_create(
            Variant(product=first.product, sku=f"BULK-{first.pk}-{n}", ean=f"{n:013d}")
            for n in range(1, size)
        ),
    ]
    # Half the codes exist already, half of those pointing elsewhere.
    PartnerArticle.objects.bulk_create(
        PartnerArticle(
            partner=partner_a, variant=variants[(n + n % 4 // 2) % size], code=f"OWN-{n}"
        )
        for n in range(0, size, 2)
    )
    rows: list[list[Any]] = [[1, "Own code", "SKU or EAN"]]
    rows += [
        [n + 2, f"OWN-{n}", variant.sku if n % 3 else variant.ean]
        for n, variant in enumerate(variants)
    ]
    table = Table(format="xlsx", rows=rows)
    with CaptureQueriesContext(connection) as upload_queries:
        upload = article_upload_create(
            partner=partner_a, file_name="big.xlsx", table=table, actor=partner_user
        )
    assert len(upload.entries) == size
    assert upload.rejected == []
    with CaptureQueriesContext(connection) as apply_queries:
        applied = partner_articles_apply(
            partner=partner_a, upload_id=upload.pk, mode="replace", actor=partner_user
        )
    assert applied.added == size // 2
    assert applied.unchanged + applied.replaced == size // 2
    stored = dict(
        PartnerArticle.objects.filter(partner=partner_a).values_list("code", "variant_id")
    )
    assert stored == {f"OWN-{n}": variant.pk for n, variant in enumerate(variants)}

    # Savepoints aside: the upload 3 queries (lookup, old upload, new upload); the apply 9
    # (upload, partner lock, variants, stored codes, count, delete, insert, upload, audit).
    def statements(queries: CaptureQueriesContext) -> int:
        return sum(1 for query in queries if "SAVEPOINT" not in query["sql"])

    assert (statements(upload_queries), statements(apply_queries)) == (3, 9)
