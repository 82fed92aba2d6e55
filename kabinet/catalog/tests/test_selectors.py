"""Catalog reads: keyset pages, filters, search, the agreement, the product card."""

import base64
import json
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection

from kabinet.catalog.models import Listing, Price, PriceList, Product, Stock
from kabinet.catalog.selectors import (
    CatalogQuery,
    NotAvailable,
    agreement_choose,
    catalog_facets,
    catalog_page,
    listing_filter_keys,
    listing_search_keys,
    product_card,
    section_nav,
)
from kabinet.catalog.services import listing_refresh
from kabinet.catalog.tests.factories import (
    BrandFactory,
    PartnerArticleFactory,
    PriceFactory,
    PriceListFactory,
    SectionFactory,
    VariantFactory,
    listed_product,
)
from kabinet.partners.models import Partner
from kabinet.partners.tests.factories import AgreementFactory


def _walk(partner: Partner, price_list: PriceList, query: CatalogQuery, limit: int) -> list[int]:
    """Every page, following the cursors: the product ids in the order shown."""
    seen: list[int] = []
    for _ in range(100):
        page = catalog_page(partner=partner, price_list=price_list, query=query, limit=limit)
        assert len(page.listings) <= limit
        seen += [listing.product_id for listing in page.listings]
        if page.next_cursor is None:
            return seen
        query.after = page.next_cursor
    raise AssertionError("the cursors never end")


def _ids(products: list[Product]) -> list[int]:
    return [product.pk for product in products]


@pytest.fixture
def tied(price_list_a: PriceList) -> list[Product]:
    """Eleven products, with ties on the name (folded) and on the price."""
    names_prices = [
        ("Бахилы", "10.00"),
        ("бахилы", "10.00"),
        ("БАХИЛЫ", "250.50"),
        ("Халат", "1200.00"),
        ("Костюм", "250.50"),
        ("костюм", "250.50"),
        ("Шапочка", "10.00"),
        ("Маска", "99.99"),
        ("Маска", "1200.00"),
        ("Перчатки", "0.00"),
        ("Apron", "250.50"),
    ]
    return [
        listed_product(price_lists=[price_list_a], name=name, price=price)
        for name, price in names_prices
    ]


@pytest.mark.parametrize("limit", [1, 2, 3, 4, 50])
def test_walking_by_name_shows_every_product_once_in_order(
    partner_a: Partner, price_list_a: PriceList, tied: list[Product], limit: int
) -> None:
    seen = _walk(partner_a, price_list_a, CatalogQuery(sort="name"), limit)
    expected = sorted(tied, key=lambda p: (p.name.casefold(), p.pk))
    assert seen == _ids(expected)
    database_order = Listing.objects.filter(price_list=price_list_a).order_by(
        "name_folded", "product_id"
    )
    assert seen == [listing.product_id for listing in database_order]


@pytest.mark.parametrize("limit", [1, 2, 3, 50])
@pytest.mark.parametrize("sort", ["price", "-price"])
def test_walking_by_price_shows_every_product_once_in_order(
    partner_a: Partner, price_list_a: PriceList, tied: list[Product], limit: int, sort: str
) -> None:
    seen = _walk(partner_a, price_list_a, CatalogQuery(sort=sort), limit)
    prices = {p.pk: p.listings.get().min_price for p in tied}
    expected = sorted(prices, key=lambda pk: (prices[pk], pk), reverse=sort == "-price")
    assert seen == expected
    assert len(set(seen)) == len(tied)


def _plan(sql: str, params: list[Any]) -> str:
    explain = "EXPLAIN QUERY PLAN " if connection.vendor == "sqlite" else "EXPLAIN "
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":  # a few rows: the table would be read whole
            cursor.execute("SET LOCAL enable_seqscan = off")
            cursor.execute("SET LOCAL enable_bitmapscan = off")
        cursor.execute(explain + sql, params)
        return "\n".join(str(row[-1]) for row in cursor.fetchall())


@pytest.mark.parametrize("sort", ["name", "price", "-price"])
def test_a_deep_page_is_read_from_the_cursor_on(
    partner_a: Partner, price_list_a: PriceList, tied: list[Product], sort: str
) -> None:
    """The cursor bounds the index range read; as a mere filter, a page deep in the catalog
    would read every listing before it (SQLite did, with the cursor as parameters)."""
    first = catalog_page(
        partner=partner_a, price_list=price_list_a, query=CatalogQuery(sort=sort), limit=2
    )
    assert first.next_cursor is not None
    executed: list[tuple[str, list[Any]]] = []

    def record(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        executed.append((sql, list(params)))
        return execute(sql, params, many, context)

    query = CatalogQuery(sort=sort, after=first.next_cursor)
    with connection.execute_wrapper(record):
        catalog_page(partner=partner_a, price_list=price_list_a, query=query, limit=2)
    [(sql, params)] = executed
    plan = _plan(sql, params)
    key = "name_folded" if sort == "name" else "min_price"
    if connection.vendor == "sqlite":
        assert f"({key},product_id)>(?,?)" in plan or f"({key},product_id)<(?,?)" in plan, plan
    else:
        index_condition = plan.split("Index Cond:")[1].replace("::text", "")
        assert f"ROW(({key}), product_id)" in index_condition or (
            f"ROW({key}, product_id)" in index_condition
        ), plan


def test_walking_a_filtered_catalog_keeps_the_filter(
    partner_a: Partner, price_list_a: PriceList, tied: list[Product]
) -> None:
    seen = _walk(partner_a, price_list_a, CatalogQuery(search="бахилы", sort="price"), 1)
    assert seen == _ids(tied[:3])


def test_page_shows_only_the_price_lists_products(
    partner_a: Partner, price_list_a: PriceList
) -> None:
    ours = listed_product(price_lists=[price_list_a], name="Ours")
    listed_product(price_lists=[PriceListFactory.create()], name="Theirs")
    page = catalog_page(partner=partner_a, price_list=price_list_a, query=CatalogQuery())
    assert [listing.product_id for listing in page.listings] == [ours.pk]
    assert page.currency == "RUB"
    assert page.next_cursor is None


@pytest.mark.parametrize(
    "after",
    [
        "garbage",
        "%%%",
        base64.urlsafe_b64encode(b"[1, 2, 3]").decode(),
        base64.urlsafe_b64encode(json.dumps(["x", 10**30]).encode()).decode(),
        base64.urlsafe_b64encode(json.dumps(["x", -1]).encode()).decode(),
        base64.urlsafe_b64encode(json.dumps(["NaN", 1]).encode()).decode(),
        base64.urlsafe_b64encode(json.dumps(["1e999", 1]).encode()).decode(),
        base64.urlsafe_b64encode(json.dumps(["бахилы", 1]).encode()).decode(),  # a name cursor
        base64.urlsafe_b64encode(json.dumps([None, 1]).encode()).decode(),
        base64.urlsafe_b64encode(b"\xff\xfe").decode(),
    ],
)
@pytest.mark.parametrize("sort", ["name", "price", "-price", "evil"])
def test_a_mangled_cursor_starts_from_the_top_or_is_harmless(
    partner_a: Partner, price_list_a: PriceList, tied: list[Product], after: str, sort: str
) -> None:
    page = catalog_page(
        partner=partner_a, price_list=price_list_a, query=CatalogQuery(sort=sort, after=after)
    )
    assert isinstance(page.listings, list)


def test_price_cursor_of_a_name_cursor_is_ignored(
    partner_a: Partner, price_list_a: PriceList, tied: list[Product]
) -> None:
    name_cursor = base64.urlsafe_b64encode(json.dumps(["бахилы", 1]).encode()).decode()
    query = CatalogQuery(sort="price", after=name_cursor)
    page = catalog_page(partner=partner_a, price_list=price_list_a, query=query)
    assert len(page.listings) == len(tied)


def test_section_filter_takes_the_whole_subtree(
    partner_a: Partner, price_list_a: PriceList
) -> None:
    clothes = SectionFactory.create(name="Одежда")
    gowns = SectionFactory.create(name="Халаты", parent=clothes)
    other = SectionFactory.create(name="Расходники")
    in_parent = listed_product(price_lists=[price_list_a], section=clothes)
    in_child = listed_product(price_lists=[price_list_a], section=gowns)
    listed_product(price_lists=[price_list_a], section=other)

    def shown(section_id: int) -> set[int]:
        query = CatalogQuery(section_id=section_id)
        page = catalog_page(partner=partner_a, price_list=price_list_a, query=query)
        return {listing.product_id for listing in page.listings}

    assert shown(clothes.pk) == {in_parent.pk, in_child.pk}
    assert shown(gowns.pk) == {in_child.pk}
    assert len(shown(999_999)) == 3  # an unknown section filters nothing


def test_brand_stock_and_attribute_filters(partner_a: Partner, price_list_a: PriceList) -> None:
    brand, other_brand = BrandFactory.create(), BrandFactory.create()
    cotton_f = listed_product(
        price_lists=[price_list_a],
        brand=brand,
        attributes={"material": "хлопок", "gender": "женский"},
    )
    cotton_m = listed_product(
        price_lists=[price_list_a],
        brand=other_brand,
        stock="0",
        attributes={"material": "хлопок", "gender": "мужской"},
    )
    poly = listed_product(
        price_lists=[price_list_a], brand=other_brand, stock=None, attributes={"material": "ПЭ"}
    )

    def shown(**filters: object) -> set[int]:
        query = CatalogQuery(**filters)  # type: ignore[arg-type]
        page = catalog_page(partner=partner_a, price_list=price_list_a, query=query)
        return {listing.product_id for listing in page.listings}

    assert shown(brand_ids=[brand.pk]) == {cotton_f.pk}
    assert shown(brand_ids=[brand.pk, other_brand.pk]) == {cotton_f.pk, cotton_m.pk, poly.pk}
    assert shown(in_stock=True) == {cotton_f.pk}
    assert shown(attributes={"material": "хлопок"}) == {cotton_f.pk, cotton_m.pk}
    assert shown(attributes={"material": "хлопок", "gender": "мужской"}) == {cotton_m.pk}
    assert shown(attributes={"material": "шёлк"}) == set()
    # Only known attribute keys become lookups: a request cannot spell its own.
    assert shown(attributes={"material__contains": "х"}) == {cotton_f.pk, cotton_m.pk, poly.pk}


def test_a_search_with_filters_finds_what_matches_the_term_and_every_filter(
    partner_a: Partner, price_list_a: PriceList
) -> None:
    """On PostgreSQL the index hands over only the listings with the filters' keys too
    (migration 0008): a key missing or stale would lose a product here."""
    cotton = listed_product(
        price_lists=[price_list_a],
        name="Халат хлопковый",
        attributes={"material": "хлопок", "gender": "женский"},
    )
    sold_out = listed_product(
        price_lists=[price_list_a],
        name="Халат без остатка",
        stock="0",
        attributes={"material": "хлопок"},
    )
    poly = listed_product(
        price_lists=[price_list_a], name="Халат ПЭ", attributes={"material": "ПЭ", "size": 3}
    )
    listed_product(price_lists=[price_list_a], name="Маска", attributes={"material": "хлопок"})

    def found(**filters: object) -> set[int]:
        query = CatalogQuery(search="халат", **filters)  # type: ignore[arg-type]
        page = catalog_page(partner=partner_a, price_list=price_list_a, query=query)
        return {listing.product_id for listing in page.listings}

    assert found() == {cotton.pk, sold_out.pk, poly.pk}
    assert found(in_stock=True) == {cotton.pk, poly.pk}
    assert found(attributes={"material": "хлопок"}) == {cotton.pk, sold_out.pk}
    assert found(in_stock=True, attributes={"material": "хлопок"}) == {cotton.pk}
    assert found(attributes={"material": "хлопок", "gender": "женский"}) == {cotton.pk}
    assert found(attributes={"material": "шёлк"}) == set()
    # Stock that comes and goes moves the listing in and out of the in-stock search.
    Stock.objects.filter(variant__product=sold_out).update(quantity=Decimal("4"))
    Stock.objects.filter(variant__product=cotton).update(quantity=Decimal("0"))
    listing_refresh(product_ids=[sold_out.pk, cotton.pk])
    assert found(in_stock=True, attributes={"material": "хлопок"}) == {sold_out.pk}


def test_search_by_name_sku_ean_and_own_article_code(
    partner_a: Partner, partner_b: Partner, price_list_a: PriceList
) -> None:
    gown = listed_product(price_lists=[price_list_a], name="Халат хирургический")
    mask = listed_product(price_lists=[price_list_a], name="Маска трёхслойная")
    cap = listed_product(price_lists=[price_list_a], name="Шапочка-берет")
    mask_variant = mask.variants.get()
    cap_variant = cap.variants.get()
    PartnerArticleFactory.create(partner=partner_a, variant=cap_variant, code="МОЙ-42")
    PartnerArticleFactory.create(partner=partner_b, variant=gown.variants.get(), code="ЧУЖОЙ-7")

    def found(term: str) -> set[int]:
        query = CatalogQuery(search=term)
        page = catalog_page(partner=partner_a, price_list=price_list_a, query=query)
        return {listing.product_id for listing in page.listings}

    assert found("халат") == {gown.pk}
    assert found("ТРЁХСЛОЙ") == {mask.pk}
    assert found(mask_variant.sku.lower()) == {mask.pk}
    assert found(f"  {mask_variant.sku}  ") == {mask.pk}
    assert found(str(cap_variant.ean)) == {cap.pk}
    assert found("мой-42") == {cap.pk}
    # Partner B's article code is B's business: it finds nothing for A.
    assert found("ЧУЖОЙ-7") == set()
    assert found("нет такого") == set()


def test_name_search_finds_the_term_anywhere_in_a_name_of_this_price_list_only(
    partner_a: Partner, price_list_a: PriceList
) -> None:
    suit = listed_product(price_lists=[price_list_a], name="Костюм медицинский")
    half = listed_product(price_lists=[price_list_a], name="Полукостюм")
    street = listed_product(price_lists=[price_list_a], name="Straße 5")
    listed_product(price_lists=[price_list_a], name="Брюки")
    # In another price list only: a key of this one is never a key of that one.
    listed_product(price_lists=[PriceListFactory.create()], name="Костюм хирургический")

    def found(term: str) -> set[int]:
        page = catalog_page(
            partner=partner_a, price_list=price_list_a, query=CatalogQuery(search=term)
        )
        return {listing.product_id for listing in page.listings}

    assert found("костюм") == {suit.pk, half.pk}
    assert found("КОСТЮМ МЕД") == {suit.pk}
    assert found("юм м") == {suit.pk}  # across the words
    assert found("дицинск") == {suit.pk}
    assert found("strasse") == {street.pk}  # casefolded: ß is ss
    assert found("ко") == {suit.pk, half.pk}  # fewer than three letters: no keys
    assert found("костюмы") == set()
    assert found("хирург") == set()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the keys' index is PostgreSQL's")
@pytest.mark.django_db
def test_search_keys_are_those_the_database_indexes() -> None:
    """The term's and the filters' keys (Python) are looked up in an index of the listings'
    keys (SQL, migrations 0006 and 0008): both must cut the same three characters and spell
    the filters alike."""
    names = ["костюм медицинский", "ab", "abc", "a b c d", "тест 😀 emoji", "x" * 255]
    attributes = {"material": "хлопок", "gender": "жен=ский;", "size": 3, "pack": None}
    text_attributes = {"material": "хлопок", "gender": "жен=ский;"}
    with connection.cursor() as cursor:
        for name in names:
            for in_stock in (True, False):
                cursor.execute(
                    "SELECT catalog_listing_search_keys(%s, %s, %s, %s::jsonb)",
                    [7, name, in_stock, json.dumps(attributes)],
                )
                expected = listing_search_keys(7, name) + listing_filter_keys(
                    7, in_stock=in_stock, attributes=text_attributes
                )
                assert set(cursor.fetchone()[0]) == set(expected), (name, in_stock)
        cursor.execute("SELECT catalog_listing_search_keys(7, 'abcd', true, '[1, 2]'::jsonb)")
        assert set(cursor.fetchone()[0]) == {"7:abc", "7:bcd", "7;in stock"}


def test_a_product_found_by_name_and_by_code_shows_once_with_its_values(
    partner_a: Partner, price_list_a: PriceList
) -> None:
    gown = listed_product(
        price_lists=[price_list_a], name="Халат GW-42", price="250.50", stock="7.5"
    )
    gown.variants.update(sku="GW-42")
    other = listed_product(price_lists=[price_list_a], name="Маска", price="99.99")
    other.variants.update(sku="gw-42-b")
    page = catalog_page(
        partner=partner_a, price_list=price_list_a, query=CatalogQuery(search="gw-42")
    )
    assert [row.product_id for row in page.listings] == [gown.pk]
    row = page.listings[0]
    # The values as the ORM would read them, on either database.
    assert (str(row.min_price), str(row.max_price), str(row.stock)) == ("250.50", "250.50", "7.500")
    assert (row.name, row.variant_count) == ("Халат GW-42", 1)


def test_sku_search_ignores_case(partner_a: Partner, price_list_a: PriceList) -> None:
    gown = listed_product(price_lists=[price_list_a], name="Халат")
    gown.variants.update(sku="gw-Mix-42")
    for term in ("gw-Mix-42", "GW-MIX-42", "gw-mix-42", "Gw-mIx-42"):
        page = catalog_page(
            partner=partner_a, price_list=price_list_a, query=CatalogQuery(search=term)
        )
        assert [row.product_id for row in page.listings] == [gown.pk], term


def test_search_is_not_a_pattern(partner_a: Partner, price_list_a: PriceList) -> None:
    listed_product(price_lists=[price_list_a], name="Халат")
    for term in ("%", "_", "%%", "\\"):
        page = catalog_page(
            partner=partner_a, price_list=price_list_a, query=CatalogQuery(search=term)
        )
        assert page.listings == []


def test_agreement_choose_never_returns_another_partners_agreement(
    partner_a: Partner, partner_b: Partner
) -> None:
    main = partner_a.agreements.get(is_main=True)
    second = AgreementFactory.create(counterparty=main.counterparty, price_list="Розница")
    foreign = partner_b.agreements.get()

    assert agreement_choose(partner=partner_a, agreement_id=second.pk) == second
    assert agreement_choose(partner=partner_a, agreement_id=None) == main
    assert agreement_choose(partner=partner_a, agreement_id=foreign.pk) == main
    assert agreement_choose(partner=partner_a, agreement_id=10**12) == main
    assert agreement_choose(partner=partner_b, agreement_id=second.pk) == foreign


def test_agreement_choose_without_agreements(partner_a: Partner) -> None:
    partner_a.agreements.all().delete()
    assert agreement_choose(partner=partner_a, agreement_id=None) is None


def test_facets_come_from_the_price_lists_products(price_list_a: PriceList) -> None:
    sold, unsold = BrandFactory.create(name="Sold"), BrandFactory.create(name="Unsold")
    listed_product(price_lists=[price_list_a], brand=sold, attributes={"material": "хлопок"})
    listed_product(
        price_lists=[price_list_a], brand=None, attributes={"material": "Бязь", "gender": "унисекс"}
    )
    listed_product(
        price_lists=[PriceListFactory.create()], brand=unsold, attributes={"material": "шёлк"}
    )
    facets = catalog_facets(price_list=price_list_a)
    assert facets.brands == [sold]
    assert facets.attributes == {"material": ["Бязь", "хлопок"], "gender": ["унисекс"]}


def test_facets_follow_listing_refresh(price_list_a: PriceList) -> None:
    first = BrandFactory.create(name="First")
    listed_product(price_lists=[price_list_a], brand=first, attributes={"material": "хлопок"})
    assert catalog_facets(price_list=price_list_a).brands == [first]  # now cached
    second = BrandFactory.create(name="Second")
    product = listed_product(
        price_lists=[price_list_a], brand=second, attributes={"material": "шёлк"}, refresh=False
    )
    assert catalog_facets(price_list=price_list_a).brands == [first]  # not listed yet
    listing_refresh(product_ids=[product.pk])
    facets = catalog_facets(price_list=price_list_a)
    assert facets.brands == [first, second]
    assert facets.attributes["material"] == ["хлопок", "шёлк"]
    Price.objects.filter(variant__product=product).delete()  # no longer sold
    listing_refresh(price_list_ids=[price_list_a.pk])
    assert catalog_facets(price_list=price_list_a).brands == [first]


def test_section_nav_opens_down_to_the_current_section(db: None) -> None:
    clothes = SectionFactory.create(name="Одежда")
    gowns = SectionFactory.create(name="Халаты", parent=clothes)
    surgical = SectionFactory.create(name="Хирургические", parent=gowns)
    SectionFactory.create(name="Костюмы", parent=clothes)
    other = SectionFactory.create(name="Расходники")
    SectionFactory.create(name="Маски", parent=other)

    nav = section_nav(current_id=gowns.pk)
    assert [node.section for node in nav.roots] == [clothes, other]
    assert nav.current == gowns
    assert nav.trail == [clothes, gowns]
    top = nav.roots[0]
    assert top.open
    assert not top.active
    assert [n.section.name for n in top.children] == ["Халаты", "Костюмы"]
    assert top.children[0].active
    assert top.children[0].open
    assert top.children[0].children[0].section == surgical
    assert not nav.roots[1].open

    nothing = section_nav(current_id=None)
    assert nothing.current is None
    assert nothing.trail == []
    assert not any(node.open for node in nothing.roots)


def test_product_card_matrix(partner_a: Partner, price_list_a: PriceList) -> None:
    product = listed_product(
        price_lists=[price_list_a], colours=("Синий", "Белый"), sizes=("S", "M", "L")
    )
    # Blue L is not sold under this price list; white XL is archived.
    product.variants.get(colour="Синий", size="L").prices.all().delete()
    archived = VariantFactory.create(
        product=product, colour="Белый", size="XL", position=3, is_archived=True
    )
    PriceFactory.create(price_list=price_list_a, variant=archived)
    cheap = product.variants.get(colour="Белый", size="S")
    cheap.prices.update(amount=Decimal("500.00"))
    listing_refresh(product_ids=[product.pk])

    card = product_card(partner=partner_a, price_list=price_list_a, product_id=product.pk)
    assert card.colours == ["Белый", "Синий"]
    assert card.sizes == ["S", "M", "L"]
    rows = dict(card.rows())
    assert [cell.price if cell else None for cell in rows["Белый"]] == [
        Decimal("500.00"),
        Decimal("1000.00"),
        Decimal("1000.00"),
    ]
    assert rows["Синий"][2] is None
    assert rows["Белый"][0].variant == cheap  # type: ignore[union-attr]
    assert card.listing.min_price == Decimal("500.00")
    assert [section.pk for section in card.trail] == [product.section_id]


def test_product_card_refuses_what_the_price_list_does_not_sell(
    partner_a: Partner, price_list_a: PriceList
) -> None:
    elsewhere = listed_product(price_lists=[PriceListFactory.create()])
    archived = listed_product(price_lists=[price_list_a], is_archived=True)
    for product_id in (elsewhere.pk, archived.pk, 987_654):
        with pytest.raises(NotAvailable):
            product_card(partner=partner_a, price_list=price_list_a, product_id=product_id)
