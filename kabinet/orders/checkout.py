"""Placing an order from the cart (ORD4), editing a draft, copying an order into the cart.

What is ordered, and at what price, is decided here from the cart and the agreement's price
list, never from what the form posts (R3): the form names the counterparty, agreement and
address by id (each checked to be the partner's own) and gives free text.

Placing is idempotent (R18): the checkout page carries a one-time key; the order remembers
it, and the cart is locked while it is turned into the order. A double click posts the same
key and gets the first order back; a second tab (another key) finds the cart already empty.
"""

import uuid
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kabinet.accounts.audit import audit_record
from kabinet.accounts.models import AuditKind, User
from kabinet.catalog.selectors import agreement_prices
from kabinet.orders.models import (
    Cart,
    CartLine,
    Order,
    OrderLine,
    OrderStatus,
    OrderStatusChange,
    StatusChangeSource,
)
from kabinet.orders.notify import order_submitted_email
from kabinet.orders.outbox_events import order_submitted_announce
from kabinet.orders.services import cart_lines_add
from kabinet.orders.statuses import TransitionRefused, order_reprice
from kabinet.partners.models import Agreement, Counterparty, DeliveryAddress, Partner

CENT = Decimal("0.01")
NUMBER_PREFIX = "K-"


@dataclass(frozen=True)
class OrderDetails:
    """What the partner fills in at checkout (and may change in a draft)."""

    counterparty: Counterparty
    agreement: Agreement
    delivery_address: DeliveryAddress | None = None
    desired_date: date | None = None
    comment: str = ""
    po_number: str = ""


class AlreadyPlaced(Exception):
    """The cart was turned into an order by another request a moment ago (a second tab):
    the view answers 409 and names that order."""

    def __init__(self, order: Order | None) -> None:
        self.order = order
        super().__init__(_("Your cart is empty: the order was already placed."))


def _details_check(partner: Partner, details: OrderDetails) -> None:
    """The details belong together and to the partner; ValidationError saying which not."""
    errors: dict[str, str] = {}
    if details.counterparty.partner_id != partner.pk:
        errors["counterparty"] = _("Choose one of your company's counterparties.")
    if (
        details.agreement.partner_id != partner.pk
        or details.agreement.counterparty_id != details.counterparty.pk
    ):
        errors["agreement"] = _("Choose an agreement of the chosen counterparty.")
    elif details.agreement.valid_until and details.agreement.valid_until < timezone.localdate():
        errors["agreement"] = _("Agreement %(number)s has expired.") % {
            "number": details.agreement.number
        }
    address = details.delivery_address
    if address is not None and (
        address.partner_id != partner.pk
        or (address.counterparty_id and address.counterparty_id != details.counterparty.pk)
    ):
        errors["delivery_address"] = _("Choose a delivery address of the chosen counterparty.")
    if details.desired_date and details.desired_date < timezone.localdate():
        errors["desired_date"] = _("The desired date cannot be in the past.")
    if errors:
        raise ValidationError(errors)


def _detail_fields(details: OrderDetails) -> dict[str, object]:
    return {
        "counterparty": details.counterparty,
        "agreement": details.agreement,
        "delivery_address": details.delivery_address,
        "delivery_address_text": str(details.delivery_address or ""),
        "desired_date": details.desired_date,
        "comment": details.comment.strip(),
        "po_number": details.po_number.strip(),
    }


@transaction.atomic
def order_place(
    *,
    partner: Partner,
    user: User,
    details: OrderDetails,
    checkout_key: uuid.UUID,
    submit: bool,
) -> tuple[Order, bool]:
    """Turn the user's cart into an order: submitted to the supplier (`submit`) or kept as a
    draft. Returns the order and whether it was made now (False: this checkout key made it
    before). The cart is emptied. ValidationError when a detail is wrong or a line is not on
    sale under the agreement (nothing changes); AlreadyPlaced when the cart is empty because
    another request just ordered it."""
    _details_check(partner, details)
    cart = Cart.objects.select_for_update().filter(partner=partner, user=user).first()
    # Looked up after the cart lock: a concurrent first post has committed by now.
    earlier = Order.objects.filter(checkout_key=checkout_key).first()
    if earlier is not None:
        if earlier.partner_id != partner.pk or earlier.created_by_id != user.pk:
            raise ValidationError(_("This checkout form has expired. Open it again."))
        return earlier, False
    lines = list(
        CartLine.objects.filter(cart=cart)
        .select_related("variant__product")
        .order_by("added_at", "pk")
        if cart
        else []
    )
    if not lines:
        latest = (
            Order.objects.for_partner(partner)
            .filter(created_by=user, created_at__gte=timezone.now() - timedelta(hours=1))
            .order_by("-created_at", "-pk")
            .first()
        )
        if latest is not None:
            raise AlreadyPlaced(latest)
        raise ValidationError(_("Your cart is empty."), code="empty")

    priced = agreement_prices(
        agreement=details.agreement, variant_ids=[line.variant_id for line in lines]
    )
    price_list, prices = priced.price_list, priced.amounts
    unavailable = sorted(line.variant.sku for line in lines if line.variant_id not in prices)
    if unavailable:
        raise ValidationError(
            _(
                "Not on sale under agreement %(agreement)s: %(skus)s. Remove these lines from "
                "the cart or choose another agreement."
            )
            % {"agreement": details.agreement.number, "skus": ", ".join(unavailable)},
            code="not_on_sale",
        )

    now = timezone.now()
    status = OrderStatus.SUBMITTED if submit else OrderStatus.DRAFT
    order = Order.objects.create(
        partner=partner,
        number=f"new-{checkout_key}",
        status=status,
        currency=price_list.currency if price_list else details.agreement.currency,
        created_by=user,
        created_at=now,
        ordered_at=now,
        submitted_at=now if submit else None,
        updated_at=now,
        checkout_key=checkout_key,
        **_detail_fields(details),
    )
    order_lines = []
    for position, line in enumerate(lines, start=1):
        price = prices[line.variant_id]
        order_lines.append(
            OrderLine(
                order=order,
                variant=line.variant,
                position=position,
                sku=line.variant.sku,
                name=line.variant.product.name,
                colour=line.variant.colour,
                size=line.variant.size,
                quantity=line.quantity,
                price=price,
                amount=(price * line.quantity).quantize(CENT, rounding=ROUND_HALF_UP),
            )
        )
    OrderLine.objects.bulk_create(order_lines, batch_size=1000)
    order.number = f"{NUMBER_PREFIX}{order.pk:06d}"
    order.total = sum((line.amount for line in order_lines), Decimal("0.00"))
    order.line_count = len(order_lines)
    Order.objects.filter(pk=order.pk).update(
        number=order.number, total=order.total, line_count=order.line_count
    )
    CartLine.objects.filter(cart=cart).delete()
    Cart.objects.filter(pk=cart.pk).update(updated_at=now)  # type: ignore[union-attr]
    OrderStatusChange.objects.create(
        order=order,
        from_status="",
        to_status=status,
        changed_at=now,
        actor=user,
        source=StatusChangeSource.PARTNER,
    )
    audit_record(
        AuditKind.ORDER_SUBMITTED if submit else AuditKind.ORDER_DRAFT_SAVED,
        actor=user,
        partner_id=partner.pk,
        order=order.number,
        order_id=order.pk,
        lines=order.line_count,
        total=str(order.total),
        currency=order.currency,
    )
    if submit:
        order_submitted_email(order)
        order_submitted_announce(order)
    return order, True


@transaction.atomic
def order_draft_update(
    *,
    partner: Partner,
    user: User,
    order_id: int,
    details: OrderDetails,
    quantities: dict[int, Decimal],
) -> Order:
    """Change a draft's details and line quantities (line id → quantity; 0 removes the
    line), repriced under its (possibly new) agreement. Only a draft can change; a line id
    that is not the draft's is ignored."""
    order = Order.objects.select_for_update().for_partner(partner).get(pk=order_id)
    if order.status != OrderStatus.DRAFT:
        raise TransitionRefused(order, OrderStatus.DRAFT)
    _details_check(partner, details)
    lines = {line.pk: line for line in OrderLine.objects.filter(order=order)}
    removed = [line_id for line_id, quantity in quantities.items() if quantity == 0]
    changed = []
    for line_id, quantity in quantities.items():
        line = lines.get(line_id)
        if line is not None and quantity and quantity != line.quantity:
            line.quantity = quantity
            changed.append(line)
    if len(set(removed) & set(lines)) == len(lines):
        raise ValidationError(
            _("A draft needs at least one line; cancel the draft to drop it."), code="empty"
        )
    OrderLine.objects.filter(order=order, pk__in=removed).delete()
    OrderLine.objects.bulk_update(changed, ["quantity"], batch_size=1000)
    Order.objects.filter(pk=order.pk).update(updated_at=timezone.now(), **_detail_fields(details))
    order.refresh_from_db()
    order_reprice(order)
    order.refresh_from_db()
    return order


def order_copy_to_cart(
    *, partner: Partner, user: User, order: Order, agreement: Agreement
) -> tuple[int, list[str]]:
    """Put the order's lines into the user's cart (merged), under `agreement`: lines not on
    sale under it are left out and named. Returns (lines added, SKUs left out)."""
    lines = list(OrderLine.objects.filter(order=order).values_list("variant_id", "sku", "quantity"))
    on_sale = agreement_prices(
        agreement=agreement,
        variant_ids=[variant_id for variant_id, _sku, _q in lines if variant_id],
    ).amounts
    quantities: dict[int, Decimal] = {}
    left_out = []
    for variant_id, sku, quantity in lines:
        if variant_id in on_sale:
            quantities[variant_id] = quantities.get(variant_id, Decimal(0)) + quantity
        else:
            left_out.append(sku)
    added = cart_lines_add(partner=partner, user=user, agreement=agreement, quantities=quantities)
    return added, sorted(left_out)
