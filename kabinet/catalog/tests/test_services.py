"""listing_refresh: the derived rows that catalog pages read."""

from decimal import Decimal
from typing import Any

import pytest

from kabinet.catalog.models import Listing, PriceList, Product
from kabinet.catalog.services import listing_refresh, section_create
from kabinet.catalog.tests.factories import (
    PriceFactory,
    PriceListFactory,
    StockFactory,
    VariantFactory,
    listed_product,
)


def _rows(**filters: Any) -> list[dict[str, Any]]:
    return [
        dict(row)
        for row in Listing.objects.filter(**filters)
        .order_by("price_list_id", "product_id")
        .values(
            "price_list_id",
            "product_id",
            "section_path",
            "brand_id",
            "name",
            "name_folded",
            "min_price",
            "max_price",
            "stock",
            "variant_count",
        )
    ]


@pytest.fixture
def product(db: None) -> Product:
    """Three priced variants (100, 250, 400) with stock 5, 0 and none, plus one archived."""
    item = listed_product(price_lists=[], name="Костюм Хирурга", sizes=(), refresh=False)
    for position, (amount, stock) in enumerate([("100", "5"), ("250", "0"), ("400", None)]):
        variant = VariantFactory.create(product=item, size=str(position), position=position)
        PriceFactory.create(
            price_list=PriceListFactory.create(code="base"),
            variant=variant,
            amount=Decimal(amount),
        )
        if stock is not None:
            StockFactory.create(variant=variant, quantity=Decimal(stock))
    archived = VariantFactory.create(product=item, size="XXL", is_archived=True)
    PriceFactory.create(price_list=PriceList.objects.get(code="base"), variant=archived, amount=1)
    StockFactory.create(variant=archived, quantity=Decimal("1000"))
    return item


def test_listing_carries_lowest_and_highest_price_and_total_stock(product: Product) -> None:
    assert listing_refresh() == 1
    listing = Listing.objects.get(product=product)
    assert listing.price_list.code == "base"
    assert listing.min_price == Decimal("100.00")
    assert listing.max_price == Decimal("400.00")
    assert listing.stock == Decimal("5")  # the archived variant's 1000 do not count
    assert listing.variant_count == 3
    assert listing.name == "Костюм Хирурга"
    assert listing.name_folded == "костюм хирурга"
    assert listing.section_path == product.section.path
    assert listing.brand_id == product.brand_id


def test_refresh_is_idempotent(product: Product) -> None:
    listing_refresh()
    first = _rows()
    assert listing_refresh() == 1
    assert listing_refresh(product_ids=[product.pk]) == 1
    assert _rows() == first


def test_refresh_follows_changes(product: Product) -> None:
    listing_refresh()
    product.variants.filter(size="0").update(is_archived=True)
    product.name = "Костюм"
    product.section = section_create(name="Новый раздел")
    product.save()
    listing_refresh(product_ids=[product.pk])
    listing = Listing.objects.get(product=product)
    assert (listing.min_price, listing.max_price) == (Decimal("250.00"), Decimal("400.00"))
    assert listing.stock == Decimal("0")
    assert listing.variant_count == 2
    assert listing.name == "Костюм"
    assert listing.section_path == product.section.path

    product.is_archived = True
    product.save()
    assert listing_refresh(product_ids=[product.pk]) == 0
    assert not Listing.objects.filter(product=product).exists()


def test_a_product_without_prices_is_not_listed(db: None) -> None:
    listed_product(price_lists=[], name="Без цены")
    assert not Listing.objects.exists()


def test_refresh_of_one_price_list_leaves_the_others_alone(db: None) -> None:
    first, second = PriceListFactory.create(), PriceListFactory.create()
    product = listed_product(price_lists=[first, second], price="10")
    before = _rows(price_list=second)
    Listing.objects.filter(price_list=second).update(min_price=Decimal("1.00"))
    stale = _rows(price_list=second)
    product.variants.update(is_archived=True)
    assert listing_refresh(price_list_ids=[first.pk]) == 0
    assert _rows(price_list=first) == []
    assert _rows(price_list=second) == stale != before
