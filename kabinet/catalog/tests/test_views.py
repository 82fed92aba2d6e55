"""The catalog pages: access, the agreement, filters over htmx, paging, the product card."""

import re
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from kabinet.accounts.models import User
from kabinet.accounts.tests.factories import UserFactory
from kabinet.catalog.models import PriceList, Product
from kabinet.catalog.selectors import PAGE_SIZE
from kabinet.catalog.tests.factories import (
    BrandFactory,
    PriceListFactory,
    ProductImageFactory,
    SectionFactory,
    listed_product,
)
from kabinet.partners.models import Agreement, Partner
from kabinet.partners.rights import Right
from kabinet.partners.tests.factories import AgreementFactory, MembershipFactory
from tests.support import signed_in

LIST = reverse("catalog:list")
HTMX_RESULTS = {"HX-Request": "true", "HX-Target": "catalog-results"}
HTMX_MORE = {"HX-Request": "true", "HX-Target": "catalog-more"}


def _product_url(product: Product) -> str:
    return reverse("catalog:product", kwargs={"product_id": product.pk})


def _names(html: str) -> list[str]:
    """Product names in the order the page shows them."""
    return re.findall(r'href="/catalog/\d+/"[^>]*>([^<]+)</a>', html)


@pytest.fixture
def gown(price_list_a: PriceList) -> Product:
    return listed_product(
        price_lists=[price_list_a],
        name="Халат медицинский",
        colours=("Белый", "Голубой"),
        sizes=("44", "46", "48"),
        price="1234.50",
        attributes={"material": "хлопок"},
    )


def test_partner_user_with_orders_right_sees_the_catalog(
    user_client_a: Client, gown: Product
) -> None:
    response = user_client_a.get(LIST)
    assert response.status_code == 200
    page = response.content.decode()
    assert "Халат медицинский" in page
    assert "1\xa0234,50\xa0₽" in page  # Russian by default
    assert 'href="/catalog/"' in page  # the menu item
    assert user_client_a.get(_product_url(gown)).status_code == 200


def test_without_the_orders_right_403(partner_a: Partner, gown: Product) -> None:
    user = UserFactory.create()
    MembershipFactory.create(user=user, partner=partner_a, rights=[Right.FINANCE.value])
    client = signed_in(user)
    assert client.get(LIST).status_code == 403
    assert client.get(_product_url(gown)).status_code == 403
    assert 'href="/catalog/"' not in client.get(reverse("web:home")).content.decode()


def test_staff_without_a_partner_404(manager_client: Client, gown: Product) -> None:
    assert manager_client.get(LIST).status_code == 404
    assert manager_client.get(_product_url(gown)).status_code == 404


def test_anonymous_is_sent_to_sign_in(gown: Product) -> None:
    response = Client().get(LIST)
    assert response.status_code == 302
    assert "/sign-in/" in response["Location"]


def _b_only(partner_b: Partner) -> tuple[Agreement, Product]:
    own = PriceListFactory.create(code="Бета-спец")
    agreement = AgreementFactory.create(
        counterparty=partner_b.counterparties.get(), price_list=own.code
    )
    return agreement, listed_product(price_lists=[own], name="Бета эксклюзив")


def test_product_only_partner_bs_agreement_sells_is_404_for_a(
    user_client_a: Client, partner_b: Partner, gown: Product
) -> None:
    agreement, product = _b_only(partner_b)
    assert user_client_a.get(_product_url(product)).status_code == 404
    # Naming B's agreement does not help: A silently keeps its own.
    page = user_client_a.get(LIST, {"agreement": agreement.pk}).content.decode()
    assert "Бета эксклюзив" not in page
    assert "Халат медицинский" in page
    assert agreement.number not in page
    assert user_client_a.get(_product_url(product)).status_code == 404


def test_missing_product_404(user_client_a: Client, price_list_a: PriceList) -> None:
    for product_id in (987_654, 10**30):
        assert user_client_a.get(f"/catalog/{product_id}/").status_code == 404


def test_agreement_picker_remembers_the_choice_per_partner(
    user_client_a: Client, partner_a: Partner, partner_b: Partner, gown: Product
) -> None:
    retail = PriceListFactory.create(code="Розница")
    second = AgreementFactory.create(
        counterparty=partner_a.counterparties.get(), price_list=retail.code, number="R-1"
    )
    scalpel = listed_product(price_lists=[retail], name="Скальпель", price="10")

    page = user_client_a.get(LIST).content.decode()
    assert 'data-testid="agreement-picker"' in page
    assert _names(page) == ["Халат медицинский"]

    page = user_client_a.get(LIST, {"agreement": second.pk}).content.decode()
    assert _names(page) == ["Скальпель"]
    # Remembered: the next visits, and the product card, use the retail prices.
    assert _names(user_client_a.get(LIST).content.decode()) == ["Скальпель"]
    assert user_client_a.get(_product_url(scalpel)).status_code == 200
    assert user_client_a.get(_product_url(gown)).status_code == 404
    # An unknown or foreign id changes nothing.
    foreign = partner_b.agreements.get()
    for value in (foreign.pk, "abc", 10**30):
        assert _names(user_client_a.get(LIST, {"agreement": value}).content.decode()) == [
            "Скальпель"
        ]
    main = partner_a.agreements.get(is_main=True)
    assert _names(user_client_a.get(LIST, {"agreement": main.pk}).content.decode()) == [
        "Халат медицинский"
    ]


def test_no_agreement_or_no_prices_yet(user_client_a: Client, partner_a: Partner) -> None:
    page = user_client_a.get(LIST).content.decode()  # the agreement's price list is not loaded
    assert "have not been loaded yet" in page or "ещё не загружены" in page
    partner_a.agreements.all().delete()
    response = user_client_a.get(LIST)
    assert response.status_code == 200


def test_tiles_and_list_view_kept_in_the_session(user_client_a: Client, gown: Product) -> None:
    page = user_client_a.get(LIST).content.decode()
    assert 'data-testid="catalog-tiles"' in page
    page = user_client_a.get(LIST, {"view": "list"}).content.decode()
    assert 'data-testid="catalog-list"' in page
    page = user_client_a.get(LIST).content.decode()
    assert 'data-testid="catalog-list"' in page
    page = user_client_a.get(LIST, {"view": "tiles"}).content.decode()
    assert 'data-testid="catalog-tiles"' in page


def test_filters_over_htmx_return_the_results_only(
    user_client_a: Client, price_list_a: PriceList, gown: Product
) -> None:
    listed_product(price_lists=[price_list_a], name="Маска", attributes={"material": "спанбонд"})
    response = user_client_a.get(LIST, {"attr_material": "хлопок"}, headers=HTMX_RESULTS)
    assert response.status_code == 200
    html = response.content.decode()
    assert html.lstrip().startswith('<div id="catalog-results"')
    assert "<html" not in html
    assert _names(html) == ["Халат медицинский"]
    assert "HX-Request" in response["Vary"]


def test_search_box(user_client_a: Client, price_list_a: PriceList, gown: Product) -> None:
    listed_product(price_lists=[price_list_a], name="Маска")
    sku = gown.variants.order_by("pk").first().sku  # type: ignore[union-attr]
    assert _names(user_client_a.get(LIST, {"q": sku}).content.decode()) == ["Халат медицинский"]
    assert _names(user_client_a.get(LIST, {"q": "маск"}).content.decode()) == ["Маска"]


def test_show_more_appends_the_next_rows(user_client_a: Client, price_list_a: PriceList) -> None:
    for n in range(PAGE_SIZE + 3):
        listed_product(price_lists=[price_list_a], name=f"Изделие {n:03d}", sizes=("M",))
    first = user_client_a.get(LIST).content.decode()
    assert len(_names(first)) == PAGE_SIZE
    more = re.search(r'id="catalog-more".*?href="([^"]+)"', first, re.S)
    assert more is not None
    next_url = more.group(1).replace("&amp;", "&")
    # Without JavaScript: the link is a page of its own.
    plain = user_client_a.get(next_url).content.decode()
    assert _names(plain) == [f"Изделие {n:03d}" for n in range(PAGE_SIZE, PAGE_SIZE + 3)]
    assert 'id="catalog-more"' not in plain
    # With htmx: only the rows, to append.
    rows = user_client_a.get(next_url, headers=HTMX_MORE).content.decode()
    assert "<html" not in rows
    assert 'id="catalog-results"' not in rows
    assert _names(rows) == _names(plain)
    page = user_client_a.get(LIST, {"view": "list"}, headers=HTMX_RESULTS).content.decode()
    assert '<tr id="catalog-more">' in page


def test_sections_brands_and_attributes_in_the_filters(
    user_client_a: Client, price_list_a: PriceList
) -> None:
    clothes = SectionFactory.create(name="Одежда")
    gowns = SectionFactory.create(name="Халаты", parent=clothes)
    brand = BrandFactory.create(name="МедТекс")
    listed_product(
        price_lists=[price_list_a],
        section=gowns,
        brand=brand,
        name="Халат",
        attributes={"material": "хлопок"},
    )
    listed_product(price_lists=[price_list_a], section=clothes, name="Костюм")
    page = user_client_a.get(LIST, {"section": gowns.pk}).content.decode()
    assert _names(page) == ["Халат"]
    assert 'aria-current="page">Халаты</a>' in page
    assert f'value="{brand.pk}"' in page
    assert '<option value="хлопок"' in page
    page = user_client_a.get(LIST, {"section": clothes.pk, "brand": brand.pk}).content.decode()
    assert _names(page) == ["Халат"]


@pytest.mark.parametrize(
    "params",
    [
        {"sort": "evil"},
        {"after": "garbage"},
        {"after": "W1siYSIsIDFdXQ"},
        {"section": "abc"},
        {"section": "99999999999999999999999"},
        {"brand": "x"},
        {"brand": ["1", "x", "-5", "99999999999999999999999"]},
        {"in_stock": "maybe"},
        {"view": "evil"},
        {"agreement": "x"},
        {"q": "a" * 5000},
        {"q": "nul\x00byte"},
        {"attr_material": "\x00"},
        {"attr_evil__contains": "x"},
        {"sort": "price", "after": "eyJ4IjogMX0"},
        {"sort": "-price", "after": "WyJhYmMiLCAxXQ"},
    ],
)
def test_garbage_parameters_show_the_catalog(
    user_client_a: Client, gown: Product, params: dict[str, Any]
) -> None:
    for headers in ({}, HTMX_RESULTS, HTMX_MORE):
        response = user_client_a.get(LIST, params, headers=headers)
        assert response.status_code == 200, (params, headers)
    assert response.status_code == 200


def test_product_card(user_client_a: Client, gown: Product, price_list_a: PriceList) -> None:
    ProductImageFactory.create(product=gown, colour="Голубой")
    response = user_client_a.get(_product_url(gown), {"colour": "Голубой"})
    assert response.status_code == 200
    page = response.content.decode()
    assert '<h1 class="h3">Халат медицинский</h1>' in page
    assert gown.brand.name in page  # type: ignore[union-attr]
    assert gown.section.name in page
    assert "хлопок" in page
    matrix = page[page.index('data-testid="size-matrix"') :]
    assert matrix.count('class="catalog-cell"') == 6
    current = re.search(
        r'<tr class="catalog-matrix-current"[^>]*>\s*<th[^>]*>\s*<a[^>]*>(\w+)', page
    )
    assert current is not None
    assert current.group(1) == "Голубой"
    assert "/media/catalog/" in page  # the blue picture


def test_product_card_unknown_colour_falls_back(user_client_a: Client, gown: Product) -> None:
    page = user_client_a.get(_product_url(gown), {"colour": "<script>"}).content.decode()
    assert "<script>" not in page
    assert re.search(r'<tr class="catalog-matrix-current"[^>]*>\s*<th[^>]*>\s*<a[^>]*>Белый', page)


def test_matrix_leaves_unsold_cells_empty(
    user_client_a: Client, gown: Product, price_list_a: PriceList
) -> None:
    gown.variants.get(colour="Голубой", size="48").prices.all().delete()
    page = user_client_a.get(_product_url(gown)).content.decode()
    assert page.count("catalog-cell-empty") == 1


def test_stock_as_level_or_quantity(
    user_client_a: Client, price_list_a: PriceList, settings: object
) -> None:
    listed_product(price_lists=[price_list_a], name="Много", stock="100")
    listed_product(price_lists=[price_list_a], name="Мало", stock="3")
    listed_product(price_lists=[price_list_a], name="Нет", stock="0")
    page = user_client_a.get(LIST).content.decode()
    assert page.count("stock-many") == 1
    assert page.count("stock-few") == 1
    assert page.count("stock-none") == 1
    settings.CATALOG_STOCK_DISPLAY = "quantity"  # type: ignore[attr-defined]
    page = user_client_a.get(LIST).content.decode()
    assert '<span class="stock stock-many">100</span>' in page
    assert '<span class="stock stock-few">3</span>' in page


def test_prices_in_english(user_client_a: Client, gown: Product) -> None:
    user_client_a.cookies["kabinet_language"] = "en"
    page = user_client_a.get(LIST).content.decode()
    assert "1,234.50\xa0₽" in page
    assert "Show more" not in page  # one page only


@pytest.mark.parametrize("url_name", ["catalog:list", "catalog:product"])
def test_no_inline_script_or_style(user_client_a: Client, gown: Product, url_name: str) -> None:
    url = LIST if url_name == "catalog:list" else _product_url(gown)
    page = user_client_a.get(url).content.decode()
    assert not re.search(r"<script(?![^>]*\bsrc=)", page)
    assert not re.search(r"\sstyle=", page)
    assert not re.search(r"\son[a-z]+=", page)


def test_partner_admin_has_the_catalog(partner_admin: User, gown: Product) -> None:
    assert signed_in(partner_admin).get(LIST).status_code == 200


def test_a_single_variant_shows_its_sku_not_a_matrix(
    user_client_a: Client, price_list_a: PriceList
) -> None:
    product = listed_product(price_lists=[price_list_a], colours=("",), sizes=("",))
    page = user_client_a.get(_product_url(product)).content.decode()
    assert 'data-testid="single-variant"' in page
    assert product.variants.get().sku in page
    assert 'data-testid="size-matrix"' not in page


def test_sizes_without_colours(user_client_a: Client, price_list_a: PriceList) -> None:
    product = listed_product(price_lists=[price_list_a], colours=("",), sizes=("S", "M"))
    page = user_client_a.get(_product_url(product)).content.decode()
    assert 'data-testid="size-matrix"' in page
    assert 'data-testid="colour-choice"' not in page
    assert page.count('class="catalog-cell"') == 2


def test_expired_agreements_are_not_offered(
    user_client_a: Client, partner_a: Partner, gown: Product
) -> None:
    from datetime import timedelta

    from django.utils import timezone

    retail = PriceListFactory.create(code="Розница")
    expired = AgreementFactory.create(
        counterparty=partner_a.counterparties.get(),
        price_list=retail.code,
        number="R-old",
        valid_until=timezone.localdate() - timedelta(days=1),
    )
    listed_product(price_lists=[retail], name="Скальпель")
    page = user_client_a.get(LIST, {"agreement": expired.pk}).content.decode()
    assert "R-old" not in page
    assert _names(page) == ["Халат медицинский"]  # the main agreement's prices
    expired.valid_until = timezone.localdate()  # valid through today
    expired.save()
    page = user_client_a.get(LIST, {"agreement": expired.pk}).content.decode()
    assert _names(page) == ["Скальпель"]


def test_section_tree_offers_only_sections_with_products(
    user_client_a: Client, price_list_a: PriceList
) -> None:
    clothes = SectionFactory.create(name="Одежда")
    gowns = SectionFactory.create(name="Халаты", parent=clothes)
    SectionFactory.create(name="Пустой", parent=clothes)
    SectionFactory.create(name="Расходники")  # sold only under another price list
    listed_product(price_lists=[PriceListFactory.create()], name="Маска")
    listed_product(price_lists=[price_list_a], section=gowns, name="Халат")
    tree = user_client_a.get(LIST, {"section": clothes.pk}).content.decode()
    tree = tree[tree.index('data-testid="catalog-sections"') : tree.index("catalog-in-stock")]
    assert ">Одежда</a>" in tree
    assert ">Халаты</a>" in tree  # the parent is open: its children show
    assert "Пустой" not in tree
    assert "Расходники" not in tree


def test_pushed_addresses_leave_out_empty_fields(user_client_a: Client, gown: Product) -> None:
    params = {"q": "", "sort": "price", "in_stock": "", "attr_material": "", "view": "list"}
    response = user_client_a.get(LIST, params, headers=HTMX_RESULTS)
    assert response["HX-Push-Url"] == f"{LIST}?sort=price&view=list"
    page = response.content.decode()
    assert "q=&amp;" not in page
    assert "attr_material=" not in page
    more = user_client_a.get(LIST, {"q": ""}, headers=HTMX_MORE)
    assert "HX-Push-Url" not in more  # "Show more" keeps the address


@pytest.mark.parametrize("htmx", [False, True])
def test_a_catalog_page_reads_the_listings_generation_twice_at_most(
    user_client_a: Client, gown: Product, monkeypatch: pytest.MonkeyPatch, htmx: bool
) -> None:
    """With Redis each read of the generation is a round trip: the price list's and the
    facets', once each, whatever the page shows (rows' brands, filters, a section)."""
    from django.core.cache import cache

    from kabinet.catalog import selectors

    url = reverse("catalog:list") + f"?section={gown.section_id}&q=халат"
    headers = {"HX-Request": "true", "HX-Target": "catalog-results"} if htmx else {}
    user_client_a.get(url, headers=headers)
    reads: list[str] = []

    class Counting:
        def __getattr__(self, name: str) -> Any:
            return getattr(cache, name)

        def get(self, key: str, *args: Any) -> Any:
            if key == selectors.LISTINGS_GENERATION_KEY:
                reads.append(key)
            return cache.get(key, *args)

    monkeypatch.setattr(selectors, "cache", Counting())
    response = user_client_a.get(url, headers=headers)
    assert response.status_code == 200
    assert gown.name in response.content.decode()
    assert len(reads) == 2
