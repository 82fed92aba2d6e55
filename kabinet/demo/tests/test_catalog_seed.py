"""The demo catalog (kabinet.demo.catalog), loaded small: the shapes ORD1–ORD3 need."""

from collections import defaultdict
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import Max, Min
from PIL import Image
from pytest_django import Settings
from stdnum import ean

from kabinet.catalog.models import (
    Listing,
    PartnerArticle,
    Price,
    PriceList,
    Product,
    ProductImage,
    Section,
    Stock,
    Variant,
)
from kabinet.demo.catalog import (
    ARTICLE_PARTNER_ERP_ID,
    ARTICLE_PRICE_LIST,
    IMAGE_SIZE,
    PRICE_LISTS,
    catalog_plan,
    catalog_seed,
    ean13,
)
from kabinet.partners.tests.factories import PartnerFactory

PRODUCTS = 60

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="session")
def shared_media(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("media")


@pytest.fixture
def media(settings: Settings, shared_media: Path) -> Path:
    """A MEDIA_ROOT of the tests' own, shared by them: the pictures are drawn once."""
    settings.MEDIA_ROOT = shared_media
    return shared_media


@pytest.fixture
def fresh_media(settings: Settings, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


@pytest.fixture
def counts(media: Path) -> dict[str, int]:
    return catalog_seed(products=PRODUCTS)


def _prices() -> dict[tuple[str, str], Decimal]:
    return {
        (sku, code): amount
        for sku, code, amount in Price.objects.values_list(
            "variant__sku", "price_list__code", "amount"
        )
    }


def test_the_same_seed_gives_the_same_catalog(counts: dict[str, int]) -> None:
    plan = catalog_plan(products=PRODUCTS)
    assert plan == catalog_plan(products=PRODUCTS)
    assert plan != catalog_plan(products=PRODUCTS, seed=8)
    # What was written is that plan, to the SKU and the kopeck.
    planned = {
        (variant.sku, code): amount
        for product in plan.products
        for variant in product.variants
        for code, amount in variant.prices.items()
    }
    assert _prices() == planned
    assert counts["products"] == Product.objects.count() == PRODUCTS
    assert counts["variants"] == Variant.objects.count() == Stock.objects.count()
    assert counts["prices"] == Price.objects.count()


def test_eans_are_valid_and_unique(counts: dict[str, int]) -> None:
    assert ean13("400638133393") == "4006381333931"  # the textbook example
    eans = list(Variant.objects.values_list("ean", flat=True))
    assert len(set(eans)) == len(eans) == counts["variants"]
    assert all(code is not None and ean.is_valid(code) for code in eans)


def test_sections_nest_and_products_sit_in_leaves(counts: dict[str, int]) -> None:
    sections = list(Section.objects.all())
    assert max(section.depth for section in sections) >= 2
    parents = {section.parent_id for section in sections}
    used = set(Product.objects.values_list("section_id", flat=True))
    assert not used & parents, "products go into leaf sections only"
    assert counts["sections"] == len(sections)


def test_clothing_comes_in_a_colour_size_matrix(counts: dict[str, int]) -> None:
    tops = {section.name: section.path for section in Section.objects.filter(parent=None)}
    clothing = Product.objects.filter(section__path__startswith=tops["Медицинская одежда"]).exclude(
        section__name="Головные уборы"
    )
    assert clothing.exists()
    for product in clothing:
        variants = list(product.variants.all())
        colours = {variant.colour for variant in variants}
        sizes = {(variant.position, variant.size) for variant in variants}
        assert 3 <= len(colours) <= 6, product
        assert 5 <= len(sizes) <= 9, product
        assert len(variants) == len(colours) * len(sizes), "every colour in every size"
        # The size order is the numeric one, so the matrix reads left to right.
        ordered = [size for _, size in sorted(sizes)]
        assert ordered == sorted(ordered, key=int), product
        assert {image.colour for image in product.images.all()} == colours
    single = Product.objects.filter(section__path__startswith=tops["Оборудование"])
    assert single.exists()
    assert all(product.variants.count() == 1 for product in single), "equipment: one SKU"
    assert {product.attributes.get("gender") for product in clothing} <= {
        "женский",
        "мужской",
        "унисекс",
    }


def test_price_lists_price_sensibly_and_sell_different_goods(counts: dict[str, int]) -> None:
    lists = {price_list.code: price_list for price_list in PriceList.objects.all()}
    assert set(lists) == {spec.code for spec in PRICE_LISTS}
    assert lists["Export EUR"].currency == "EUR"
    assert {lists[code].currency for code in ("Дилерская", "Оптовая", "Розничная")} == {"RUB"}
    sold: dict[str, set[int]] = defaultdict(set)
    for price_list_code, product_id in Listing.objects.values_list(
        "price_list__code", "product_id"
    ):
        sold[price_list_code].add(product_id)
    assert all(sold[code] for code in lists), "every price list has prices"
    assert len({frozenset(products) for products in sold.values()}) > 1
    everything = set(Product.objects.values_list("pk", flat=True))
    assert any(products != everything for products in sold.values())
    prices = _prices()
    skus = {sku for sku, _ in prices}
    for sku in skus:
        dealer, wholesale, retail = (
            prices.get((sku, code)) for code in ("Дилерская", "Оптовая", "Розничная")
        )
        if dealer and wholesale and retail:
            assert dealer < wholesale < retail, sku
    stock = set(Stock.objects.values_list("quantity", flat=True))
    assert Decimal(0) in stock, "some variants are sold out"
    assert any(0 < quantity < 10 for quantity in stock), "some are nearly gone"
    assert any(quantity >= 10 for quantity in stock), "some are plentiful"


def test_listings_match_the_prices(counts: dict[str, int]) -> None:
    expected = {
        (row["price_list_id"], row["variant__product_id"]): (row["low"], row["high"])
        for row in Price.objects.values("price_list_id", "variant__product_id")
        .annotate(low=Min("amount"), high=Max("amount"))
        .order_by()
    }
    listings = {
        (listing.price_list_id, listing.product_id): (listing.min_price, listing.max_price)
        for listing in Listing.objects.all()
    }
    assert listings == expected
    assert counts["listings"] == len(listings)


def test_every_product_has_a_picture_in_storage(counts: dict[str, int], media: Path) -> None:
    names = set(Product.objects.values_list("image", flat=True))
    names |= set(ProductImage.objects.values_list("image", flat=True))
    assert "" not in names
    assert len(names) == counts["images"]
    for name in names:
        assert default_storage.exists(name), name
        assert (media / name).is_file(), "under the configured MEDIA_ROOT"
        with default_storage.open(name) as file, Image.open(file) as picture:
            assert picture.format == "PNG"
            assert picture.size == (IMAGE_SIZE, IMAGE_SIZE)


def _seed_then_fail() -> None:
    with transaction.atomic():
        catalog_seed(products=PRODUCTS)
        raise RuntimeError("the rest of seed_demo failed")


def test_pictures_left_by_a_rolled_back_run_are_reused(fresh_media: Path) -> None:
    with pytest.raises(RuntimeError, match="seed_demo failed"):
        _seed_then_fail()
    assert not Product.objects.exists()
    assert catalog_seed(products=PRODUCTS)["images_drawn"] == 0
    stored = sorted(path.name for path in (fresh_media / "catalog" / "demo").iterdir())
    assert stored == sorted(Path(name).name for name in catalog_plan(products=PRODUCTS).images)


def test_the_demo_partner_gets_its_own_article_codes(media: Path) -> None:
    partner = PartnerFactory.create(erp_id=ARTICLE_PARTNER_ERP_ID)
    counts = catalog_seed(products=PRODUCTS)
    articles = list(PartnerArticle.objects.filter(partner=partner).select_related("variant"))
    assert len(articles) == counts["partner_articles"] > 0
    priced = set(
        Price.objects.filter(price_list__code=ARTICLE_PRICE_LIST).values_list(
            "variant_id", flat=True
        )
    )
    assert all(article.variant_id in priced for article in articles), "the partner can buy it"
