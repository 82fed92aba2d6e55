"""The catalog from the ERP exchange (INT1, INT2): sections, products with their variants and
price lists, upserted in bulk by the ERP's ids; archiving is an explicit message.

Every item gets an outcome (partners.sync.ItemOutcome); a bad item is reported and skipped
whole (a product with one bad variant changes nothing), the valid rest applies. Listings,
which catalog pages read, are refreshed for the products that changed. Prices and stock are
`catalog.sync`'s.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Literal

from django.db import transaction
from django.db.models import Value
from django.db.models.functions import Concat, Substr
from django.utils.translation import gettext as _

from kabinet.catalog.models import Brand, Listing, PriceList, Product, Section, Variant
from kabinet.catalog.services import listing_refresh
from kabinet.partners.sync import BatchOutcome, ItemOutcome, record_exchange

SECTION_PATH_MAX = Section._meta.get_field("path").max_length or 255
SEGMENT = 5  # "0001." per level


@dataclass(frozen=True)
class SectionData:
    erp_id: str
    name: str
    parent_erp_id: str | None = None
    position: int = 0


@dataclass(frozen=True)
class VariantData:
    erp_id: str
    sku: str
    ean: str | None = None
    colour: str = ""
    size: str = ""
    position: int = 0


@dataclass(frozen=True)
class ProductData:
    erp_id: str
    name: str
    section_erp_id: str | None = None
    brand: str = ""
    description: str = ""
    attributes: dict[str, str] = field(default_factory=dict)
    variants: tuple[VariantData, ...] = ()


@dataclass(frozen=True)
class PriceListData:
    code: str
    name: str
    currency: str = "RUB"


def _error(index: int, key: str, code: str, message: str) -> ItemOutcome:
    return ItemOutcome(index, key, "error", code, message)


def _unique_items[T](
    items: Sequence[T], key: str, outcome: BatchOutcome
) -> dict[str, tuple[int, T]]:
    """Items by key; a key seen twice in one batch is an error for the later copy."""
    unique: dict[str, tuple[int, T]] = {}
    for index, item in enumerate(items):
        value = getattr(item, key)
        if value in unique:
            message = _("The same ERP id twice in one batch.")
            outcome.add(_error(index, value, "duplicate_key", message))
        else:
            unique[value] = (index, item)
    return unique


# --- sections ------------------------------------------------------------------------------


def _next_child_path(parent: Section | None) -> str:
    prefix = parent.path if parent else ""
    last = (
        Section.objects.filter(parent=parent)
        .order_by("-path")
        .values_list("path", flat=True)
        .first()
    )
    number = int(last[len(prefix) : len(prefix) + SEGMENT - 1]) + 1 if last else 1
    return f"{prefix}{number:04d}."


def _move_subtree(section: Section, old_path: str, new_path: str) -> None:
    """Re-prefix a section's subtree and its products' listings (one UPDATE each)."""
    cut = len(old_path) + 1
    Section.objects.filter(path__startswith=old_path).update(
        path=Concat(Value(new_path), Substr("path", cut))
    )
    Listing.objects.filter(section_path__startswith=old_path).update(
        section_path=Concat(Value(new_path), Substr("section_path", cut))
    )
    section.path = new_path


@transaction.atomic
def sections_upsert(*, items: Sequence[SectionData], source: str) -> BatchOutcome:
    """Create, rename, reorder or move sections by ERP id. Parents may come in the same batch
    in any order; a move carries the whole subtree (and its listings) along."""
    outcome = BatchOutcome()
    pending = _unique_items(items, "erp_id", outcome)
    known = {
        str(s.erp_id): s
        for s in Section.objects.select_for_update().filter(
            erp_id__in=set(pending)
            | {i.parent_erp_id for _, i in pending.values() if i.parent_erp_id}
        )
    }
    # Parents before children: repeatedly take the items whose parent is settled.
    settled: set[str] = set()
    while pending:
        ready = [
            pair
            for erp_id, pair in pending.items()
            if not pair[1].parent_erp_id
            or pair[1].parent_erp_id not in pending
            or pair[1].parent_erp_id == erp_id
        ]
        if not ready:  # the rest wait on each other: a cycle
            for index, item in pending.values():
                message = _("The sections' parents form a cycle.")
                outcome.add(_error(index, item.erp_id, "cycle", message))
            break
        for index, item in ready:
            del pending[item.erp_id]
            result = _section_apply(index, item, known)
            outcome.add(result)
            if result.status != "error":
                settled.add(item.erp_id)
    outcome.items.sort(key=lambda item: item.index)
    record_exchange(source, "sections", outcome)
    return outcome


def _section_apply(index: int, item: SectionData, known: dict[str, Section]) -> ItemOutcome:
    parent: Section | None = None
    if item.parent_erp_id:
        if item.parent_erp_id == item.erp_id:
            return _error(index, item.erp_id, "cycle", _("A section cannot be its own parent."))
        parent = known.get(item.parent_erp_id)
        if parent is None:
            message = _("No section with the parent's ERP id.")
            return _error(index, item.erp_id, "unknown_parent", message)
        parent.refresh_from_db(fields=["path"])  # an earlier item of the batch may have moved it
        if len(parent.path) + SEGMENT > SECTION_PATH_MAX:
            return _error(index, item.erp_id, "too_deep", _("Sections nest too deep."))
    section = known.get(item.erp_id)
    if section is None:
        section = Section.objects.create(
            erp_id=item.erp_id,
            name=item.name,
            parent=parent,
            position=item.position,
            path=_next_child_path(parent),
        )
        known[item.erp_id] = section
        return ItemOutcome(index, item.erp_id, "created")
    section.refresh_from_db(fields=["path", "parent"])
    changed = [
        name for name in ("name", "position") if getattr(section, name) != getattr(item, name)
    ]
    if section.parent_id != (parent.pk if parent else None):
        if parent is not None and parent.path.startswith(section.path):
            message = _("A section cannot move under its own subsection.")
            return _error(index, item.erp_id, "cycle", message)
        _move_subtree(section, section.path, _next_child_path(parent))
        section.parent = parent
        changed.append("parent")
    section.name, section.position = item.name, item.position
    if changed:
        section.save(update_fields=[name for name in changed if name != "parent"] + ["parent"])
    return ItemOutcome(index, item.erp_id, "updated" if changed else "unchanged")


# --- products and variants -------------------------------------------------------------------


@transaction.atomic
def products_upsert(*, items: Sequence[ProductData], source: str) -> BatchOutcome:
    """Create or update products and their variants by ERP id. Variants not named are left
    as they are (a "changes only" package names only what changed); archive them explicitly.
    A product the ERP sends again is live again."""
    outcome = BatchOutcome()
    unique = _unique_items(items, "erp_id", outcome)
    sections = {
        str(s.erp_id): s
        for s in Section.objects.filter(
            erp_id__in={i.section_erp_id for _, i in unique.values() if i.section_erp_id}
        )
    }
    products = {
        str(p.erp_id): p for p in Product.objects.select_for_update().filter(erp_id__in=unique)
    }
    variant_ids = {v.erp_id for _, i in unique.values() for v in i.variants}
    variants = {str(v.erp_id): v for v in Variant.objects.filter(erp_id__in=variant_ids)}
    skus = {v.sku for _, i in unique.values() for v in i.variants}
    eans = {v.ean for _, i in unique.values() for v in i.variants if v.ean}
    sku_owner = dict(Variant.objects.filter(sku__in=skus).values_list("sku", "erp_id"))
    ean_owner = {
        str(ean): erp_id
        for ean, erp_id in Variant.objects.filter(ean__in=eans).values_list("ean", "erp_id")
    }
    brands = {
        b.name: b for b in Brand.objects.filter(name__in={i.brand for _, i in unique.values()})
    }
    seen_skus: dict[str, str] = {}
    seen_eans: dict[str, str] = {}
    changed_products: list[int] = []
    for index, item in sorted(unique.values(), key=lambda pair: pair[0]):
        problem = _product_problem(item, products, variants, sections, sku_owner, ean_owner)
        problem = problem or _batch_clash(item, seen_skus, seen_eans)
        if problem:
            outcome.add(_error(index, item.erp_id, *problem))
            continue
        for variant in item.variants:
            seen_skus[variant.sku] = variant.erp_id
            if variant.ean:
                seen_eans[variant.ean] = variant.erp_id
        brand = None
        if item.brand:
            brand = brands.get(item.brand) or Brand.objects.create(name=item.brand)
            brands[item.brand] = brand
        status, product = _product_apply(item, products.get(item.erp_id), sections, brand)
        products[item.erp_id] = product
        variants_changed = _variants_apply(product, item.variants, variants)
        if status == "unchanged" and variants_changed:
            status = "updated"
        if status != "unchanged":
            changed_products.append(product.pk)
        outcome.add(ItemOutcome(index, item.erp_id, status))
    if changed_products:
        listing_refresh(product_ids=changed_products)
    outcome.items.sort(key=lambda item: item.index)
    record_exchange(source, "products", outcome)
    return outcome


def _product_problem(
    item: ProductData,
    products: dict[str, Product],
    variants: dict[str, Variant],
    sections: dict[str, Section],
    sku_owner: dict[str, str | None],
    ean_owner: dict[str, str | None],
) -> tuple[str, str] | None:
    if item.section_erp_id and item.section_erp_id not in sections:
        return "unknown_section", _("No section with this ERP id.")
    if not item.section_erp_id and item.erp_id not in products:
        return "section_required", _("A new product needs a section.")
    product = products.get(item.erp_id)
    names: set[str] = set()
    for variant in item.variants:
        if variant.erp_id in names:
            return "duplicate_variant", _("The same variant ERP id twice in one product.")
        names.add(variant.erp_id)
        existing = variants.get(variant.erp_id)
        if existing is not None and (product is None or existing.product_id != product.pk):
            message = _("Variant %(id)s belongs to another product.") % {"id": variant.erp_id}
            return "variant_of_other_product", message
        if sku_owner.get(variant.sku, variant.erp_id) != variant.erp_id:
            message = _("SKU %(sku)s belongs to another variant.") % {"sku": variant.sku}
            return "sku_taken", message
        if variant.ean and ean_owner.get(variant.ean, variant.erp_id) != variant.erp_id:
            message = _("EAN %(ean)s belongs to another variant.") % {"ean": variant.ean}
            return "ean_taken", message
    return None


def _batch_clash(
    item: ProductData, seen_skus: dict[str, str], seen_eans: dict[str, str]
) -> tuple[str, str] | None:
    for variant in item.variants:
        if seen_skus.get(variant.sku, variant.erp_id) != variant.erp_id:
            message = _("SKU %(sku)s belongs to another variant.") % {"sku": variant.sku}
            return "sku_taken", message
        if variant.ean and seen_eans.get(variant.ean, variant.erp_id) != variant.erp_id:
            message = _("EAN %(ean)s belongs to another variant.") % {"ean": variant.ean}
            return "ean_taken", message
    return None


_PRODUCT_FIELDS = ("name", "description", "attributes")


def _product_apply(
    item: ProductData,
    product: Product | None,
    sections: dict[str, Section],
    brand: Brand | None,
) -> tuple[Literal["created", "updated", "unchanged"], Product]:
    section = sections.get(item.section_erp_id or "")
    if product is None:
        assert section is not None  # _product_problem requires it for new products
        product = Product.objects.create(
            erp_id=item.erp_id,
            section=section,
            brand=brand,
            name=item.name,
            description=item.description,
            attributes=item.attributes,
        )
        return "created", product
    changed = [name for name in _PRODUCT_FIELDS if getattr(product, name) != getattr(item, name)]
    for name in _PRODUCT_FIELDS:
        setattr(product, name, getattr(item, name))
    if section is not None and product.section_id != section.pk:
        product.section = section
        changed.append("section")
    if product.brand_id != (brand.pk if brand else None):
        product.brand = brand
        changed.append("brand")
    if product.is_archived:
        product.is_archived = False
        changed.append("is_archived")
    if changed:
        product.save(update_fields=changed)
    return ("updated" if changed else "unchanged"), product


_VARIANT_FIELDS = ("sku", "ean", "colour", "size", "position")


def _variants_apply(
    product: Product, items: Iterable[VariantData], variants: dict[str, Variant]
) -> bool:
    changed_any = False
    for item in items:
        variant = variants.get(item.erp_id)
        values = {name: getattr(item, name) for name in _VARIANT_FIELDS}
        values["ean"] = values["ean"] or None
        if variant is None:
            variants[item.erp_id] = Variant.objects.create(
                product=product, erp_id=item.erp_id, **values
            )
            changed_any = True
            continue
        changed = [name for name, value in values.items() if getattr(variant, name) != value]
        if variant.is_archived:
            changed.append("is_archived")
            variant.is_archived = False
        for name, value in values.items():
            setattr(variant, name, value)
        if changed:
            variant.save(update_fields=changed)
            changed_any = True
    return changed_any


# --- price lists ---------------------------------------------------------------------------


@transaction.atomic
def price_lists_upsert(*, items: Sequence[PriceListData], source: str) -> BatchOutcome:
    """Price types of the ERP, by code (what agreements name)."""
    outcome = BatchOutcome()
    unique = _unique_items(items, "code", outcome)
    existing = {p.code: p for p in PriceList.objects.select_for_update().filter(code__in=unique)}
    for index, item in sorted(unique.values(), key=lambda pair: pair[0]):
        currency = item.currency.upper()
        if len(currency) != 3 or not currency.isalpha():
            message = _("A currency is a three-letter ISO code, like RUB.")
            outcome.add(_error(index, item.code, "bad_currency", message))
            continue
        price_list = existing.get(item.code)
        if price_list is None:
            PriceList.objects.create(code=item.code, name=item.name, currency=currency)
            outcome.add(ItemOutcome(index, item.code, "created"))
            continue
        changed = [
            name
            for name, value in (("name", item.name), ("currency", currency))
            if getattr(price_list, name) != value
        ]
        price_list.name, price_list.currency = item.name, currency
        if changed:
            price_list.save(update_fields=changed)
        outcome.add(ItemOutcome(index, item.code, "updated" if changed else "unchanged"))
    outcome.items.sort(key=lambda item: item.index)
    record_exchange(source, "price_lists", outcome)
    return outcome


# --- archiving -----------------------------------------------------------------------------

type CatalogEntity = Literal["section", "product", "variant"]


@transaction.atomic
def catalog_archive(*, entity: CatalogEntity, erp_ids: Sequence[str], source: str) -> BatchOutcome:
    """Take products or variants off sale (kept for order history; an upsert brings them
    back); delete sections, which must be empty first."""
    outcome = BatchOutcome()
    touched_products: set[int] = set()
    for index, erp_id in enumerate(erp_ids):
        if entity == "section":
            outcome.add(_section_delete(index, erp_id))
            continue
        model = Product if entity == "product" else Variant
        row = model.objects.select_for_update().filter(erp_id=erp_id).first()
        if row is None:
            outcome.add(_error(index, erp_id, f"unknown_{entity}", _("No such ERP id.")))
            continue
        if row.is_archived:
            outcome.add(ItemOutcome(index, erp_id, "unchanged"))
            continue
        row.is_archived = True
        row.save(update_fields=["is_archived"])
        touched_products.add(row.pk if isinstance(row, Product) else row.product_id)
        outcome.add(ItemOutcome(index, erp_id, "archived"))
    if touched_products:
        listing_refresh(product_ids=touched_products)
    record_exchange(source, f"{entity}_archive", outcome)
    return outcome


def _section_delete(index: int, erp_id: str) -> ItemOutcome:
    section = Section.objects.filter(erp_id=erp_id).first()
    if section is None:
        return ItemOutcome(index, erp_id, "unchanged")  # gone already: a repeat is harmless
    if section.children.exists() or section.products.exists():
        message = _("The section still has subsections or products.")
        return _error(index, erp_id, "in_use", message)
    section.delete()
    return ItemOutcome(index, erp_id, "deleted")
