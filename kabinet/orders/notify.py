"""Telling the supplier's people about partners' orders (e-mail after commit)."""

from django.conf import settings
from django.urls import reverse

from kabinet.notifications.services import email_enqueue
from kabinet.orders.models import Order


def order_submitted_email(order: Order) -> None:
    """E-mail the partner's manager that an order arrived. Called inside the submitting
    service's transaction: the message leaves only if the order is committed. A partner
    without a manager (or a manager without an address) falls back to ORDERS_NOTIFY_EMAIL."""
    partner = order.partner
    manager = partner.manager
    if manager is not None and manager.is_active and manager.email:
        to, language = [manager.email], manager.preferred_language or settings.LANGUAGE_CODE
    elif settings.ORDERS_NOTIFY_EMAIL:
        to, language = [settings.ORDERS_NOTIFY_EMAIL], settings.LANGUAGE_CODE
    else:
        return
    link = settings.SITE_URL + reverse("orders:staff_detail", kwargs={"order_id": order.pk})
    email_enqueue(
        to=to,
        language=language,
        template="orders/email/order_submitted",
        context={
            "number": order.number,
            "partner_name": partner.name,
            "total": order.total,
            "currency": order.currency,
            "line_count": order.line_count,
            "po_number": order.po_number,
            "desired_date": order.desired_date,
            "comment": order.comment,
            "link": link,
        },
    )
