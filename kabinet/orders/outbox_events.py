"""What the ERP is told about orders (DESIGN rule 5): the outbox messages written by the order
services, in their own transaction. Drafts are the partner's own: they are never sent.

The payloads are a stable, documented contract (docs/erp-exchange.md, "Outbound messages"):
fields are added, never renamed or removed, and `version` changes if one ever must be.
Money and quantities are decimal strings; dates are ISO 8601.
"""

from typing import Any

from kabinet.orders.models import Order, OrderLine, OrderStatus
from kabinet.outbox.models import OutboxMessage, Topic
from kabinet.outbox.services import outbox_write

PAYLOAD_VERSION = 1


def _order_head(order: Order) -> dict[str, Any]:
    return {
        "id": order.pk,
        "number": order.number,
        "erp_id": order.erp_id,
        "partner_erp_id": order.partner.erp_id,
        "counterparty_erp_id": order.counterparty.erp_id,
        "counterparty_tax_id": order.counterparty.tax_id,
    }


def order_payload(order: Order) -> dict[str, Any]:
    """The submitted order as the ERP receives it."""
    lines = OrderLine.objects.filter(order=order).select_related("variant").order_by("position")
    address = order.delivery_address
    return {
        "version": PAYLOAD_VERSION,
        "order": {
            **_order_head(order),
            "agreement_erp_id": order.agreement.erp_id if order.agreement else None,
            "agreement_number": order.agreement.number if order.agreement else None,
            "delivery_address_erp_id": address.erp_id if address else None,
            "delivery_address": order.delivery_address_text,
            "po_number": order.po_number,
            "desired_date": order.desired_date.isoformat() if order.desired_date else None,
            "comment": order.comment,
            "currency": order.currency,
            "total": str(order.total),
            "line_count": order.line_count,
            "submitted_at": order.submitted_at.isoformat() if order.submitted_at else None,
            "lines": [
                {
                    "position": line.position,
                    "sku": line.sku,
                    "variant_erp_id": line.variant.erp_id if line.variant else None,
                    "name": line.name,
                    "quantity": str(line.quantity),
                    "price": str(line.price),
                    "amount": str(line.amount),
                }
                for line in lines
            ],
        },
    }


def order_submitted_announce(order: Order) -> list[OutboxMessage]:
    """Call inside the transaction that submitted `order`: one message per ERP that takes it."""
    return outbox_write(
        topic=Topic.ORDER_SUBMITTED,
        object_type="order",
        object_id=order.pk,
        payload=order_payload(order),
        partner=order.partner,
    )


def order_cancelled_announce(
    order: Order, *, from_status: str, note: str, by: str
) -> list[OutboxMessage]:
    """Call inside the transaction that cancelled `order`. A draft the ERP never heard of
    is cancelled silently."""
    if from_status == OrderStatus.DRAFT:
        return []
    return outbox_write(
        topic=Topic.ORDER_CANCELLED,
        object_type="order",
        object_id=order.pk,
        payload={
            "version": PAYLOAD_VERSION,
            "order": _order_head(order),
            "status_from": from_status,
            "cancelled_by": by,
            "cancelled_at": order.updated_at.isoformat(),
            "note": note[:500],
        },
        partner=order.partner,
    )
