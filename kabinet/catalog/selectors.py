"""Reads of the catalog, always through the partner's agreement (ORD1, ORD2, ORD3)."""

import base64
import json
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import Prefetch, Q, QuerySet

from kabinet.catalog.models import (
    Brand,
    Listing,
    PartnerArticle,
    Price,
    PriceList,
    Product,
    Section,
    Variant,
)
from kabinet.partners.models import Agreement, Partner

PAGE_SIZE = 50
SORTS = ("name", "price", "-price")


class NotAvailable(Exception):
    """The product is not sold under the partner's agreement (or does not exist): 404."""


def agreement_list_for_catalog(*, partner: Partner) -> list[Agreement]:
    """The partner's agreements, the main one first."""
    return list(Agreement.objects.for_partner(partner).select_related("counterparty"))


def agreement_choose(*, partner: Partner, agreement_id: int | None) -> Agreement | None:
    """The agreement the catalog shows prices for: the requested one if it is the partner's,
    else the main one, else the first."""
    agreements = agreement_list_for_catalog(partner=partner)
    for agreement in agreements:
        if agreement.pk == agreement_id:
            return agreement
    return agreements[0] if agreements else None


def price_list_of(agreement: Agreement) -> PriceList | None:
    return PriceList.objects.filter(code=agreement.price_list).first()


@dataclass
class CatalogQuery:
    section_id: int | None = None
    brand_ids: list[int] = field(default_factory=list)
    in_stock: bool = False
    search: str = ""
    attributes: dict[str, str] = field(default_factory=dict)
    sort: str = "name"
    after: str = ""  # the cursor of the last row of the previous page


@dataclass
class CatalogPage:
    listings: list[Listing]
    next_cursor: str | None
    currency: str


def _cursor(listing: Listing, sort: str) -> str:
    key = listing.name_folded if sort == "name" else str(listing.min_price)
    raw = json.dumps([key, listing.product_id]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode_cursor(cursor: str) -> tuple[str, int] | None:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        key, product_id = json.loads(raw)
        return str(key), int(product_id)
    except (ValueError, TypeError):
        return None  # a mangled cursor starts from the top, it is not an error


def _matching_products(partner: Partner, search: str) -> QuerySet[Any]:
    """Products whose SKU, EAN or the partner's own article code is `search`."""
    term = search.strip()
    by_variant = Variant.objects.filter(Q(sku__iexact=term) | Q(ean=term)).values("product_id")
    by_article = PartnerArticle.objects.filter(partner=partner, code__iexact=term).values(
        "variant__product_id"
    )
    return Product.objects.filter(Q(pk__in=by_variant) | Q(pk__in=by_article)).values("pk")


def catalog_page(
    *, partner: Partner, price_list: PriceList, query: CatalogQuery, limit: int = PAGE_SIZE
) -> CatalogPage:
    """One page of the catalog as the partner's agreement sells it, keyset-paginated: page
    500 costs what page 1 costs (QUALITY.md P1)."""
    listings = Listing.objects.filter(price_list=price_list)
    if query.section_id:
        section = Section.objects.filter(pk=query.section_id).first()
        if section is not None:
            listings = listings.filter(section_path__startswith=section.path)
    if query.brand_ids:
        listings = listings.filter(brand_id__in=query.brand_ids)
    if query.in_stock:
        listings = listings.filter(stock__gt=0)
    for name, value in query.attributes.items():
        listings = listings.filter(**{f"product__attributes__{name}": value})
    if query.search:
        folded = query.search.strip().casefold()
        listings = listings.filter(
            Q(name_folded__contains=folded)
            | Q(product_id__in=_matching_products(partner, query.search))
        )
    sort = query.sort if query.sort in SORTS else "name"
    cursor = _decode_cursor(query.after) if query.after else None
    if sort == "name":
        if cursor:
            key, last = cursor
            listings = listings.filter(
                Q(name_folded__gt=key) | Q(name_folded=key, product_id__gt=last)
            )
        listings = listings.order_by("name_folded", "product_id")
    elif sort == "price":
        if cursor:
            amount, last = Decimal(cursor[0]), cursor[1]
            listings = listings.filter(
                Q(min_price__gt=amount) | Q(min_price=amount, product_id__gt=last)
            )
        listings = listings.order_by("min_price", "product_id")
    else:
        if cursor:
            amount, last = Decimal(cursor[0]), cursor[1]
            listings = listings.filter(
                Q(min_price__lt=amount) | Q(min_price=amount, product_id__lt=last)
            )
        listings = listings.order_by("-min_price", "-product_id")
    rows = list(listings.select_related("product", "brand")[: limit + 1])
    next_cursor = _cursor(rows[limit - 1], sort) if len(rows) > limit else None
    return CatalogPage(listings=rows[:limit], next_cursor=next_cursor, currency=price_list.currency)


def section_tree() -> list[Section]:
    return list(Section.objects.order_by("path"))


def brand_list() -> list[Brand]:
    return list(Brand.objects.order_by("name"))


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
    return ProductCard(
        product=listing.product,
        listing=listing,
        colours=colours,
        sizes=list(dict.fromkeys(ordered_sizes)),
        cells=cells,
        currency=price_list.currency,
    )
