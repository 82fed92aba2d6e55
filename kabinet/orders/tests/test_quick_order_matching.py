"""Matching a file's rows against the catalog under an agreement (ORD5, P4)."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from kabinet.catalog.models import PriceList, Variant
from kabinet.catalog.tests.factories import (
    PartnerArticleFactory,
    PriceFactory,
    PriceListFactory,
    VariantFactory,
)
from kabinet.orders.quick_order.matching import Mapping, mapping_guess, rows_match
from kabinet.orders.tests.factories import priced_variants
from kabinet.partners.models import Agreement, Partner

pytestmark = pytest.mark.django_db

MAPPING = Mapping(code=0, quantity=1, price=2, kind="any", header=True)


def _rows(*lines: tuple[str, ...]) -> list[list[object]]:
    """[row number, cells…] as files.table_read gives them, a header first."""
    return [[1, "Код", "Количество", "Цена"]] + [
        [number, *cells] for number, cells in enumerate(lines, start=2)
    ]


def _priced(price_list: PriceList, sku: str, ean: str | None = None, amount: str = "100.00"):
    variant = VariantFactory.create(sku=sku, ean=ean)
    PriceFactory.create(price_list=price_list, variant=variant, amount=Decimal(amount))
    return variant


def test_codes_match_by_sku_any_case_ean_and_own_article(
    partner_a: Partner, partner_b: Partner, agreement_a: Agreement, price_list_a: PriceList
) -> None:
    by_sku = _priced(price_list_a, "GLV-M")
    by_ean = _priced(price_list_a, "GWN-L", ean="4601234567890")
    by_article = _priced(price_list_a, "MSK-1")
    PartnerArticleFactory.create(partner=partner_a, variant=by_article, code="Наш-17")
    # Partner B's own code for another variant is not A's.
    PartnerArticleFactory.create(partner=partner_b, variant=by_sku, code="BETA-1")

    outcome = rows_match(
        partner=partner_a,
        agreement=agreement_a,
        rows=_rows(("glv-m", "2"), ("4601234567890", "1,5"), ("наш-17", "3"), ("BETA-1", "1")),
        mapping=MAPPING,
    )

    assert [(line.variant_id, line.quantity) for line in outcome.lines] == [
        (by_sku.pk, Decimal("2")),
        (by_ean.pk, Decimal("1.5")),
        (by_article.pk, Decimal("3")),
    ]
    assert [(r.row, r.reason) for r in outcome.rejected] == [(5, "unknown")]
    assert (outcome.read, outcome.recognised) == (4, 3)
    assert outcome.currency == "RUB"


def test_rejections_say_why(
    partner_a: Partner, agreement_a: Agreement, price_list_a: PriceList
) -> None:
    _priced(price_list_a, "OK-1")
    other = PriceListFactory.create(code="Another list")
    elsewhere = VariantFactory.create(sku="ELSEWHERE")
    PriceFactory.create(price_list=other, variant=elsewhere)
    archived = _priced(price_list_a, "ARCH-1")
    Variant.objects.filter(pk=archived.pk).update(is_archived=True)
    # One code, two variants: the SKU of one and the partner's own code for the other.
    twin = _priced(price_list_a, "TWIN")
    PartnerArticleFactory.create(partner=partner_a, variant=_priced(price_list_a, "X"), code="twin")
    rows = _rows(
        ("", "2"),
        ("NOPE", "1"),
        ("ELSEWHERE", "1"),
        ("ARCH-1", "1"),
        ("TWIN", "1"),
        ("OK-1", ""),
        ("OK-1", "abc"),
        ("OK-1", "0"),
        ("OK-1", "-3"),
        ("OK-1", "1000001"),
        ("OK-1", "1,2345"),
        ("", ""),  # blank: not read
    )

    outcome = rows_match(partner=partner_a, agreement=agreement_a, rows=rows, mapping=MAPPING)

    assert [(r.row, r.reason) for r in outcome.rejected] == [
        (2, "no_code"),
        (3, "unknown"),
        (4, "not_on_sale"),
        (5, "not_on_sale"),
        (6, "ambiguous"),
        (7, "quantity_missing"),
        (8, "quantity_nan"),
        (9, "quantity_not_positive"),
        (10, "quantity_not_positive"),
        (11, "quantity_too_large"),
        (12, "quantity_decimals"),
    ]
    assert outcome.lines == []
    assert outcome.read == 11
    # With only the SKU looked at, the twin code is no longer ambiguous.
    sku_only = rows_match(
        partner=partner_a,
        agreement=agreement_a,
        rows=_rows(("twin", "1")),
        mapping=Mapping(code=0, quantity=1, kind="sku"),
    )
    assert [line.variant_id for line in sku_only.lines] == [twin.pk]


def test_duplicates_are_summed_and_prices_compared(
    partner_a: Partner, agreement_a: Agreement, price_list_a: PriceList
) -> None:
    variant = _priced(price_list_a, "GLV-S", amount="12.50")
    cheap = _priced(price_list_a, "CHEAP", amount="5.00")
    outcome = rows_match(
        partner=partner_a,
        agreement=agreement_a,
        rows=_rows(
            ("GLV-S", "2", "12,50"),
            ("glv-s", "3", ""),
            ("CHEAP", "1", "4.99"),
            ("GLV-S", "999999", ""),
        ),
        mapping=MAPPING,
    )
    first, second = outcome.lines
    assert (first.variant_id, first.quantity, first.rows, first.warning) == (
        variant.pk,
        Decimal("5"),
        2,
        "",
    )
    assert (second.variant_id, second.expected, second.warning) == (
        cheap.pk,
        Decimal("4.99"),
        "price_differs",
    )
    # The sum may not pass the cart's limit: the row that would is rejected.
    assert [(r.row, r.reason) for r in outcome.rejected] == [(5, "quantity_too_large")]
    assert outcome.warnings == 1


def test_no_price_list_rejects_every_code(partner_a: Partner, agreement_a: Agreement) -> None:
    VariantFactory.create(sku="ANY")  # the agreement's price list does not exist
    outcome = rows_match(
        partner=partner_a, agreement=agreement_a, rows=_rows(("ANY", "1")), mapping=MAPPING
    )
    assert [r.reason for r in outcome.rejected] == ["not_on_sale"]


def _count_queries(partner: Partner, agreement: Agreement, rows: list[list[object]]) -> int:
    with CaptureQueriesContext(connection) as queries:
        outcome = rows_match(partner=partner, agreement=agreement, rows=rows, mapping=MAPPING)
    assert outcome.recognised == len(rows) - 1
    prices = [
        q
        for q in queries.captured_queries
        if q["sql"].startswith('SELECT "catalog_price"."variant_id"')
    ]
    assert len(prices) == 1, "one price query per file"
    return len(queries.captured_queries)


def test_queries_do_not_grow_with_the_rows(
    partner_a: Partner, agreement_a: Agreement, price_list_a: PriceList
) -> None:
    variants = priced_variants(price_list_a, 3_000)
    for variant in variants[:500]:
        PartnerArticleFactory.create(partner=partner_a, variant=variant, code=f"A-{variant.pk}")
    few = _rows(*((variant.sku, "1") for variant in variants[:5]))
    many = _rows(
        *((variant.sku, "1") for variant in variants[500:]),
        *((f"A-{variant.pk}", "2") for variant in variants[:500]),
    )
    # price list, SKUs, EANs, own codes, prices: five, for 5 rows as for 3,000.
    assert _count_queries(partner_a, agreement_a, few) == 5
    assert _count_queries(partner_a, agreement_a, many) == 5


def test_mapping_is_guessed_from_the_header_or_the_values() -> None:
    assert mapping_guess([[1, "№", "Штрихкод", "Наименование", "Кол-во", "Цена, руб."]]) == (
        Mapping(code=1, quantity=3, price=None, kind="ean", header=True)
    )
    assert mapping_guess([[1, "Qty", "Own code", "Price"]]) == Mapping(
        code=1, quantity=0, price=2, kind="article", header=True
    )
    assert mapping_guess([[1, "Code", "Quantity", "Expected price"]]) == Mapping(
        code=0, quantity=1, price=2, kind="any", header=True
    )
    # No header: the code is the first column that is not all numbers.
    assert mapping_guess([[1, "5", "SKU-1"], [2, "2", "SKU-2"]]) == Mapping(
        code=1, quantity=0, price=None, kind="any", header=False
    )
