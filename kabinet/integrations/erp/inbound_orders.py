"""Inbound orders and order statuses (ORD6, ORD7, ORD8): the ERP's orders, history
included, and the status flow driven by the ERP. The domain services are in
kabinet.orders.sync; this module only translates payloads and answers per item."""

from datetime import date
from decimal import Decimal
from typing import Annotated, Any, Literal, Self

from django.http import HttpRequest, HttpResponse
from ninja import Field, Router, Schema, Status
from pydantic import AwareDatetime, model_validator

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
Money = Annotated[Decimal, Field(ge=0, max_digits=14, decimal_places=2)]


class OrderLineIn(Schema):
    variant_erp_id: str | None = Field(None, min_length=1, max_length=64)
    sku: str | None = Field(None, min_length=1, max_length=64)
    quantity: Decimal = Field(gt=0, max_digits=12, decimal_places=3)
    price: Money
    amount: Money = Field(description="quantity × price, rounded half up to 2 places.")

    @model_validator(mode="after")
    def _names_goods(self) -> Self:
        if not (self.variant_erp_id or self.sku):
            raise ValueError("a line names its goods by variant_erp_id or sku")
        return self


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
    total: Money = Field(description="The sum of the lines' amounts.")
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
    erp_id: str | None = Field(None, min_length=1, max_length=64)
    number: str | None = Field(None, min_length=1, max_length=40, description="Kabinet's number.")
    status: ErpStatus
    changed_at: AwareDatetime = Field(description="When the ERP changed it: the version.")
    sequence: int = Field(
        0, ge=0, le=2**62, description="Orders changes within the same changed_at."
    )
    note: str = Field("", max_length=500)

    @model_validator(mode="after")
    def _names_order(self) -> Self:
        if not (self.erp_id or self.number):
            raise ValueError("a status message names its order by erp_id or number")
        return self


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
