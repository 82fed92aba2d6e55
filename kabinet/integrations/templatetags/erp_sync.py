from typing import Any

from django import template

from kabinet.orders.models import Order
from kabinet.outbox.selectors import order_sync_state

register = template.Library()


@register.inclusion_tag("integrations/_order_sync.html")
def order_sync(order: Order, staff: bool = False) -> dict[str, Any]:
    """The order's sync state with the ERP (one query); nothing for drafts and ERP orders."""
    return {"sync": order_sync_state(order=order), "staff": staff}
