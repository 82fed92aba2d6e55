"""Inbound partner data (INT1): counterparties, contacts, agreements, delivery addresses,
and their deletion. Each operation translates its payload into the domain service's input
(kabinet.partners.sync) and answers per item."""

from datetime import date
from typing import Annotated, Any, Literal

from django.http import HttpRequest, HttpResponse
from ninja import Field, Router, Schema, Status

from kabinet.integrations.erp.exchange import BATCH_RESPONSES, exchange
from kabinet.integrations.erp.inbound import source_of
from kabinet.partners.sync import (
    AgreementData,
    ContactData,
    CounterpartyData,
    DeletionData,
    DeliveryAddressData,
    agreements_upsert,
    contacts_upsert,
    counterparties_upsert,
    delivery_addresses_upsert,
    partner_records_delete,
)

router = Router(tags=["inbound"])

# Records per request: these carry more text than a partner card, and a batch must stay
# well inside the request body limit (413 past it); send more in several requests.
MAX_RECORDS = 2_000

ErpId = Annotated[str, Field(min_length=1, max_length=64)]
CURRENCY = r"^[A-Z]{3}$"


class CounterpartyIn(Schema):
    erp_id: ErpId
    partner_erp_id: ErpId
    name: str = Field(min_length=1, max_length=255)
    country: str = Field("RU", pattern=r"^[A-Za-z]{2}$", description="ISO 3166 alpha-2.")
    tax_id: str = Field(
        min_length=1, max_length=20, description="INN in Russia; checked and normalised."
    )
    kpp: str = Field("", max_length=9)
    registration_number: str = Field("", max_length=32)
    legal_address: str = Field("", max_length=500)


class CounterpartyBatch(Schema):
    items: list[CounterpartyIn] = Field(max_length=MAX_RECORDS)


@router.post("/counterparties", response=BATCH_RESPONSES, operation_id="counterparties_upsert")
def counterparties_upsert_operation(
    request: HttpRequest, response: HttpResponse, payload: CounterpartyBatch
) -> Status[dict[str, Any]]:
    """Create or update the partners' legal entities by ERP id. The tax ID is unique per
    country (`tax_id_taken`) and must be valid (`bad_tax_id`)."""
    items = [CounterpartyData(**item.model_dump()) for item in payload.items]
    return exchange(
        request,
        response,
        operation="counterparties",
        apply=lambda: counterparties_upsert(items=items, source=source_of(request)),
    )


class ContactIn(Schema):
    erp_id: ErpId
    partner_erp_id: ErpId
    full_name: str = Field(min_length=1, max_length=200)
    position: str = Field("", max_length=200)
    email: str = Field("", max_length=254)
    phone: str = Field("", max_length=32)


class ContactBatch(Schema):
    items: list[ContactIn] = Field(max_length=MAX_RECORDS)


@router.post("/contacts", response=BATCH_RESPONSES, operation_id="contacts_upsert")
def contacts_upsert_operation(
    request: HttpRequest, response: HttpResponse, payload: ContactBatch
) -> Status[dict[str, Any]]:
    """Create or update the partners' contact persons by ERP id."""
    items = [ContactData(**item.model_dump()) for item in payload.items]
    return exchange(
        request,
        response,
        operation="contacts",
        apply=lambda: contacts_upsert(items=items, source=source_of(request)),
    )


class AgreementIn(Schema):
    erp_id: ErpId
    partner_erp_id: ErpId
    counterparty_erp_id: ErpId
    number: str = Field(min_length=1, max_length=64)
    price_list: str = Field(
        min_length=1, max_length=120, description="The code of the price list (price type)."
    )
    currency: str = Field("RUB", pattern=CURRENCY)
    signed_on: date | None = None
    valid_until: date | None = None
    payment_deferral_days: int = Field(0, ge=0, le=3650)
    is_main: bool = Field(False, description="The partner's default agreement; one per partner.")


class AgreementBatch(Schema):
    items: list[AgreementIn] = Field(max_length=MAX_RECORDS)


@router.post("/agreements", response=BATCH_RESPONSES, operation_id="agreements_upsert")
def agreements_upsert_operation(
    request: HttpRequest, response: HttpResponse, payload: AgreementBatch
) -> Status[dict[str, Any]]:
    """Create or update agreements by ERP id; the counterparty must be the partner's own
    (`counterparty_of_other_partner`). One main agreement per partner."""
    items = [AgreementData(**item.model_dump()) for item in payload.items]
    return exchange(
        request,
        response,
        operation="agreements",
        apply=lambda: agreements_upsert(items=items, source=source_of(request)),
    )


class DeliveryAddressIn(Schema):
    erp_id: ErpId
    partner_erp_id: ErpId
    counterparty_erp_id: str | None = Field(None, min_length=1, max_length=64)
    title: str = Field("", max_length=120)
    postal_code: str = Field("", max_length=16)
    city: str = Field(min_length=1, max_length=120)
    address: str = Field(min_length=1, max_length=500)
    is_default: bool = False


class DeliveryAddressBatch(Schema):
    items: list[DeliveryAddressIn] = Field(max_length=MAX_RECORDS)


@router.post(
    "/delivery-addresses", response=BATCH_RESPONSES, operation_id="delivery_addresses_upsert"
)
def delivery_addresses_upsert_operation(
    request: HttpRequest, response: HttpResponse, payload: DeliveryAddressBatch
) -> Status[dict[str, Any]]:
    """Create or update delivery addresses by ERP id."""
    items = [DeliveryAddressData(**item.model_dump()) for item in payload.items]
    return exchange(
        request,
        response,
        operation="delivery_addresses",
        apply=lambda: delivery_addresses_upsert(items=items, source=source_of(request)),
    )


class DeletionIn(Schema):
    entity: Literal["counterparty", "contact", "agreement", "delivery_address"]
    erp_id: ErpId


class DeletionBatch(Schema):
    items: list[DeletionIn] = Field(max_length=MAX_RECORDS)


@router.post(
    "/partner-records/delete", response=BATCH_RESPONSES, operation_id="partner_records_delete"
)
def partner_records_delete_operation(
    request: HttpRequest, response: HttpResponse, payload: DeletionBatch
) -> Status[dict[str, Any]]:
    """Delete counterparties, contacts, agreements and delivery addresses by ERP id. A record
    that orders or documents refer to stays and is answered `in_use`."""
    items = [DeletionData(**item.model_dump()) for item in payload.items]
    return exchange(
        request,
        response,
        operation="partner_records_delete",
        apply=lambda: partner_records_delete(items=items, source=source_of(request)),
    )
