"""The order status flow (ORD7): one service per transition, each with its guard.

    draft → submitted → accepted → in assembly → shipped → closed
    submitted → rejected;  draft, submitted, accepted, in assembly → cancelled

No code sets `Order.status` anywhere else. Every transition locks the order, checks that the
current status allows it (a second click, a stale page or a concurrent change gets
`TransitionRefused`: the view answers 409 and nothing changes), writes one row of the
status history and one audit event, all in one transaction.

Partners submit and cancel their own orders (cancel only until the supplier accepts);
the supplier's steps are taken by staff by hand or by the ERP exchange (`source=ERP`, no
person: kabinet.orders.sync), through the same services and guards.
"""

from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kabinet.accounts.audit import audit_record
from kabinet.accounts.models import AuditKind, User
from kabinet.catalog.selectors import agreement_prices
from kabinet.orders.models import (
    Order,
    OrderLine,
    OrderStatus,
    OrderStatusChange,
    StatusChangeSource,
)
from kabinet.orders.notify import order_submitted_email
from kabinet.orders.outbox_events import order_cancelled_announce, order_submitted_announce
from kabinet.partners.models import Partner

S = OrderStatus
# to-status → the statuses it may be reached from.
TRANSITIONS: dict[str, frozenset[str]] = {
    S.SUBMITTED: frozenset({S.DRAFT}),
    S.ACCEPTED: frozenset({S.SUBMITTED}),
    S.REJECTED: frozenset({S.SUBMITTED}),
    S.IN_ASSEMBLY: frozenset({S.ACCEPTED}),
    S.SHIPPED: frozenset({S.ACCEPTED, S.IN_ASSEMBLY}),
    S.CLOSED: frozenset({S.SHIPPED}),
    S.CANCELLED: frozenset({S.DRAFT, S.SUBMITTED, S.ACCEPTED, S.IN_ASSEMBLY}),
}
# What a partner may cancel itself; later steps are the supplier's to stop.
PARTNER_CANCELLABLE = frozenset({S.DRAFT, S.SUBMITTED})


class TransitionRefused(Exception):
    """The order's status does not allow the step (any more): a 409 for the user."""

    def __init__(self, order: Order, to_status: str) -> None:
        self.order = order
        self.to_status = to_status
        super().__init__(
            _("Order %(number)s is %(status)s: it cannot be %(target)s now.")
            % {
                "number": order.number,
                "status": order.get_status_display(),
                "target": S(to_status).label,
            }
        )


def _locked(order_id: int, partner: Partner | None) -> Order:
    """The order, locked for this transaction; Order.DoesNotExist for another partner's."""
    orders = Order.objects.select_for_update()
    if partner is not None:
        orders = orders.for_partner(partner)
    return orders.get(pk=order_id)


def _move(
    order: Order,
    to_status: str,
    *,
    actor: User | None,
    source: str,
    note: str = "",
    allowed_from: frozenset[str] | None = None,
    **changes: object,
) -> Order:
    if order.status not in (allowed_from or TRANSITIONS[to_status]):
        raise TransitionRefused(order, to_status)
    now = timezone.now()
    from_status = order.status
    Order.objects.filter(pk=order.pk).update(status=to_status, updated_at=now, **changes)
    OrderStatusChange.objects.create(
        order=order,
        from_status=from_status,
        to_status=to_status,
        changed_at=now,
        actor=actor,
        source=source,
        note=note[:500],
    )
    audit_record(
        AuditKind.ORDER_SUBMITTED if to_status == S.SUBMITTED else AuditKind.ORDER_STATUS_CHANGED,
        actor=actor,
        partner_id=order.partner_id,
        order=order.number,
        order_id=order.pk,
        status_from=from_status,
        status_to=to_status,
        source=source,
    )
    order.refresh_from_db()
    return order


def order_reprice(order: Order) -> None:
    """Set the draft's line prices and total from its agreement's price list as of now.
    ValidationError (nothing changed) when a line's goods are no longer on sale under it."""
    lines = list(OrderLine.objects.filter(order=order))
    priced = agreement_prices(
        agreement=order.agreement, variant_ids=[line.variant_id for line in lines]
    )
    price_list, prices = priced.price_list, priced.amounts
    missing = sorted(line.sku for line in lines if line.variant_id not in prices)
    if missing:
        raise ValidationError(
            _("No longer on sale under agreement %(agreement)s: %(skus)s.")
            % {
                "agreement": order.agreement.number if order.agreement else "—",
                "skus": ", ".join(missing),
            },
            code="not_on_sale",
        )
    if not lines:
        raise ValidationError(_("The order has no lines."), code="empty")
    total = Decimal("0.00")
    for line in lines:
        assert line.variant_id is not None
        line.price = prices[line.variant_id]
        line.amount = (line.price * line.quantity).quantize(Decimal("0.01"))
        total += line.amount
    OrderLine.objects.bulk_update(lines, ["price", "amount"], batch_size=1000)
    Order.objects.filter(pk=order.pk).update(
        total=total,
        line_count=len(lines),
        currency=price_list.currency if price_list else order.currency,
    )


@transaction.atomic
def order_submit(*, partner: Partner, order_id: int, actor: User) -> Order:
    """A partner sends its draft to the supplier, at the prices of today."""
    order = _locked(order_id, partner)
    if order.status != S.DRAFT:
        raise TransitionRefused(order, S.SUBMITTED)
    order_reprice(order)
    now = timezone.now()
    order = _move(
        order,
        S.SUBMITTED,
        actor=actor,
        source=StatusChangeSource.PARTNER,
        submitted_at=now,
        ordered_at=now,
    )
    order_submitted_email(order)
    order_submitted_announce(order)
    return order


@transaction.atomic
def order_cancel(*, partner: Partner, order_id: int, actor: User, note: str = "") -> Order:
    """A partner withdraws its draft or an order the supplier has not accepted yet."""
    order = _locked(order_id, partner)
    from_status = order.status
    order = _move(
        order,
        S.CANCELLED,
        actor=actor,
        source=StatusChangeSource.PARTNER,
        note=note,
        allowed_from=PARTNER_CANCELLABLE,
    )
    order_cancelled_announce(
        order, from_status=from_status, note=note, by=StatusChangeSource.PARTNER
    )
    return order


def _staff_transition(to_status: str) -> Callable[..., Order]:
    @transaction.atomic
    def transition(
        *,
        order_id: int,
        actor: User | None,
        note: str = "",
        source: StatusChangeSource = StatusChangeSource.STAFF,
        erp_version: tuple[datetime, int] | None = None,
    ) -> Order:
        """`source=ERP` has no person (actor None) and records the ERP's version of the
        status (its change time and sequence, R17) in the same update."""
        if actor is None and source != StatusChangeSource.ERP:
            raise ValueError("Only the ERP changes a status without a person doing it.")
        changes: dict[str, Any] = {}
        if erp_version is not None:
            changes = {
                "erp_status_changed_at": erp_version[0],
                "erp_status_sequence": erp_version[1],
            }
        order = _locked(order_id, None)
        from_status = order.status
        order = _move(order, to_status, actor=actor, source=source, note=note, **changes)
        # The ERP is told of a cancellation it did not make itself.
        if to_status == S.CANCELLED and source != StatusChangeSource.ERP:
            order_cancelled_announce(order, from_status=from_status, note=note, by=source)
        return order

    transition.__name__ = f"order_{to_status}_by_staff"
    transition.__doc__ = f"The supplier moves an order to {to_status!r}: staff or the ERP."
    return transition


# The supplier's steps: by hand, or driven by the ERP exchange (same guards).
order_accept = _staff_transition(S.ACCEPTED)
order_reject = _staff_transition(S.REJECTED)
order_start_assembly = _staff_transition(S.IN_ASSEMBLY)
order_ship = _staff_transition(S.SHIPPED)
order_close = _staff_transition(S.CLOSED)
order_cancel_by_staff = _staff_transition(S.CANCELLED)

STAFF_TRANSITIONS: dict[str, Callable[..., Order]] = {
    S.ACCEPTED: order_accept,
    S.REJECTED: order_reject,
    S.IN_ASSEMBLY: order_start_assembly,
    S.SHIPPED: order_ship,
    S.CLOSED: order_close,
    S.CANCELLED: order_cancel_by_staff,
}


def staff_next_statuses(order: Order) -> list[str]:
    """The statuses staff may move `order` to from where it is."""
    return [to for to in STAFF_TRANSITIONS if order.status in TRANSITIONS[to]]
