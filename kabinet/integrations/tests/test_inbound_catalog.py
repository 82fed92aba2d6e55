"""The catalog from the ERP through the exchange API: sections, products with variants,
price lists, archiving — per item, nothing half-applied, listings kept in step."""

from decimal import Decimal

import pytest

from kabinet.accounts.models import AuditEvent, AuditKind
from kabinet.catalog.models import Listing, PriceList, Product, Section, Variant
from kabinet.catalog.sync import listings_refresh_stale
from kabinet.catalog.tests.factories import PriceFactory, PriceListFactory
from kabinet.integrations.tests.conftest import ExchangeClient

pytestmark = pytest.mark.django_db

TREE = {
    "items": [
        {"erp_id": "S-2", "name": "Халаты", "parent_erp_id": "S-1", "position": 2},
        {"erp_id": "S-1", "name": "Одежда"},
        {"erp_id": "S-3", "name": "Костюмы", "parent_erp_id": "S-1", "position": 1},
        {"erp_id": "S-9", "name": "Потерянный", "parent_erp_id": "NOPE"},
    ]
}


def product(erp_id: str = "P-1", section: str = "S-2", **extra: object) -> dict[str, object]:
    return {
        "erp_id": erp_id,
        "name": "Халат медицинский",
        "section_erp_id": section,
        "brand": "Medica",
        "attributes": {"material": "хлопок"},
        "variants": [
            {
                "erp_id": f"{erp_id}#1",
                "sku": f"{erp_id}-WH-46",
                "ean": "4600000000017",
                "colour": "белый",
                "size": "46",
            },
            {
                "erp_id": f"{erp_id}#2",
                "sku": f"{erp_id}-WH-48",
                "colour": "белый",
                "size": "48",
                "position": 1,
            },
        ],
        **extra,
    }


def test_sections_nest_in_any_order_and_report_unknown_parents(erp: ExchangeClient) -> None:
    body = erp.post("sections", TREE).json()

    assert body["counts"] == {"created": 3, "error": 1}
    assert body["results"][3]["code"] == "unknown_parent"
    root = Section.objects.get(erp_id="S-1")
    robes = Section.objects.get(erp_id="S-2")
    assert robes.parent == root
    assert robes.path.startswith(root.path)
    assert Section.objects.get(erp_id="S-3").path != robes.path


def test_a_moved_section_carries_its_subtree_and_listings(erp: ExchangeClient) -> None:
    erp.post("sections", TREE)
    erp.post("sections", {"items": [{"erp_id": "S-4", "name": "Обувь"}]})
    erp.post("products", {"items": [product(section="S-2")]})
    price_list = PriceListFactory.create()
    for variant in Variant.objects.all():
        PriceFactory.create(price_list=price_list, variant=variant, amount=Decimal("100"))
    from kabinet.catalog.services import listing_refresh

    listing_refresh(price_list_ids=[price_list.pk])
    move = {"items": [{"erp_id": "S-2", "name": "Халаты", "parent_erp_id": "S-4"}]}

    assert erp.post("sections", move).json()["results"][0]["status"] == "updated"

    robes = Section.objects.get(erp_id="S-2")
    assert robes.path.startswith(Section.objects.get(erp_id="S-4").path)
    assert Listing.objects.get().section_path == robes.path


def test_a_section_cannot_move_under_itself(erp: ExchangeClient) -> None:
    erp.post("sections", TREE)
    paths = dict(Section.objects.values_list("erp_id", "path"))

    body = erp.post(
        "sections", {"items": [{"erp_id": "S-1", "name": "Одежда", "parent_erp_id": "S-2"}]}
    ).json()

    assert body["results"][0]["code"] == "cycle"
    assert dict(Section.objects.values_list("erp_id", "path")) == paths


def test_products_come_with_variants_and_resync_writes_nothing(erp: ExchangeClient) -> None:
    erp.post("sections", TREE)
    assert erp.post("products", {"items": [product()]}).json()["counts"] == {"created": 1}
    card = Product.objects.get(erp_id="P-1")
    assert card.brand is not None
    assert card.brand.name == "Medica"
    assert sorted(card.variants.values_list("sku", "ean")) == [
        ("P-1-WH-46", "4600000000017"),
        ("P-1-WH-48", None),
    ]
    events = AuditEvent.objects.filter(kind=AuditKind.ERP_EXCHANGE).count()

    again = erp.post("products", {"items": [product()]}).json()

    assert again["counts"] == {"unchanged": 1}
    assert AuditEvent.objects.filter(kind=AuditKind.ERP_EXCHANGE).count() == events


def test_a_product_with_one_bad_variant_changes_nothing_of_it(erp: ExchangeClient) -> None:
    erp.post("sections", TREE)
    erp.post("products", {"items": [product("P-1")]})
    clash = product("P-2")
    clash["variants"][0]["sku"] = "P-1-WH-46"  # type: ignore[index]
    renamed = product("P-1", name="Новое имя")

    body = erp.post("products", {"items": [clash, renamed, product("P-3", section="NOPE")]}).json()

    assert [(r["status"], r["code"]) for r in body["results"]] == [
        ("error", "sku_taken"),
        ("updated", ""),
        ("error", "unknown_section"),
    ]
    assert not Product.objects.filter(erp_id__in=["P-2", "P-3"]).exists()
    assert not Variant.objects.filter(erp_id__startswith="P-2").exists()
    assert Product.objects.get(erp_id="P-1").name == "Новое имя"


def test_archiving_takes_products_off_sale_and_an_upsert_brings_them_back(
    erp: ExchangeClient,
) -> None:
    erp.post("sections", TREE)
    erp.post("products", {"items": [product()]})
    price_list = PriceListFactory.create()
    for variant in Variant.objects.all():
        PriceFactory.create(price_list=price_list, variant=variant, amount=Decimal("100"))
    from kabinet.catalog.services import listing_refresh

    listing_refresh(price_list_ids=[price_list.pk])
    assert Listing.objects.count() == 1

    body = erp.post("catalog/archive", {"entity": "product", "erp_ids": ["P-1", "P-404"]}).json()

    assert [(r["status"], r["code"]) for r in body["results"]] == [
        ("archived", ""),
        ("error", "unknown_product"),
    ]
    assert not Listing.objects.exists()
    assert erp.post("products", {"items": [product()]}).json()["counts"] == {"updated": 1}
    assert Listing.objects.count() == 1


def test_only_empty_sections_are_deleted(erp: ExchangeClient) -> None:
    erp.post("sections", TREE)

    body = erp.post("catalog/archive", {"entity": "section", "erp_ids": ["S-1", "S-3"]}).json()

    assert [(r["status"], r["code"]) for r in body["results"]] == [
        ("error", "in_use"),
        ("deleted", ""),
    ]
    assert set(Section.objects.values_list("erp_id", flat=True)) == {"S-1", "S-2"}


def test_price_lists_by_code(erp: ExchangeClient) -> None:
    items = [
        {"code": "Оптовая", "name": "Оптовая цена", "currency": "rub"},
        {"code": "EUR", "name": "Export", "currency": "E1R"},
    ]
    body = erp.post("price-lists", {"items": items}).json()

    assert [(r["status"], r["code"]) for r in body["results"]] == [
        ("created", ""),
        ("error", "bad_currency"),
    ]
    assert PriceList.objects.get(code="Оптовая").currency == "RUB"


def test_a_malformed_product_batch_is_refused_whole(erp: ExchangeClient) -> None:
    erp.post("sections", TREE)
    bad = product("P-2")
    bad["variants"][0]["ean"] = "not-digits"  # type: ignore[index]

    response = erp.post("products", {"items": [product("P-1"), bad]})

    assert response.status_code == 422
    assert response.json()["code"] == "invalid_payload"
    assert not Product.objects.exists()


def test_prices_and_stock_load_in_bulk_and_report_bad_rows(erp: ExchangeClient) -> None:
    erp.post("sections", TREE)
    erp.post("products", {"items": [product()]})
    erp.post("price-lists", {"items": [{"code": "ОПТ", "name": "Оптовая", "currency": "RUB"}]})
    rows = [
        {"price_list": "ОПТ", "erp_id": "P-1#1", "amount": 120.5},
        {"price_list": "ОПТ", "sku": "P-1-WH-48", "amount": "130.00"},
        {"price_list": "ОПТ", "erp_id": "P-404#1", "amount": "1"},
        {"price_list": "ОПТ", "erp_id": "P-1#2", "amount": "-3"},
    ]

    body = erp.post("prices", {"items": rows}).json()

    assert body["counts"]["inserted"] == 2
    assert [(e["index"], e["code"]) for e in body["errors"]] == [
        (2, "unknown_variant"),
        (3, "negative_amount"),
    ]
    # Listings follow in a background task once the request commits (catalog.sync).
    assert listings_refresh_stale() == 1
    listing = Listing.objects.get()
    assert (listing.min_price, listing.max_price) == (Decimal("120.50"), Decimal("130.00"))
    stock = erp.post("stock", {"items": [{"erp_id": "P-1#1", "quantity": "7"}]}).json()
    assert stock["counts"]["inserted"] + stock["counts"]["updated"] == 1
    listings_refresh_stale()
    assert Listing.objects.get().stock == Decimal("7")
    again = erp.post("prices", {"items": rows[:2]}).json()
    assert again["counts"]["unchanged"] == 2
