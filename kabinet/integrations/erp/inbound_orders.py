"""Inbound orders and order statuses (ORD6, ORD7, ORD8): the ERP's orders, history
included, and the status flow driven by the ERP. The domain services are in
kabinet.orders.sync; this module only translates payloads and answers per item."""

import re
from datetime import date
from decimal import Decimal
from typing import Annotated, Any, Literal

from django.http import HttpRequest, HttpResponse
from ninja import Field, Router, Schema, Status
from pydantic import AwareDatetime, BeforeValidator, WithJsonSchema

from kabinet.integrations.erp.exchange import BATCH_RESPONSES, exchange
from kabinet.integrations.erp.inbound import MAX_ITEMS, source_of
from kabinet.orders.sync import (
    OrderData,
    OrderLineData,
    OrderStatusData,
    order_statuses_apply,
    orders_upsert,
)

router = Router(tags=["inbound"])

# Orders carry lines: fewer per request than flat records.
MAX_ORDERS = 1_000
MAX_LINES = 2_000

ErpId = Annotated[str, Field(min_length=1, max_length=64)]
# The statuses the ERP sets; a draft exists only in the portal.
ErpStatus = Literal[
    "submitted", "accepted", "in_assembly", "shipped", "closed", "cancelled", "rejected"
]


def _plain_decimal(value: object) -> object:
    """A number, or a string of digits with an optional point: what the schema says, and
    no more (not "1e5", " 1", "NaN" or true)."""
    if isinstance(value, bool) or (isinstance(value, str) and not _DECIMAL.fullmatch(value)):
        raise ValueError("a decimal number, as a JSON number or a string like 12.50")
    return value


_DECIMAL = re.compile(r"-?\d{1,40}(\.\d{1,40})?")
# Amounts and quantities travel as JSON numbers or decimal strings. What JSON Schema cannot
# say (decimal places, digits, sign) the services check per item (`bad_number`), never
# rounding: so the schema and the server agree on what is valid.
Number = Annotated[
    Decimal,
    BeforeValidator(_plain_decimal),
    WithJsonSchema(
        {"anyOf": [{"type": "number"}, {"type": "string", "pattern": r"^-?\d{1,40}(\.\d{1,40})?$"}]}
    ),
]


class OrderLineIn(Schema):
    variant_erp_id: str | None = Field(
        None, min_length=1, max_length=64, description="The goods by ERP id, or else…"
    )
    sku: str | None = Field(None, min_length=1, max_length=64, description="…by SKU.")
    quantity: Number = Field(description="Above zero, up to 3 decimal places.")
    price: Number = Field(description="Up to 2 decimal places.")
    amount: Number = Field(description="quantity × price, rounded half up to 2 places.")


class OrderIn(Schema):
    erp_id: ErpId
    erp_number: str = Field(min_length=1, max_length=40)
    number: str | None = Field(
        None,
        min_length=1,
        max_length=40,
        description="Kabinet's number, when the ERP acknowledges an order placed in the portal.",
    )
    partner_erp_id: ErpId
    counterparty_erp_id: ErpId
    agreement_erp_id: str | None = Field(None, min_length=1, max_length=64)
    delivery_address_erp_id: str | None = Field(None, min_length=1, max_length=64)
    ordered_at: AwareDatetime = Field(description="The document date, with its time zone.")
    status: ErpStatus
    status_changed_at: AwareDatetime | None = Field(
        None, description="The version of `status`; the document date when left out."
    )
    status_sequence: int = Field(0, ge=0, le=2**62)
    currency: str = Field(pattern=r"^[A-Z]{3}$")
    total: Number = Field(description="The sum of the lines' amounts.")
    lines: list[OrderLineIn] = Field(min_length=1, max_length=MAX_LINES)
    comment: str | None = Field(None, max_length=2000)
    po_number: str | None = Field(None, max_length=64)
    desired_date: date | None = None


class OrderBatch(Schema):
    items: list[OrderIn] = Field(max_length=MAX_ORDERS)


@router.post("/orders", response=BATCH_RESPONSES, operation_id="orders_upsert")
def orders_upsert_operation(
    request: HttpRequest, response: HttpResponse, payload: OrderBatch
) -> Status[dict[str, Any]]:
    """Create or update orders by ERP id (ORD8: history included). They show in the
    partner's order list marked as from the ERP. An order placed in the portal is
    acknowledged by sending its `number` with the ERP's id and number."""
    items = [
        OrderData(
            **item.model_dump(exclude={"lines"}),
            lines=tuple(OrderLineData(**line.model_dump()) for line in item.lines),
        )
        for item in payload.items
    ]
    return exchange(
        request,
        response,
        operation="orders",
        apply=lambda: orders_upsert(items=items, source=source_of(request)),
    )


class OrderStatusIn(Schema):
    erp_id: str | None = Field(
        None, min_length=1, max_length=64, description="The order by ERP id, or else…"
    )
    number: str | None = Field(
        None, min_length=1, max_length=40, description="…by Kabinet's number."
    )
    status: ErpStatus
    changed_at: AwareDatetime = Field(description="When the ERP changed it: the version.")
    sequence: int = Field(
        0, ge=0, le=2**62, description="Orders changes within the same changed_at."
    )
    note: str = Field("", max_length=500)


class OrderStatusBatch(Schema):
    items: list[OrderStatusIn] = Field(max_length=MAX_ITEMS)


@router.post("/order-statuses", response=BATCH_RESPONSES, operation_id="order_statuses_apply")
def order_statuses_apply_operation(
    request: HttpRequest, response: HttpResponse, payload: OrderStatusBatch
) -> Status[dict[str, Any]]:
    """Move orders along the status flow (ORD7), in the order given. An older message than
    the last applied is `stale`, a repeat `unchanged`; a step the flow does not allow is
    `transition_refused`, with the current status."""
    items = [OrderStatusData(**item.model_dump()) for item in payload.items]
    return exchange(
        request,
        response,
        operation="order_statuses",
        apply=lambda: order_statuses_apply(items=items, source=source_of(request)),
    )
