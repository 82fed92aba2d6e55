"""Reads of the catalog, always through the partner's agreement (ORD1, ORD2, ORD3)."""

import base64
import binascii
import json
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from decimal import Context, Decimal, InvalidOperation
from hashlib import md5
from typing import Any, NamedTuple
from uuid import uuid4

from django.core.cache import cache
from django.db import connection
from django.db.models import Prefetch, Q
from django.db.models.fields.json import KeyTextTransform
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from kabinet.catalog.models import (
    Brand,
    Listing,
    Price,
    PriceList,
    Product,
    ProductImage,
    Section,
    Variant,
)
from kabinet.partners.models import Agreement, Partner

PAGE_SIZE = 50
SORTS = ("name", "price", "-price")
# What the keys of Product.attributes mean, for people; an unknown key is shown as it is.
ATTRIBUTE_LABELS: dict[str, Promise] = {
    "material": _("Material"),
    "gender": _("Gender"),
    "sterility": _("Sterility"),
    "powder": _("Powder"),
    "pack": _("Pack"),
    "protection": _("Protection class"),
    "components": _("Components"),
    "volume": _("Volume"),
    "gauge": _("Needle gauge"),
    "purpose": _("Purpose"),
    "type": _("Type"),
    "cuff": _("Cuff"),
}
# The attributes the catalog filters by.
FILTER_ATTRIBUTES: dict[str, Promise] = {
    key: ATTRIBUTE_LABELS[key] for key in ("material", "gender")
}
MAX_ID = 2**63 - 1  # larger ids come only from tampered addresses; PostgreSQL refuses them
MAX_PRICE = Decimal(10) ** 10  # Price.amount has 12 digits, 2 of them decimals


class NotAvailable(Exception):
    """The product is not sold under the partner's agreement (or does not exist): 404."""


def agreement_list_for_catalog(*, partner: Partner, today: date | None = None) -> list[Agreement]:
    """The partner's agreements in force (not past their `valid_until`), the main one first."""
    today = today or timezone.localdate()
    return list(
        Agreement.objects.for_partner(partner)
        .filter(Q(valid_until__isnull=True) | Q(valid_until__gte=today))
        .select_related("counterparty")
    )


def agreement_pick(agreements: list[Agreement], *wanted: int | None) -> Agreement | None:
    """Of the partner's `agreements` (agreement_list_for_catalog), the first of the `wanted`
    ids that is among them, else the main one, else the first."""
    by_id = {agreement.pk: agreement for agreement in agreements}
    for agreement_id in wanted:
        if agreement_id in by_id:
            return by_id[agreement_id]
    return agreements[0] if agreements else None


def agreement_choose(*, partner: Partner, agreement_id: int | None) -> Agreement | None:
    """The agreement the catalog shows prices for: the requested one if it is the partner's,
    else the main one, else the first."""
    return agreement_pick(agreement_list_for_catalog(partner=partner), agreement_id)


def price_list_of(agreement: Agreement) -> PriceList | None:
    """The agreement's price list. Found ones are cached under the listings' generation (a
    price list gets its listings, and so a new generation, when its prices are loaded):
    every catalog page needs it."""
    code = agreement.price_list
    key = f"catalog:price-list:{md5(code.encode(), usedforsecurity=False).hexdigest()}"
    key = f"{key}:{_listings_generation()}"
    found = _cached(key, PriceList, lambda: PriceList.objects.filter(code=code).first())
    return found if found is not None and found.code == code else None


@dataclass(frozen=True)
class AgreementPrices:
    """What the variants cost under an agreement: its price list (None when the ERP has not
    loaded it) and `{variant id: price}` of the variants on sale under it — a live variant
    of a live product with a price in that list. A variant not in `amounts` cannot be
    ordered under the agreement."""

    price_list: PriceList | None
    amounts: dict[int, Decimal]

    @property
    def currency(self) -> str:
        return self.price_list.currency if self.price_list else ""


def agreement_prices(*, agreement: Agreement | None, variant_ids: Any) -> AgreementPrices:
    """Prices of `variant_ids` (ids, or a subquery of them) under the agreement, read fresh
    (carts, checkout and repricing must not see a cached price). Two queries."""
    if agreement is None:
        return AgreementPrices(None, {})
    price_list = PriceList.objects.filter(code=agreement.price_list).first()
    if price_list is None:
        return AgreementPrices(None, {})
    amounts = dict(
        Price.objects.filter(
            price_list=price_list,
            variant_id__in=variant_ids,
            variant__is_archived=False,
            variant__product__is_archived=False,
        ).values_list("variant_id", "amount")
    )
    return AgreementPrices(price_list, amounts)


@dataclass
class CatalogQuery:
    section_id: int | None = None
    brand_ids: list[int] = field(default_factory=list)
    in_stock: bool = False
    search: str = ""
    attributes: dict[str, str] = field(default_factory=dict)
    sort: str = "name"
    after: str = ""  # the cursor of the last row of the previous page


class CatalogRow(NamedTuple):
    """What a catalog row shows of a listing: plain values, not model instances (building 150
    of those per page, listing, product and brand, was a good part of its time)."""

    product_id: int
    name: str
    name_folded: str
    min_price: Decimal
    max_price: Decimal
    stock: Decimal
    variant_count: int
    brand_name: str | None
    image: str  # the product's main image (a storage name), "" for none


@dataclass
class CatalogPage:
    listings: list[CatalogRow]
    next_cursor: str | None
    currency: str


def _cursor(row: CatalogRow, sort: str) -> str:
    key = row.name_folded if sort == "name" else str(row.min_price)
    raw = json.dumps([key, row.product_id]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode_cursor(cursor: str, sort: str) -> tuple[str | Decimal, int] | None:
    """The (key, product id) a cursor carries, or None for a mangled one or one of another
    sort order: that starts from the top, it is not an error."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        key, product_id = json.loads(raw)
        product_id = int(product_id)
        if not 0 < product_id <= MAX_ID or not isinstance(key, str):
            return None
        if sort == "name":
            return key, product_id
        amount = Decimal(key)
    except (ValueError, TypeError, InvalidOperation, binascii.Error, RecursionError):
        return None
    if not amount.is_finite() or abs(amount) >= MAX_PRICE:
        return None
    return amount, product_id


# The catalog page's statement is written in SQL rather than built with the ORM: building
# and compiling its querysets (listings, and the codes a search looks up) took longer than
# the database took to answer them (~1 ms of page 1's ~7, ~3 ms of the search page's ~11;
# decisions.md, 2026-12-02). Every value is a parameter; where the two databases differ,
# both spellings are side by side.
LISTING_COLUMNS = (
    "l.product_id, l.name, l.name_folded, l.min_price, l.max_price, l.stock,"
    " l.variant_count, l.brand_id, l.image"
)
# No join for the brand's name: it comes from the price list's cached facets (a join cost
# the search ~0.5 ms of planning and execution).
LISTINGS = "catalog_listing l"
# Products with a variant whose SKU or EAN is the term, or the partner's own article code for
# one; parameters: `_code_params`. Each lookup is its own branch of a UNION, on its index:
# SQLite (3.40) does not use the indexes for `sku IN (…) OR ean = …` and scanned all the
# variants instead (~80 ms on data set L). PostgreSQL has the same lookups in a function
# (migration 0008), whose statement is prepared once per connection, not planned per search.
PRODUCTS_BY_CODE_PG = "SELECT catalog_products_by_code(%s, %s, %s)"
PRODUCTS_BY_CODE = (
    # UPPER(sku) has an index; `sku IN` also finds a SKU typed as it is or in capitals
    # where the database's UPPER folds fewer letters than Python's.
    "SELECT product_id FROM catalog_variant WHERE UPPER(sku) = %s"
    " UNION SELECT product_id FROM catalog_variant WHERE sku IN (%s, %s)"
    " UNION SELECT product_id FROM catalog_variant WHERE ean = %s"
    # Index (partner, UPPER(code)).
    " UNION SELECT v.product_id FROM catalog_partnerarticle a"
    " JOIN catalog_variant v ON v.id = a.variant_id"
    " WHERE a.partner_id = %s AND UPPER(a.code) = UPPER(%s)"
)
# How SQLite's decimals (stored as numbers) become Decimals, as Django's own converter does.
SQLITE_DECIMALS = Context(prec=15)
CENTS = Decimal("0.01")  # Listing.min_price and max_price
THOUSANDTHS = Decimal("0.001")  # Listing.stock


# PostgreSQL's name search (migrations 0006, 0008, 0009): a listing's keys are its price list's id
# and every three consecutive characters of its folded name, so a name contains the term only
# if its keys contain the term's; and its filter keys (in stock, each text attribute), so a
# search with filters reads only the listings that match them too. The expression is the
# index's, as written there.
SEARCH_KEYS = (
    "catalog_listing_search_keys(l.price_list_id, l.name_folded, l.in_stock, l.attributes)"
)


def listing_search_keys(price_list_id: int, folded: str) -> list[str]:
    """The keys a listing of the price list has if its folded name contains `folded`, as
    `catalog_listing_search_keys` makes them; none for fewer than three characters."""
    return list(
        dict.fromkeys(f"{price_list_id}:{folded[i : i + 3]}" for i in range(len(folded) - 2))
    )


def listing_filter_keys(
    price_list_id: int, *, in_stock: bool, attributes: dict[str, str]
) -> list[str]:
    """The keys a listing of the price list has if it is in stock (when asked) and has these
    attribute values, as `catalog_listing_search_keys` makes them."""
    keys = [f"{price_list_id};in stock"] if in_stock else []
    return keys + [f"{price_list_id};{name}={value}" for name, value in attributes.items()]


def _sort_of(query: CatalogQuery) -> str:
    return query.sort if query.sort in SORTS else "name"


def _code_params(partner: Partner, term: str) -> list[Any]:
    if connection.vendor == "postgresql":
        return [partner.pk, term, term.upper()]
    return [term.upper(), term, term.upper(), term, partner.pk, term]


def _listing_sql(
    partner: Partner,
    price_list: PriceList,
    facets: "CatalogFacets",
    query: CatalogQuery,
    limit: int,
) -> tuple[str, list[Any]]:
    """The statement of one catalog page and its parameters: `limit` + 1 listings (the one
    more tells whether there is a next page)."""
    postgres = connection.vendor == "postgresql"
    where = ["l.price_list_id = %s"]
    params: list[Any] = [price_list.pk]
    if query.section_id:
        # The sections this price list sells in are cached with its facets: no query. Any
        # other id (unknown, or of a section it sells nothing in) filters nothing, as the
        # section tree does not offer it.
        section = next((s for s in facets.sections if s.pk == query.section_id), None)
        if section is not None:
            # PostgreSQL's LIKE escapes with a backslash unless told otherwise; SQLite's
            # must be told. Index (price_list, section_path varchar_pattern_ops) on PG.
            escape = "" if postgres else " ESCAPE '\\'"
            where.append(f"l.section_path LIKE %s{escape}")
            params.append(connection.ops.prep_for_like_query(section.path) + "%")
    if query.brand_ids:
        where.append(f"l.brand_id IN ({', '.join(['%s'] * len(query.brand_ids))})")
        params += query.brand_ids
    if query.in_stock:
        where.append("l.stock > 0")
    filtered: dict[str, str] = {}
    for name, value in query.attributes.items():
        if name not in FILTER_ATTRIBUTES:  # never a key spelled by the request
            continue
        filtered[name] = value
        if postgres:
            where.append("(l.attributes -> %s) = %s::jsonb")
            params += [name, json.dumps(value)]
        else:
            where.append("json_extract(l.attributes, %s) = %s")
            params += [f'$."{name}"', value]
    sort = _sort_of(query)
    cursor = _decode_cursor(query.after, sort) if query.after else None
    key = "name_folded" if sort == "name" else "min_price"
    descending = sort == "-price"
    order = " DESC" if descending else ""
    if cursor:  # the rows after the cursor's in the page's order
        # A row comparison: both databases read the (price list, key, product) index from
        # the cursor on. Spelled as "key beyond, or key equal and product beyond", SQLite
        # read every listing of the price list before the cursor once the values were
        # parameters (1 ms at page 200 of data set L, more the deeper), and PostgreSQL
        # merged two index scans and sorted.
        beyond = "<" if descending else ">"
        where.append(f"(l.{key}, l.product_id) {beyond} (%s, %s)")
        params += [cursor[0], cursor[1]]
    filters = " AND ".join(where)
    # Only fixed fragments are joined into the statements; every value is a parameter.
    if not query.search:
        sql = f"SELECT {LISTING_COLUMNS} FROM {LISTINGS} WHERE {filters}"  # noqa: S608
        sql += f" ORDER BY l.{key}{order}, l.product_id{order} LIMIT %s"
        return sql, [*params, limit + 1]
    # A search: the listings whose name contains the term, and those of the products the
    # term is a code of. A UNION, so that PostgreSQL answers the name from its keys' index:
    # OR-ed with the codes' subquery, the name could only be a filter on every listing of the
    # price list. SQLite: instr(), in C — its LIKE is our Unicode-aware Python function
    # (kabinet.sqlite), and the names are folded already.
    term = query.search.strip()
    folded = term.casefold()
    name_params: list[Any]
    if not postgres:
        by_name = "instr(l.name_folded, %s) > 0"
        name_params = [folded]
    elif keys := listing_search_keys(price_list.pk, folded):
        # The index finds the listings with all the term's keys and the filters' (the filters
        # above still decide); the LIKE keeps those where the term's keys are in a row.
        keys += listing_filter_keys(price_list.pk, in_stock=query.in_stock, attributes=filtered)
        by_name = f"{SEARCH_KEYS} @> %s::text[] AND l.name_folded LIKE %s"
        name_params = [keys, f"%{connection.ops.prep_for_like_query(folded)}%"]
    else:  # fewer than three letters: no key, the price list's listings are read
        by_name = "l.name_folded LIKE %s"
        name_params = [f"%{connection.ops.prep_for_like_query(folded)}%"]
    # The name first: SQLite tests a row's conditions in the order written, and the term
    # rules out most listings (all but 624 of 10,000 on L for "костюм") before an attribute
    # filter parses each one's JSON: the filtered search 6.4 → 4.2 ms. PostgreSQL orders
    # them itself.
    sql = (
        f"SELECT {LISTING_COLUMNS} FROM {LISTINGS} WHERE {by_name} AND {filters}"  # noqa: S608
        f" UNION SELECT {LISTING_COLUMNS} FROM {LISTINGS} WHERE {filters}"
        f" AND l.product_id IN ({PRODUCTS_BY_CODE_PG if postgres else PRODUCTS_BY_CODE})"
        f" ORDER BY {key}{order}, product_id{order} LIMIT %s"
    )
    return sql, [*name_params, *params, *params, *_code_params(partner, term), limit + 1]


def _catalog_row(
    values: tuple[Any, ...], brand_names: dict[int, str], *, decimals_as_numbers: bool
) -> CatalogRow:
    product_id, name, name_folded, min_price, max_price, stock, variant_count, brand, image = values
    if decimals_as_numbers:  # SQLite; psycopg reads numeric as Decimal already
        min_price = SQLITE_DECIMALS.create_decimal_from_float(min_price).quantize(CENTS)
        max_price = SQLITE_DECIMALS.create_decimal_from_float(max_price).quantize(CENTS)
        stock = SQLITE_DECIMALS.create_decimal_from_float(stock).quantize(THOUSANDTHS)
    return CatalogRow(
        product_id,
        name,
        name_folded,
        min_price,
        max_price,
        stock,
        variant_count,
        brand_names.get(brand) if brand is not None else None,
        image,
    )


def catalog_page(
    *,
    partner: Partner,
    price_list: PriceList,
    query: CatalogQuery,
    limit: int = PAGE_SIZE,
    facets: "CatalogFacets | None" = None,
) -> CatalogPage:
    """One page of the catalog as the partner's agreement sells it, keyset-paginated: page
    500 costs what page 1 costs (QUALITY.md P1). `facets`: the price list's, when the caller
    has them already (with Redis, each `catalog_facets` reads the listings' generation)."""
    if facets is None:
        facets = catalog_facets(price_list=price_list)
    sql, params = _listing_sql(partner, price_list, facets, query, limit)
    # Every brand of the listings is among the facets of the same listings' generation.
    brand_names = facets.brand_names
    sqlite = connection.vendor == "sqlite"
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = [
            _catalog_row(values, brand_names, decimals_as_numbers=sqlite)
            for values in cursor.fetchall()
        ]
    sort = _sort_of(query)
    next_cursor = _cursor(rows[limit - 1], sort) if len(rows) > limit else None
    return CatalogPage(listings=rows[:limit], next_cursor=next_cursor, currency=price_list.currency)


def _trail_paths(path: str) -> list[str]:
    """The paths of a section and its ancestors: "0001.0004." → ["0001.", "0001.0004."]."""
    parts = path.split(".")[:-1]
    return [".".join(parts[: n + 1]) + "." for n in range(len(parts))]


@dataclass
class SectionNode:
    section: Section
    children: list["SectionNode"] = field(default_factory=list)
    active: bool = False  # the section being shown
    open: bool = False  # the active section or one of its ancestors: its children are shown


@dataclass
class SectionNav:
    roots: list[SectionNode]
    current: Section | None
    trail: list[Section]  # from the top section down to the current one


def section_nav(*, current_id: int | None, sections: list[Section] | None = None) -> SectionNav:
    """The section tree for navigation, opened down to the current section: of `sections`
    (ordered by path; a price list's, from its facets) or else of all (one query)."""
    if sections is None:
        sections = list(Section.objects.order_by("path"))
    sections = sorted(sections, key=lambda s: (s.depth, s.position, s.path))
    current = next((s for s in sections if s.pk == current_id), None)
    trail_paths = _trail_paths(current.path) if current else []
    nodes = {
        s.pk: SectionNode(s, active=s is current, open=s.path in trail_paths) for s in sections
    }
    roots: list[SectionNode] = []
    for s in sections:
        parent = nodes.get(s.parent_id) if s.parent_id else None
        (parent.children if parent else roots).append(nodes[s.pk])
    trail = sorted((s for s in sections if s.path in trail_paths), key=lambda s: len(s.path))
    return SectionNav(roots=roots, current=current, trail=trail)


@dataclass
class CatalogFacets:
    brands: list[Brand]
    attributes: dict[str, list[str]]  # FILTER_ATTRIBUTES key → the values on sale
    # The sections the price list sells something in (in them or below), ordered by path.
    sections: list[Section] = field(default_factory=list)

    @property
    def brand_names(self) -> dict[int, str]:
        return {brand.pk: brand.name for brand in self.brands}


# Facets are cached per price list under the listings' generation, which listing_refresh
# renews: a full catalog page then costs the same whatever the data size (QUALITY.md P1).
LISTINGS_GENERATION_KEY = "catalog:listings-generation"
FACETS_TIMEOUT = 60 * 60  # bounds how long a renamed brand shows its old name (filters, rows)


def listings_changed() -> None:
    """Invalidate what is derived from listings (the facets): a new generation."""
    cache.set(LISTINGS_GENERATION_KEY, uuid4().hex, None)


def _listings_generation() -> str:
    generation = cache.get(LISTINGS_GENERATION_KEY)
    if generation is None:  # never set, or evicted: a new one, never an old one reused
        cache.add(LISTINGS_GENERATION_KEY, uuid4().hex, None)
        generation = cache.get(LISTINGS_GENERATION_KEY)
    return str(generation)


# Process-local copies of what `_cached` reads from the cache, under the same keys (so the
# same generation): a catalog page then unpickles no model instances (~0.5 ms for the
# facets' brands and sections) and, with Redis, makes no round trip for them. A copy is kept
# LOCAL_TIMEOUT at most, so a renamed brand still shows within FACETS_TIMEOUT and a minute.
LOCAL_TIMEOUT = 60.0
LOCAL_SIZE = 512
_local: OrderedDict[str, tuple[float, object]] = OrderedDict()


def _cached[T](key: str, kind: type[T], read: Callable[[], T | None]) -> T | None:
    """The value under `key`: the process's copy, else the cache's, else `read()` (then
    cached; None is not). Values are shared between requests: callers never change them."""
    now = time.monotonic()
    local = _local.get(key)
    if local is not None and local[0] > now and isinstance(local[1], kind):
        return local[1]
    value = cache.get(key)
    if not isinstance(value, kind):
        value = read()
        if value is None:
            return None
        cache.set(key, value, FACETS_TIMEOUT)
    _local[key] = (now + LOCAL_TIMEOUT, value)
    while len(_local) > LOCAL_SIZE:
        try:
            _local.popitem(last=False)
        except KeyError:  # emptied by another thread meanwhile
            break
    return value


def catalog_facets(*, price_list: PriceList) -> CatalogFacets:
    """The brands and attribute values of what the price list sells: the choices of the
    catalog's filters. Cached until listings are refreshed; on a miss two queries, however
    many products."""
    key = f"catalog:facets:{price_list.pk}:{_listings_generation()}"
    facets = _cached(key, CatalogFacets, lambda: _catalog_facets_read(price_list))
    assert facets is not None  # read() always returns facets
    return facets


def _catalog_facets_read(price_list: PriceList) -> CatalogFacets:
    listed = Listing.objects.filter(price_list=price_list)
    brands = list(Brand.objects.filter(pk__in=listed.values("brand_id")).order_by("name"))
    names = {f"attr_{key}": KeyTextTransform(key, "attributes") for key in FILTER_ATTRIBUTES}
    combinations = (
        listed.order_by().annotate(**names).values_list("section_path", *names).distinct()
    )
    values: dict[str, set[str]] = {key: set() for key in FILTER_ATTRIBUTES}
    listed_paths: set[str] = set()
    for section_path, *combination in combinations:
        listed_paths.add(section_path)
        for key, value in zip(FILTER_ATTRIBUTES, combination, strict=True):
            if value not in (None, ""):
                values[key].add(str(value))
    # A section is offered when something is listed in it or below it: its path and those of
    # its ancestors ("0001.0004." → "0001.", "0001.0004.").
    offered = {path for listed_path in listed_paths for path in _trail_paths(listed_path)}
    return CatalogFacets(
        brands=brands,
        attributes={key: sorted(found, key=str.casefold) for key, found in values.items()},
        sections=list(Section.objects.filter(path__in=offered).order_by("path")) if offered else [],
    )


@dataclass
class MatrixCell:
    variant: Variant
    price: Decimal
    stock: Decimal


@dataclass
class ProductCard:
    product: Product
    listing: Listing
    colours: list[str]
    sizes: list[str]
    cells: dict[tuple[str, str], MatrixCell]
    currency: str
    images: list[ProductImage] = field(default_factory=list)
    trail: list[Section] = field(default_factory=list)  # the product's section and ancestors

    def rows(self) -> list[tuple[str, list[MatrixCell | None]]]:
        """The size matrix: one row per colour, one cell per size (None: not sold)."""
        return [
            (colour, [self.cells.get((colour, size)) for size in self.sizes])
            for colour in self.colours
        ]


def product_card(*, partner: Partner, price_list: PriceList, product_id: int) -> ProductCard:
    """The product with its colour × size matrix at the agreement's prices. Raises
    NotAvailable for a product the agreement does not sell — the same as a missing one."""
    listing = (
        Listing.objects.filter(price_list=price_list, product_id=product_id)
        .select_related("product__brand", "product__section")
        .first()
    )
    if listing is None:
        raise NotAvailable
    agreement_prices = Price.objects.filter(price_list=price_list)
    variants = (
        Variant.objects.filter(
            product_id=product_id, is_archived=False, prices__price_list=price_list
        )
        .prefetch_related(Prefetch("prices", queryset=agreement_prices, to_attr="agreement_prices"))
        .select_related("stock")
        .order_by("colour", "position", "pk")
    )
    cells: dict[tuple[str, str], MatrixCell] = {}
    colours: list[str] = []
    sizes: list[tuple[int, str]] = []
    for variant in variants:
        price = variant.agreement_prices[0].amount
        stock = variant.stock.quantity if hasattr(variant, "stock") else Decimal("0")
        cells[(variant.colour, variant.size)] = MatrixCell(variant, price, stock)
        if variant.colour not in colours:
            colours.append(variant.colour)
        if (variant.position, variant.size) not in sizes:
            sizes.append((variant.position, variant.size))
    ordered_sizes = [size for _, size in sorted(set(sizes))]
    product = listing.product
    return ProductCard(
        product=product,
        listing=listing,
        colours=colours,
        sizes=list(dict.fromkeys(ordered_sizes)),
        cells=cells,
        currency=price_list.currency,
        images=list(ProductImage.objects.filter(product=product)),
        trail=list(Section.objects.filter(path__in=_trail_paths(product.section.path))),
    )
