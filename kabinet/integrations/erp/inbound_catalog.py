"""Inbound catalog operations: sections, products with variants, price lists, archiving."""

from decimal import Decimal
from typing import Annotated, Any, Literal

from django.http import HttpRequest, HttpResponse
from ninja import Field, Router, Schema, Status
from pydantic import WithJsonSchema

from kabinet.catalog.sync import (
    PriceKey,
    PriceRow,
    StockRow,
    SyncReport,
    prices_delete,
    prices_upsert,
    stock_upsert,
)
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
from kabinet.integrations.erp.exchange import BATCH_RESPONSES, ROWS_RESPONSES, exchange
from kabinet.integrations.erp.inbound import MAX_ITEMS, source_of

router = Router(tags=["inbound: catalog"])

ErpId = Field(min_length=1, max_length=64)


class SectionIn(Schema):
    erp_id: str = ErpId
    name: str = Field(min_length=1, max_length=200)
    parent_erp_id: str | None = Field(None, max_length=64)
    position: int = Field(0, ge=0, le=2_000_000_000)


class SectionBatch(Schema):
    items: list[SectionIn] = Field(max_length=MAX_ITEMS)


@router.post("/sections", response=BATCH_RESPONSES, operation_id="sections_upsert")
def sections_upsert_operation(
    request: HttpRequest, response: HttpResponse, payload: SectionBatch
) -> Status[dict[str, Any]]:
    """Create, rename, reorder or move catalog sections. Parents may come in the same batch."""
    items = [SectionData(**item.model_dump()) for item in payload.items]
    return exchange(
        request,
        response,
        operation="sections",
        apply=lambda: sections_upsert(items=items, source=source_of(request)),
    )


class VariantIn(Schema):
    erp_id: str = ErpId
    sku: str = Field(min_length=1, max_length=64)
    ean: str | None = Field(None, min_length=8, max_length=14, pattern=r"^\d+$")
    colour: str = Field("", max_length=60)
    size: str = Field("", max_length=30)
    position: int = Field(0, ge=0, le=32_767)


class ProductIn(Schema):
    erp_id: str = ErpId
    name: str = Field(min_length=1, max_length=255)
    section_erp_id: str | None = Field(None, max_length=64)
    brand: str = Field("", max_length=120)
    description: str = Field("", max_length=20_000)
    attributes: dict[str, str] = Field(default_factory=dict, max_length=100)
    variants: list[VariantIn] = Field(default_factory=list, max_length=1_000)


class ProductBatch(Schema):
    items: list[ProductIn] = Field(max_length=MAX_ITEMS)


@router.post("/products", response=BATCH_RESPONSES, operation_id="products_upsert")
def products_upsert_operation(
    request: HttpRequest, response: HttpResponse, payload: ProductBatch
) -> Status[dict[str, Any]]:
    """Create or update products and their colour × size variants. Variants not named are
    left as they are; archive them with /catalog/archive."""
    items = [
        ProductData(
            erp_id=item.erp_id,
            name=item.name,
            section_erp_id=item.section_erp_id,
            brand=item.brand,
            description=item.description,
            attributes=item.attributes,
            variants=tuple(VariantData(**variant.model_dump()) for variant in item.variants),
        )
        for item in payload.items
    ]
    return exchange(
        request,
        response,
        operation="products",
        apply=lambda: products_upsert(items=items, source=source_of(request)),
    )


class PriceListIn(Schema):
    code: str = Field(min_length=1, max_length=120)
    name: str = Field(min_length=1, max_length=200)
    currency: str = Field("RUB", min_length=3, max_length=3)


class PriceListBatch(Schema):
    items: list[PriceListIn] = Field(max_length=MAX_ITEMS)


@router.post("/price-lists", response=BATCH_RESPONSES, operation_id="price_lists_upsert")
def price_lists_upsert_operation(
    request: HttpRequest, response: HttpResponse, payload: PriceListBatch
) -> Status[dict[str, Any]]:
    """The ERP's price types, by code (agreements name them)."""
    items = [PriceListData(**item.model_dump()) for item in payload.items]
    return exchange(
        request,
        response,
        operation="price_lists",
        apply=lambda: price_lists_upsert(items=items, source=source_of(request)),
    )


class ArchiveIn(Schema):
    entity: Literal["section", "product", "variant"]
    erp_ids: list[str] = Field(min_length=1, max_length=MAX_ITEMS)


@router.post("/catalog/archive", response=BATCH_RESPONSES, operation_id="catalog_archive")
def catalog_archive_operation(
    request: HttpRequest, response: HttpResponse, payload: ArchiveIn
) -> Status[dict[str, Any]]:
    """Take products or variants off sale (an upsert brings them back), or delete empty
    sections."""
    return exchange(
        request,
        response,
        operation="catalog_archive",
        apply=lambda: catalog_archive(
            entity=payload.entity, erp_ids=payload.erp_ids, source=source_of(request)
        ),
    )


# --- prices and stock: bulk rows, answered with counts and the rejected rows --------------


def rows_body(report: SyncReport) -> dict[str, Any]:
    return {
        "counts": {
            "received": report.received,
            "inserted": report.inserted,
            "updated": report.updated,
            "unchanged": report.unchanged,
            "deleted": report.deleted,
            "rejected": report.rejected,
        },
        "errors": [
            {"index": e.index, "key": e.key, "code": str(e.code), "message": e.message}
            for e in report.errors
        ],
    }


# Amounts and quantities travel as JSON numbers or strings and are never rounded: the
# service refuses per row what does not fit (bad_amount, negative_amount, …).
Number = Annotated[
    Decimal,
    WithJsonSchema(
        {"anyOf": [{"type": "number"}, {"type": "string", "pattern": r"^-?\d+(\.\d+)?$"}]}
    ),
]


class PriceIn(Schema):
    price_list: str = Field(min_length=1, max_length=120, description="The price list's code.")
    erp_id: str | None = Field(None, min_length=1, max_length=64, description="The variant's.")
    sku: str | None = Field(None, min_length=1, max_length=64, description="Or the SKU.")
    amount: Number


class PriceBatch(Schema):
    full: bool = Field(
        False,
        description="The rows are the whole of each price list they name: other prices of "
        "those price lists are deleted.",
    )
    items: list[PriceIn] = Field(max_length=MAX_ITEMS)


@router.post("/prices", response=ROWS_RESPONSES, operation_id="prices_upsert")
def prices_upsert_operation(
    request: HttpRequest, response: HttpResponse, payload: PriceBatch
) -> Status[dict[str, Any]]:
    """Prices by price list code and variant (ERP id or SKU). Unchanged prices are not
    written; listings follow the prices that changed."""
    rows = [PriceRow(**item.model_dump()) for item in payload.items]
    return exchange(
        request,
        response,
        operation="prices",
        apply=lambda: rows_body(
            prices_upsert(rows=rows, full=payload.full, actor=None, source=source_of(request))
        ),
    )


class PriceKeyIn(Schema):
    price_list: str = Field(min_length=1, max_length=120)
    erp_id: str | None = Field(None, min_length=1, max_length=64)
    sku: str | None = Field(None, min_length=1, max_length=64)


class PriceKeyBatch(Schema):
    items: list[PriceKeyIn] = Field(max_length=MAX_ITEMS)


@router.post("/prices/delete", response=ROWS_RESPONSES, operation_id="prices_delete")
def prices_delete_operation(
    request: HttpRequest, response: HttpResponse, payload: PriceKeyBatch
) -> Status[dict[str, Any]]:
    """Delete prices (the variant is no longer sold under that price list)."""
    keys = [PriceKey(**item.model_dump()) for item in payload.items]
    return exchange(
        request,
        response,
        operation="prices_delete",
        apply=lambda: rows_body(prices_delete(keys=keys, actor=None, source=source_of(request))),
    )


class StockIn(Schema):
    erp_id: str | None = Field(None, min_length=1, max_length=64)
    sku: str | None = Field(None, min_length=1, max_length=64)
    quantity: Number


class StockBatch(Schema):
    items: list[StockIn] = Field(max_length=MAX_ITEMS)


@router.post("/stock", response=ROWS_RESPONSES, operation_id="stock_upsert")
def stock_upsert_operation(
    request: HttpRequest, response: HttpResponse, payload: StockBatch
) -> Status[dict[str, Any]]:
    """Stock per variant (one quantity: send 0 for sold out)."""
    rows = [StockRow(**item.model_dump()) for item in payload.items]
    return exchange(
        request,
        response,
        operation="stock",
        apply=lambda: rows_body(stock_upsert(rows=rows, actor=None, source=source_of(request))),
    )
