"""The reference data set (kabinet.demo.dataset), size S: deterministic, with the designed
shapes, and listings equal to what catalog.services.listing_refresh derives."""

import json
from io import StringIO

import pytest
from django.core.management import call_command
from django.db.models import Count

from kabinet.catalog.models import Listing, Price, PriceList, Product, Section, Stock, Variant
from kabinet.catalog.services import listing_refresh, section_create
from kabinet.demo.dataset import (
    SIZES,
    WHOLESALE,
    NotEmpty,
    dataset_digest,
    dataset_generate,
)
from kabinet.partners.models import Agreement, Counterparty, Partner

S = SIZES["S"]


def test_the_same_seed_gives_the_same_rows() -> None:
    assert dataset_digest(size="S", seed=1) == dataset_digest(size="S", seed=1)
    assert dataset_digest(size="S", seed=1) != dataset_digest(size="S", seed=2)


def test_size_l_is_the_quality_data_set() -> None:
    spec = SIZES["L"]
    assert spec.products * spec.variants == 100_000  # SKUs
    assert spec.partners == 1_000
    assert spec.partners * spec.contract_products * spec.variants == 1_000_000  # prices


@pytest.mark.django_db
def test_shapes() -> None:
    counts = dataset_generate(size="S", seed=1)
    skus = S.products * S.variants
    contract_prices = S.partners * S.contract_products * S.variants
    assert Product.objects.count() == S.products
    assert Variant.objects.count() == Stock.objects.count() == skus
    assert Variant.objects.values("product").annotate(n=Count("pk")).filter(n=10).count() == (
        S.products
    )
    assert PriceList.objects.count() == S.partners + 1
    assert Price.objects.count() == skus + contract_prices == counts["prices"]
    assert Price.objects.filter(price_list__code=WHOLESALE).count() == skus
    assert Listing.objects.count() == S.products + S.partners * S.contract_products
    assert Partner.objects.count() == Counterparty.objects.count() == S.partners
    priced = set(Price.objects.values_list("price_list__code", flat=True).distinct())
    for partner in Partner.objects.prefetch_related("agreements"):
        agreements = list(partner.agreements.all())
        assert len(agreements) == 2
        assert {a.price_list for a in agreements} <= priced  # every one names prices
        main = next(a for a in agreements if a.is_main)
        assert main.price_list != WHOLESALE
        assert Price.objects.filter(price_list__code=main.price_list).count() == (
            S.contract_products * S.variants
        )
    assert Agreement.objects.filter(is_main=True).count() == S.partners


def _listings() -> set[tuple[object, ...]]:
    rows = Listing.objects.values_list(
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
        "attributes",
        "image",
    )
    return {(*row[:10], json.dumps(row[10], sort_keys=True), row[11]) for row in rows}


@pytest.mark.django_db
def test_listings_are_what_listing_refresh_derives() -> None:
    dataset_generate(size="S", seed=1)
    written = _listings()
    listing_refresh()
    assert _listings() == written


@pytest.mark.django_db
def test_ids_continue_after_the_data_set() -> None:
    dataset_generate(size="S", seed=1)
    section = section_create(name="Новый раздел")  # the sequences were moved past the ids
    assert section.pk > Section.objects.exclude(pk=section.pk).order_by("-pk")[0].pk


@pytest.mark.django_db
def test_needs_an_empty_database() -> None:
    dataset_generate(size="S", seed=1)
    with pytest.raises(NotEmpty):
        dataset_generate(size="S", seed=1)


@pytest.mark.django_db
def test_command_prints_timings() -> None:
    out = StringIO()
    call_command("generate_dataset", size="S", seed=5, stdout=out)
    assert "prices:" in out.getvalue()
    assert "written" in out.getvalue()
