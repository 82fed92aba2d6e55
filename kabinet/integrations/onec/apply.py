"""What 1C sent, applied through the domain services (never the models directly).

- import.xml: groups → `sections_upsert`; products → `products_upsert` (name, section,
  brand from Изготовитель or a «Производитель»/«Бренд» property, description, property
  values as attributes); a product marked deleted → `catalog_archive`.
- offers.xml: price types → `price_lists_upsert` (the code is the price type's name, which
  is what agreements name); each offer is a variant of its product (`product#variant`: the
  variant's ERP id is the characteristic's id, colour and size come from its
  characteristics) → `products_upsert`; its prices → `prices_upsert`, its quantity →
  `stock_upsert`.

Each call answers a `Tally`: counts per entity and outcome, and the first errors, which the
exchange reports to 1C with its `success`.
"""

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _

from kabinet.catalog.models import Product as CatalogProduct
from kabinet.catalog.models import Variant as CatalogVariant
from kabinet.catalog.sync import PriceRow, StockRow, SyncReport, prices_upsert, stock_upsert
from kabinet.catalog.sync_catalog import (
    PriceListData,
    ProductData,
    SectionData,
    VariantData,
    catalog_archive,
    price_lists_upsert,
    products_upsert,
    sections_upsert,
)
from kabinet.integrations.onec.commerceml import Classifier, Offer, PriceType, Product, Property
from kabinet.partners.sync import BatchOutcome

MAX_ERRORS = 20
SKU_MAX = 64
_BRAND_PROPERTIES = {"производитель", "бренд", "торговая марка", "марка", "brand"}
_COLOUR = re.compile(r"цвет|colou?r", re.IGNORECASE)
_SIZE = re.compile(r"размер|size|рост", re.IGNORECASE)
_SIZE_ORDER = {
    name: position
    for position, name in enumerate(
        ["XXS", "XS", "S", "M", "L", "XL", "XXL", "2XL", "XXXL", "3XL", "4XL", "5XL"]
    )
}


@dataclass
class Tally:
    counts: dict[str, dict[str, int]] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)

    def add(self, entity: str, outcome: BatchOutcome) -> None:
        counts = self.counts.setdefault(entity, {})
        for status, count in outcome.counts().items():
            counts[status] = counts.get(status, 0) + count
        for item in outcome.items:
            if item.status == "error":
                self.error(f"{entity} {item.erp_id}: {item.code} {item.message}")

    def add_counts(self, entity: str, **counts: int) -> None:
        box = self.counts.setdefault(entity, {})
        for status, count in counts.items():
            if count:
                box[status] = box.get(status, 0) + count

    def error(self, text: str) -> None:
        if len(self.errors) < MAX_ERRORS:
            self.errors.append(text)

    def merge(self, other: dict[str, Any]) -> None:
        for entity, counts in other.get("counts", {}).items():
            self.add_counts(entity, **counts)
        for text in other.get("errors", []):
            self.error(text)

    def as_dict(self) -> dict[str, Any]:
        return {"counts": self.counts, "errors": self.errors}

    def summary(self) -> str:
        parts = []
        for entity, counts in self.counts.items():
            numbers = ", ".join(f"{status} {count}" for status, count in sorted(counts.items()))
            parts.append(f"{entity}: {numbers}")
        return "; ".join(parts)


def apply_classifier(classifier: Classifier, *, source: str, tally: Tally) -> None:
    if classifier.groups:
        items = [
            SectionData(
                erp_id=g.erp_id,
                name=g.name[:200],
                parent_erp_id=g.parent_erp_id,
                position=g.position,
            )
            for g in classifier.groups
        ]
        tally.add("sections", sections_upsert(items=items, source=source))
    if classifier.price_types:
        apply_price_types(classifier.price_types, source=source, tally=tally)


def apply_price_types(types: Sequence[PriceType], *, source: str, tally: Tally) -> None:
    seen: dict[str, PriceListData] = {}
    for price_type in types:
        seen[price_type.name] = PriceListData(
            code=price_type.name[:120],
            name=price_type.name[:200],
            currency=currency_code(price_type.currency),
        )
    tally.add("price_lists", price_lists_upsert(items=list(seen.values()), source=source))


def currency_code(value: str) -> str:
    """1C writes the currency as a code ("RUB", "643") or a name ("руб", "руб.")."""
    text = value.strip().rstrip(".").upper()
    return {"РУБ": "RUB", "643": "RUB", "978": "EUR", "840": "USD", "": "RUB"}.get(text, text)


def _attributes(product: Product, properties: dict[str, Property]) -> tuple[dict[str, str], str]:
    attributes: dict[str, str] = {}
    brand = ""
    for property_id, raw in product.property_values.items():
        known = properties.get(property_id)
        name = known.name if known else property_id
        value = known.values.get(raw, raw) if known else raw
        if not value:
            continue
        if name.strip().lower() in _BRAND_PROPERTIES:
            brand = brand or value
        else:
            attributes[name] = value
    return attributes, brand


def apply_products(
    products: Sequence[Product],
    properties: dict[str, Property],
    *,
    source: str,
    tally: Tally,
) -> None:
    items: list[ProductData] = []
    archived: list[str] = []
    for product in products:
        if "#" in product.erp_id:
            continue  # a characteristic listed as a product: variants come from offers.xml
        if product.deleted:
            archived.append(product.erp_id)
            continue
        attributes, brand = _attributes(product, properties)
        items.append(
            ProductData(
                erp_id=product.erp_id,
                name=(product.name or product.erp_id)[:255],
                section_erp_id=product.group_erp_id,
                brand=(product.manufacturer or brand)[:120],
                description=product.description,
                attributes=attributes,
            )
        )
    if items:
        tally.add("products", products_upsert(items=items, source=source))
    if archived:
        tally.add("products", _archive("product", archived, source))


def _archive(entity: Any, erp_ids: list[str], source: str) -> BatchOutcome:
    """Archiving what is already gone (or never came) is not an error for 1C's deletions."""
    outcome = catalog_archive(entity=entity, erp_ids=erp_ids, source=source)
    outcome.items = [
        item
        for item in outcome.items
        if not (item.status == "error" and item.code == f"unknown_{entity}")
    ]
    return outcome


def variant_erp_id(offer_erp_id: str) -> str:
    """`product#variant` → the characteristic's id (ERP ids are at most 64 characters, and
    two GUIDs with a # are 73); an offer without characteristics is the product itself."""
    product, _sep, variant = offer_erp_id.partition("#")
    return variant or product


def size_position(size: str) -> int:
    text = size.strip().upper()
    if text in _SIZE_ORDER:
        return _SIZE_ORDER[text]
    digits = re.match(r"\d+", text)
    return min(int(digits.group()), 30000) if digits else 0


def _variant(offer: Offer, base: tuple[str, str], existing: CatalogVariant | None) -> VariantData:
    colour = size = ""
    for name, value in offer.characteristics.items():
        if _COLOUR.search(name) and not colour:
            colour = value
        elif _SIZE.search(name) and not size:
            size = value
    article, barcode = base
    erp_id = variant_erp_id(offer.erp_id)
    if existing is not None and not offer.characteristics:
        # A prices-only or stock-only file names the variant and nothing else about it.
        return VariantData(
            erp_id=erp_id,
            sku=existing.sku,
            ean=offer.barcode or existing.ean,
            colour=existing.colour,
            size=existing.size,
            position=existing.position,
        )
    if existing is not None:
        sku = existing.sku
    elif "#" in offer.erp_id:
        suffix = "-".join(part for part in (colour, size) if part) or erp_id[:8]
        sku = f"{offer.article or article or offer.product_erp_id[:8]}-{suffix}"
    else:
        sku = offer.article or article or offer.product_erp_id
    return VariantData(
        erp_id=erp_id,
        sku=sku[:SKU_MAX],
        ean=(offer.barcode or ("" if "#" in offer.erp_id else barcode)) or None,
        colour=colour[:60],
        size=size[:30],
        position=size_position(size),
    )


def _products_of(erp_ids: set[str]) -> dict[str, ProductData]:
    """The products the offers belong to, as the catalog has them now (a read): sending them
    back unchanged with new variants changes only the variants."""
    rows = CatalogProduct.objects.filter(erp_id__in=erp_ids).select_related("section", "brand")
    return {
        str(row.erp_id): ProductData(
            erp_id=str(row.erp_id),
            name=row.name,
            section_erp_id=row.section.erp_id,
            brand=row.brand.name if row.brand else "",
            description=row.description,
            attributes=row.attributes,
        )
        for row in rows
    }


def apply_offer_variants(
    offers: Sequence[Offer],
    articles: dict[str, list[str]],
    *,
    source: str,
    tally: Tally,
) -> set[str]:
    """Create or update the variants the offers stand for; the variant ERP ids that exist
    afterwards (prices and stock can be written for them)."""
    live = [offer for offer in offers if not offer.deleted]
    deleted = [variant_erp_id(offer.erp_id) for offer in offers if offer.deleted]
    products = _products_of({offer.product_erp_id for offer in live})
    existing = {
        str(v.erp_id): v
        for v in CatalogVariant.objects.filter(
            erp_id__in={variant_erp_id(offer.erp_id) for offer in live}
        ).select_related("product")
    }
    variants: dict[str, list[VariantData]] = {}
    for offer in live:
        product = products.get(offer.product_erp_id)
        if product is None:
            tally.error(
                _("offer %(id)s: no product %(product)s in the catalog (import.xml first)")
                % {"id": offer.erp_id, "product": offer.product_erp_id}
            )
            tally.add_counts("variants", error=1)
            continue
        current = existing.get(variant_erp_id(offer.erp_id))
        base = articles.get(offer.product_erp_id, ["", ""])
        variants.setdefault(offer.product_erp_id, []).append(
            _variant(offer, (base[0], base[1]), current)
        )
    items = [
        ProductData(**{**products[pid].__dict__, "variants": tuple(found)})
        for pid, found in variants.items()
    ]
    ready: set[str] = set()
    if items:
        outcome = products_upsert(items=items, source=source)
        tally.add("variants", outcome)
        applied = {item.erp_id for item in outcome.items if item.status != "error"}
        ready = {v.erp_id for pid, found in variants.items() if pid in applied for v in found}
    if deleted:
        tally.add("variants", _archive("variant", deleted, source))
    return ready


def apply_prices_and_stock(
    offers: Sequence[Offer],
    price_types: dict[str, PriceType],
    ready: set[str],
    *,
    source: str,
    tally: Tally,
) -> None:
    """The offers' prices (by price type → price list) and quantities, for the variants
    that exist. A price of an unknown price type is reported, not guessed."""
    prices: list[PriceRow] = []
    stock: list[StockRow] = []
    for offer in offers:
        erp_id = variant_erp_id(offer.erp_id)
        if offer.deleted or erp_id not in ready:
            continue
        for price in offer.prices:
            price_type = price_types.get(price.price_type_erp_id)
            if price_type is None:
                tally.error(
                    _("offer %(id)s: unknown price type %(type)s")
                    % {"id": offer.erp_id, "type": price.price_type_erp_id}
                )
                tally.add_counts("prices", error=1)
                continue
            prices.append(
                PriceRow(price_list=price_type.name[:120], amount=price.amount, erp_id=erp_id)
            )
        if offer.quantity is not None:
            stock.append(StockRow(quantity=max(offer.quantity, Decimal(0)), erp_id=erp_id))
    if prices:
        _tally_report(tally, "prices", prices_upsert(rows=prices, actor=None, source=source))
    if stock:
        _tally_report(tally, "stock", stock_upsert(rows=stock, actor=None, source=source))


def _tally_report(tally: Tally, entity: str, report: SyncReport) -> None:
    tally.add_counts(
        entity,
        created=report.inserted,
        updated=report.updated,
        unchanged=report.unchanged,
        error=report.rejected,
    )
    for error in report.errors:
        key = " ".join(f"{name}={value}" for name, value in error.key.items())
        tally.error(f"{entity} {key}: {error.code} {error.message}")
