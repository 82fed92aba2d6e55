"""Inbound invoices and payments: the finance documents as the ERP keeps them. The domain
services are in kabinet.finance.sync; this module translates payloads and answers per item."""

from datetime import date
from decimal import Decimal
from typing import Annotated, Any

from django.http import HttpRequest, HttpResponse
from ninja import Field, Router, Schema, Status

from kabinet.finance.sync import InvoiceData, PaymentData, invoices_upsert, payments_upsert
from kabinet.integrations.erp.exchange import BATCH_RESPONSES, exchange
from kabinet.integrations.erp.inbound import source_of
from kabinet.integrations.erp.inbound_orders import Number

router = Router(tags=["inbound"])

# Records per request: these carry more text than a partner card, and a batch must stay
# well inside the request body limit (413 past it); send more in several requests.
MAX_RECORDS = 2_000

ErpId = Annotated[str, Field(min_length=1, max_length=64)]
OptionalErpId = Annotated[str | None, Field(None, min_length=1, max_length=64)]
Currency = Annotated[str, Field(pattern=r"^[A-Z]{3}$")]


class InvoiceIn(Schema):
    erp_id: ErpId
    partner_erp_id: ErpId
    counterparty_erp_id: ErpId
    agreement_erp_id: OptionalErpId = None
    order_erp_id: OptionalErpId = None
    number: str = Field(min_length=1, max_length=40)
    issued_on: date
    due_on: date | None = None
    currency: Currency
    amount: Number = Field(description="Up to 2 decimal places, not negative.")
    paid_amount: Number = Decimal("0.00")
    cancelled: bool = Field(False, description="The status follows from the amounts otherwise.")


class InvoiceBatch(Schema):
    items: list[InvoiceIn] = Field(max_length=MAX_RECORDS)


@router.post("/invoices", response=BATCH_RESPONSES, operation_id="invoices_upsert")
def invoices_upsert_operation(
    request: HttpRequest, response: HttpResponse, payload: InvoiceBatch
) -> Status[dict[str, Any]]:
    """Create or update invoices by ERP id. The status (open, partly paid, paid, cancelled)
    follows from `amount`, `paid_amount` and `cancelled`."""
    items = [InvoiceData(**item.model_dump()) for item in payload.items]
    return exchange(
        request,
        response,
        operation="invoices",
        apply=lambda: invoices_upsert(items=items, source=source_of(request)),
    )


class PaymentIn(Schema):
    erp_id: ErpId
    partner_erp_id: ErpId
    counterparty_erp_id: ErpId
    invoice_erp_id: OptionalErpId = None
    number: str = Field(min_length=1, max_length=40)
    paid_on: date
    currency: Currency
    amount: Number = Field(description="Above zero, up to 2 decimal places.")


class PaymentBatch(Schema):
    items: list[PaymentIn] = Field(max_length=MAX_RECORDS)


@router.post("/payments", response=BATCH_RESPONSES, operation_id="payments_upsert")
def payments_upsert_operation(
    request: HttpRequest, response: HttpResponse, payload: PaymentBatch
) -> Status[dict[str, Any]]:
    """Create or update payments by ERP id, optionally against one of the partner's
    invoices (in the same currency)."""
    items = [PaymentData(**item.model_dump()) for item in payload.items]
    return exchange(
        request,
        response,
        operation="payments",
        apply=lambda: payments_upsert(items=items, source=source_of(request)),
    )
