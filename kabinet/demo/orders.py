"""Twelve months of demo orders: every demo partner with an agreement has a history of
orders that looks like a real one (closed and shipped mostly, some cancelled or rejected,
the last weeks' still on their way), with status histories dated as they happened, PO
numbers and comments, and orders the supplier's managers entered in the ERP (source=erp,
with the ERP's number).

The past is written in bulk (a few hundred orders, a fraction of a second): the transition
services stamp every step with the current time, and replaying a year through them would
take the demo's start-up from seconds to minutes. Its status stories come from the same
`order_timeline` as data set L's, prices from the agreements' price lists, totals and line
counts from the lines. What happens *now* goes through the real services, as a user would:
two drafts saved from the cart and one order placed and waiting for the supplier
(`order_place`), so the audit log, the checkout key and the numbering are the portal's own.
"""

import random
import uuid
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.db import transaction
from django.utils import timezone

from kabinet.accounts.models import User
from kabinet.catalog.models import Price
from kabinet.demo.dataset import CANCEL_NOTES, COMMENTS, REJECT_NOTES, order_timeline
from kabinet.orders.checkout import NUMBER_PREFIX, OrderDetails, order_place
from kabinet.orders.models import (
    Order,
    OrderLine,
    OrderSource,
    OrderStatus,
    OrderStatusChange,
    StatusChangeSource,
)
from kabinet.orders.services import cart_lines_add
from kabinet.partners.models import Agreement, DeliveryAddress, Membership, Partner
from kabinet.partners.rights import Right

CENT = Decimal("0.01")
DAYS = 365
ERP_SHARE = 0.2
# Orders a year, by the partner's ERP id (the others: DEFAULT_PER_YEAR).
PER_YEAR = {
    "DEMO-zdorovie": 90,
    "DEMO-farmaplus": 80,
    "DEMO-zdorovie-north": 40,
    "DEMO-zdorovie-south": 40,
    "DEMO-baltic": 30,
}
DEFAULT_PER_YEAR = 20
# The demo's own weights: a few more open and unhappy orders than data set L, to show them.
FATES = (
    ("closed", 70.0),
    ("shipped", 6.0),
    ("cancelled", 8.0),
    ("rejected", 3.0),
    ("submitted", 3.0),
    ("accepted", 6.0),
    ("draft", 4.0),
)
QUANTITIES = (1, 2, 2, 3, 5, 5, 10, 10, 12, 20, 24, 50, 100)
# Placed "now" through the services: (partner ERP id, user e-mail, submit, PO number, comment).
LIVE_ORDERS = (
    ("DEMO-zdorovie", "ivan@zdorovie.example", False, "", "Черновик: уточнить размеры у врачей"),
    ("DEMO-farmaplus", "petr@farmaplus.example", False, "ЗП-2026/0412", ""),
    ("DEMO-zdorovie-south", "sergey@zdorovie.example", True, "ЮГ-118", "Доставка до 12:00"),
)


@dataclass(frozen=True)
class _Offer:
    variant_id: int
    price: Decimal
    sku: str
    name: str
    colour: str
    size: str


def _offers(price_list_codes: set[str]) -> dict[str, list[_Offer]]:
    """Per price list code: what it sells, at its price (one query)."""
    offers: dict[str, list[_Offer]] = {code: [] for code in price_list_codes}
    rows = (
        Price.objects.filter(
            price_list__code__in=price_list_codes,
            variant__is_archived=False,
            variant__product__is_archived=False,
        )
        .order_by("price_list__code", "variant_id")
        .values_list(
            "price_list__code",
            "variant_id",
            "amount",
            "variant__sku",
            "variant__product__name",
            "variant__colour",
            "variant__size",
        )
    )
    for code, variant_id, amount, sku, name, colour, size in rows:
        offers[code].append(_Offer(variant_id, amount, sku, name, colour, size))
    return offers


def _buyers(partner: Partner) -> list[User]:
    """The partner's users who may order, admins first."""
    memberships = Membership.objects.filter(partner=partner).select_related("user")
    return [m.user for m in sorted(memberships, key=lambda m: m.pk) if m.has_right(Right.ORDERS)]


def demo_orders_exist() -> bool:
    return Order.objects.filter(partner__erp_id__startswith="DEMO-").exists()


@transaction.atomic
def orders_seed(*, seed: int = 11, now: datetime | None = None) -> dict[str, int]:
    """Write the demo partners' last twelve months of orders (once: call it only when
    `demo_orders_exist()` is false). Returns how many orders, lines and status changes."""
    now = now or timezone.now()
    rng = random.Random(seed)
    partners = list(
        Partner.objects.filter(erp_id__startswith="DEMO-", agreements__isnull=False)
        .distinct()
        .select_related("manager")
        .order_by("pk")
    )
    agreements: dict[int, list[Agreement]] = {}
    for agreement in Agreement.objects.filter(partner__in=partners).order_by("pk"):
        agreements.setdefault(agreement.partner_id, []).append(agreement)
    addresses: dict[int, list[DeliveryAddress]] = {}
    for known in DeliveryAddress.objects.filter(partner__in=partners).order_by("pk"):
        addresses.setdefault(known.partner_id, []).append(known)
    offers = _offers({a.price_list for group in agreements.values() for a in group})
    fates, weights = zip(*FATES, strict=True)
    local = timezone.get_current_timezone()

    planned: list[tuple[Order, list[OrderLine], list[OrderStatusChange]]] = []
    erp_numbers = 0
    for partner in partners:
        buyers = _buyers(partner)
        usable = [a for a in agreements.get(partner.pk, []) if offers[a.price_list]]
        if not usable:
            continue
        for _ in range(PER_YEAR.get(partner.erp_id or "", DEFAULT_PER_YEAR)):
            day = (now - timedelta(days=rng.randrange(1, DAYS))).astimezone(local).date()
            at = timezone.make_aware(
                datetime.combine(day, time(rng.randrange(8, 19), rng.randrange(60))), local
            )
            erp = not buyers or rng.random() < ERP_SHARE
            steps = order_timeline(
                rng,
                at,
                rng.choices(fates, weights=weights)[0],
                erp=erp,
                until=now,
                supplier=StatusChangeSource.STAFF,
            )
            # The main agreement mostly; another one now and then.
            agreement = usable[0] if len(usable) == 1 or rng.random() < 0.8 else rng.choice(usable)
            address = rng.choice(addresses[partner.pk]) if addresses.get(partner.pk) else None
            buyer = None if erp else rng.choice(buyers)
            status = steps[-1][0]
            erp_number = ""
            if erp:
                erp_numbers += 1
                erp_number = f"ЗК{at:%y}-{erp_numbers:05d}"
            order = Order(
                partner=partner,
                number=f"demo-{len(planned) + 1}",  # numbered by id once written
                status=status,
                source=OrderSource.ERP if erp else OrderSource.PORTAL,
                counterparty_id=agreement.counterparty_id,
                agreement=agreement,
                delivery_address=address,
                delivery_address_text=str(address or ""),
                desired_date=(at + timedelta(days=rng.randrange(2, 12))).date()
                if rng.random() < 0.5
                else None,
                comment=rng.choice(COMMENTS) if rng.random() < 0.25 else "",
                po_number=f"ЗП-{at:%Y}/{rng.randrange(1, 1000):04d}" if rng.random() < 0.4 else "",
                currency=agreement.currency,
                created_by=buyer,
                created_at=at,
                ordered_at=at,
                submitted_at=None if erp or status == OrderStatus.DRAFT else at,
                updated_at=steps[-1][1],
                erp_id=f"DEMO-ORD-{erp_numbers:05d}" if erp else None,
                erp_number=erp_number,
            )
            goods = offers[agreement.price_list]
            chosen = rng.sample(goods, min(len(goods), rng.choice((1, 2, 3, 4, 6, 8, 12, 20))))
            lines = []
            for position, offer in enumerate(chosen, start=1):
                quantity = Decimal(rng.choice(QUANTITIES))
                lines.append(
                    OrderLine(
                        variant_id=offer.variant_id,
                        position=position,
                        sku=offer.sku,
                        name=offer.name,
                        colour=offer.colour,
                        size=offer.size,
                        quantity=quantity,
                        price=offer.price,
                        amount=(offer.price * quantity).quantize(CENT, rounding=ROUND_HALF_UP),
                    )
                )
            order.total = sum((line.amount for line in lines), Decimal("0.00"))
            order.line_count = len(lines)
            changes = []
            before = ""
            for to_status, when, source in steps:
                note = ""
                if to_status == OrderStatus.CANCELLED:
                    note = rng.choice(CANCEL_NOTES)
                elif to_status == OrderStatus.REJECTED:
                    note = rng.choice(REJECT_NOTES)
                changes.append(
                    OrderStatusChange(
                        from_status=before,
                        to_status=to_status,
                        changed_at=when,
                        source=source,
                        note=note,
                        actor=buyer
                        if source == StatusChangeSource.PARTNER
                        else (partner.manager if source == StatusChangeSource.STAFF else None),
                    )
                )
                before = to_status
            planned.append((order, lines, changes))

    planned.sort(key=lambda item: item[0].ordered_at)  # numbers grow with the date
    orders = Order.objects.bulk_create([order for order, _, _ in planned], batch_size=500)
    for order in orders:
        order.number = f"{NUMBER_PREFIX}{order.pk:06d}"
    Order.objects.bulk_update(orders, ["number"], batch_size=500)
    for order, lines, changes in planned:
        for line in lines:
            line.order = order
        for change in changes:
            change.order = order
    OrderLine.objects.bulk_create([line for _, lines, _ in planned for line in lines], 1000)
    OrderStatusChange.objects.bulk_create(
        [change for _, _, changes in planned for change in changes], 1000
    )
    live = _live_orders(rng, offers)
    return {
        "orders": len(orders) + live,
        "lines": sum(len(lines) for _, lines, _ in planned),
        "status_changes": sum(len(changes) for _, _, changes in planned),
    }


def _live_orders(rng: random.Random, offers: dict[str, list[_Offer]]) -> int:
    """Two drafts and a submitted order of today, through the cart and checkout services."""
    placed = 0
    for erp_id, email, submit, po_number, comment in LIVE_ORDERS:
        partner = Partner.objects.filter(erp_id=erp_id).first()
        user = User.objects.filter(email=email).first()
        agreement = Agreement.objects.filter(partner=partner, is_main=True).first()
        if partner is None or user is None or agreement is None:
            continue
        goods = offers.get(agreement.price_list) or []
        if not goods:
            continue
        chosen = rng.sample(goods, min(len(goods), 5))
        cart_lines_add(
            partner=partner,
            user=user,
            agreement=agreement,
            quantities={offer.variant_id: Decimal(rng.choice(QUANTITIES)) for offer in chosen},
        )
        address = DeliveryAddress.objects.filter(partner=partner, is_default=True).first()
        order_place(
            partner=partner,
            user=user,
            details=OrderDetails(
                counterparty=agreement.counterparty,
                agreement=agreement,
                delivery_address=address,
                po_number=po_number,
                comment=comment,
            ),
            checkout_key=uuid.uuid4(),
            submit=submit,
        )
        placed += 1
    return placed
