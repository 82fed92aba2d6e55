"""Writes to the catalog. The ERP exchange (a later issue) and the demo call these."""

import logging
from collections.abc import Iterable
from decimal import Decimal

from django.db import DatabaseError, connection, transaction
from django.db.models import Count, Max, Min, Sum
from django.db.models.functions import Coalesce

from kabinet.catalog.models import (
    Brand,
    Listing,
    Price,
    Product,
    Section,
)
from kabinet.catalog.selectors import listings_changed

logger = logging.getLogger(__name__)


@transaction.atomic
def section_create(
    *, name: str, parent: Section | None = None, position: int = 0, erp_id: str | None = None
) -> Section:
    siblings = Section.objects.filter(parent=parent).count()
    prefix = parent.path if parent else ""
    return Section.objects.create(
        name=name,
        parent=parent,
        position=position,
        erp_id=erp_id,
        path=f"{prefix}{siblings + 1:04d}.",
    )


def brand_get_or_create(*, name: str) -> Brand:
    brand, _ = Brand.objects.get_or_create(name=name)
    return brand


@transaction.atomic
def listing_refresh(
    *, price_list_ids: Iterable[int] | None = None, product_ids: Iterable[int] | None = None
) -> int:
    """Recompute the listings of the given price lists and/or products (all when neither is
    given) from prices and stock. Returns how many listings exist for them afterwards.

    A product is listed under a price list when at least one of its live variants has a
    price there; its listing carries the lowest and highest price and the total stock."""
    prices = Price.objects.filter(variant__is_archived=False, variant__product__is_archived=False)
    listings = Listing.objects.all()
    if price_list_ids is not None:
        ids = list(price_list_ids)
        prices = prices.filter(price_list_id__in=ids)
        listings = listings.filter(price_list_id__in=ids)
    if product_ids is not None:
        ids = list(product_ids)
        prices = prices.filter(variant__product_id__in=ids)
        listings = listings.filter(product_id__in=ids)
    rows = (
        prices.values("price_list_id", "variant__product_id")
        .annotate(
            min_price=Min("amount"),
            max_price=Max("amount"),
            stock=Coalesce(Sum("variant__stock__quantity"), Decimal("0")),
            variant_count=Count("variant_id"),
        )
        .order_by()
    )
    product_fields = {
        product.pk: product
        for product in Product.objects.filter(
            pk__in={row["variant__product_id"] for row in rows}
        ).select_related("section")
    }
    listings.delete()
    fresh = []
    for row in rows:
        product = product_fields[row["variant__product_id"]]
        fresh.append(
            Listing(
                price_list_id=row["price_list_id"],
                product_id=product.pk,
                section_path=product.section.path,
                brand_id=product.brand_id,
                name=product.name,
                name_folded=product.name.casefold(),
                min_price=row["min_price"],
                max_price=row["max_price"],
                stock=row["stock"],
                variant_count=row["variant_count"],
                attributes=product.attributes if isinstance(product.attributes, dict) else {},
                image=product.image.name or "",
            )
        )
    Listing.objects.bulk_create(fresh, batch_size=2000)
    # Now for this transaction's own reads, and again once committed: a page read in
    # between may have cached the facets of the old listings under the new generation.
    listings_changed()
    transaction.on_commit(listings_changed)
    transaction.on_commit(search_index_flush)
    return len(fresh)


# Migration 0006's index of the listings' name search keys.
SEARCH_INDEX = "catalog_listing_search"


def search_index_flush() -> None:
    """Move the entries that listing writes left in the name search index's pending list into
    the index itself (PostgreSQL). GIN gathers new entries in a pending list, which every
    search reads in full: after three refreshes of 10,000 listings it held 2,749 entries and
    the search page's statement took 3.5 ms instead of 1.0. Autovacuum flushes it only when it
    analyzes or vacuums the table (after a tenth of it changed), the writing session only past
    gin_pending_list_limit (4 MB): between syncs, searches would stay slow. Run once a refresh
    is committed: by the worker after the syncs' refresh, after `listing_refresh`'s commit
    (~60 ms for those 2,749 entries). Only the index's owner may: a database role that is
    not gets a warning in the log, and the refresh stands."""
    if connection.vendor != "postgresql":
        return
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SELECT gin_clean_pending_list(%s::regclass)", [SEARCH_INDEX])
    except DatabaseError as error:
        logger.warning("The search index's pending list was not flushed: %s", error)
