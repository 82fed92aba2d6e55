"""What the ERP is told about partners' contacts and delivery addresses: outbox messages
written by the partner services in their own transaction (see docs/erp-exchange.md,
"Outbound messages"; the payloads are a stable contract like the orders')."""

from kabinet.outbox.models import OutboxMessage, Topic
from kabinet.outbox.services import outbox_write
from kabinet.partners.models import Contact, DeliveryAddress

PAYLOAD_VERSION = 1


def contact_changed_announce(contact: Contact, *, change: str) -> list[OutboxMessage]:
    return outbox_write(
        topic=Topic.CONTACT_CHANGED,
        object_type="contact",
        object_id=contact.pk,
        payload={
            "version": PAYLOAD_VERSION,
            "change": change,
            "partner_erp_id": contact.partner.erp_id,
            "contact": {
                "id": contact.pk,
                "erp_id": contact.erp_id,
                "full_name": contact.full_name,
                "position": contact.position,
                "email": contact.email,
                "phone": contact.phone,
            },
        },
        partner=contact.partner,
    )


def address_changed_announce(address: DeliveryAddress, *, change: str) -> list[OutboxMessage]:
    counterparty = address.counterparty
    return outbox_write(
        topic=Topic.ADDRESS_CHANGED,
        object_type="delivery_address",
        object_id=address.pk,
        payload={
            "version": PAYLOAD_VERSION,
            "change": change,
            "partner_erp_id": address.partner.erp_id,
            "address": {
                "id": address.pk,
                "erp_id": address.erp_id,
                "counterparty_erp_id": counterparty.erp_id if counterparty else None,
                "title": address.title,
                "postal_code": address.postal_code,
                "city": address.city,
                "address": address.address,
                "is_default": address.is_default,
            },
        },
        partner=address.partner,
    )
