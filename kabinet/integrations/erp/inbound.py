"""Inbound exchange operations: ERP → Kabinet. Each translates its payload into the domain
service's input and answers per item; the domain services do the work."""

from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import Field, Router, Schema, Status

from kabinet.integrations.erp.exchange import BATCH_RESPONSES, exchange
from kabinet.partners.sync import PartnerData, partners_upsert

# One request carries at most this many items; send more in several requests.
MAX_ITEMS = 10_000

router = Router(tags=["inbound"])


def source_of(request: HttpRequest) -> str:
    """Who sent a request, for the audit log."""
    return f"integration:{request.auth.name}"  # type: ignore[attr-defined]


class PartnerIn(Schema):
    erp_id: str = Field(min_length=1, max_length=64)
    name: str = Field(min_length=1, max_length=255)
    parent_erp_id: str | None = Field(
        None, max_length=64, description="The head company's ERP id, for a holding (PRT4)."
    )
    city: str = Field("", max_length=120)
    email: str = Field("", max_length=254)
    phone: str = Field("", max_length=32)


class PartnerBatch(Schema):
    items: list[PartnerIn] = Field(max_length=MAX_ITEMS)


@router.post("/partners", response=BATCH_RESPONSES, operation_id="partners_upsert")
def partners_upsert_operation(
    request: HttpRequest, response: HttpResponse, payload: PartnerBatch
) -> Status[dict[str, Any]]:
    """Create or update partner cards (PRT1) by ERP id. New cards are inactive until a key
    user joins (PRT2). A holding's head company may come in the same batch."""
    items = [PartnerData(**item.model_dump()) for item in payload.items]
    return exchange(
        request,
        response,
        operation="partners",
        apply=lambda: partners_upsert(items=items, source=source_of(request)),
    )
