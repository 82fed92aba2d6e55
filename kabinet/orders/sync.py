"""Orders and order statuses from the ERP (ORD6, ORD7, ORD8): bulk, idempotent, by ERP id.

`orders_upsert` brings the ERP's orders in (history included), marked `source=erp`, and
links a portal order the ERP acknowledges (our `number` plus its id and number) instead of
doubling it. `order_statuses_apply` lets the ERP drive the status flow through the same
transition services staff use (`orders.statuses`), with their guards.

Messages may come twice or out of order (R17). Every status carries the ERP's version: its
change time and, within the same time, a sequence number. The order keeps the version of
the last status the ERP set; an older message is answered `stale`, a repeat `unchanged`,
and neither writes anything.
"""

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Literal

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from kabinet.catalog.models import Variant
from kabinet.orders.models import (
    Order,
    OrderLine,
    OrderSource,
    OrderStatus,
    OrderStatusChange,
    StatusChangeSource,
)
from kabinet.orders.statuses import STAFF_TRANSITIONS, TRANSITIONS, TransitionRefused
from kabinet.partners.models import Agreement, Counterparty, DeliveryAddress, Partner
from kabinet.partners.sync import (
    BatchOutcome,
    ItemOutcome,
    ItemRefused,
    counterparty_check,
    record_exchange,
)

CENT = Decimal("0.01")
ERP_NUMBER_PREFIX = "E-"

type Version = tuple[datetime, int]


@dataclass(frozen=True)
class OrderLineData:
    quantity: Decimal
    price: Decimal
    amount: Decimal
    variant_erp_id: str | None = None  # the variant by ERP id, or else by SKU
    sku: str | None = None


@dataclass(frozen=True)
class OrderData:
    erp_id: str
    erp_number: str
    partner_erp_id: str
    counterparty_erp_id: str
    ordered_at: datetime
    status: str
    currency: str
    total: Decimal
    lines: tuple[OrderLineData, ...]
    number: str | None = None  # ours: the ERP acknowledges an order placed in the portal
    agreement_erp_id: str | None = None
    delivery_address_erp_id: str | None = None
    # The version of `status` (R17); without a time, the document date stands for it.
    status_changed_at: datetime | None = None
    status_sequence: int = 0
    # None leaves what the order has (a portal order keeps what the partner wrote).
    comment: str | None = None
    po_number: str | None = None
    desired_date: date | None = None


@dataclass(frozen=True)
class OrderStatusData:
    status: str
    changed_at: datetime
    sequence: int = 0
    erp_id: str | None = None  # the order by the ERP's id, or else by our number
    number: str | None = None
    note: str = ""

    @property
    def key(self) -> str:
        return self.erp_id or self.number or ""


def _fail(index: int, erp_id: str, code: str, message: str) -> ItemOutcome:
    return ItemOutcome(index, erp_id, "error", code, message)


def decimal_fits(value: Decimal, *, places: int, max_digits: int, positive: bool = False) -> bool:
    """Whether an amount or quantity from the ERP fits its column exactly: not negative
    (above zero when `positive`), at most `places` decimal places (trailing zeros aside)
    and `max_digits` digits in all. The API takes any JSON number, so this is checked
    here, per item, and never rounded."""
    if not value.is_finite() or value < 0 or (positive and value == 0):
        return False
    if value >= Decimal(10) ** (max_digits - places):
        return False
    return value == value.quantize(Decimal(10) ** -places)


def _number_problem(name: str, value: Decimal, places: int, max_digits: int) -> str:
    return _(
        "%(name)s %(value)s: at most %(digits)d digits before the point and %(places)d after."
    ) % {
        "name": name,
        "value": value,
        "places": places,
        "digits": max_digits - places,
    }


type StatusStep = Literal["apply", "same", "stale", "refused"]


def _status_step(order: Order, status: str, version: Version) -> StatusStep:
    """What a status message of this version does to the order, deciding without writing:
    `same` (the order has it already), `stale` (the ERP set a newer one), `refused` (the
    state machine has no such step from here) or `apply`."""
    if order.erp_status_changed_at is not None:
        last = (order.erp_status_changed_at, order.erp_status_sequence)
        if version < last or (version == last and status != order.status):
            return "stale"
    if status == order.status:
        return "same"
    transition = STAFF_TRANSITIONS.get(status)
    if transition is None:
        return "refused"
    return "apply" if order.status in TRANSITIONS[status] else "refused"


def _refused(index: int, key: str, order: Order, status: str) -> ItemOutcome:
    reason = str(TransitionRefused(order, status))
    return _fail(
        index,
        key,
        "transition_refused",
        _("Current status: %(status)s. %(reason)s") % {"status": order.status, "reason": reason},
    )


def _stale(index: int, key: str, order: Order) -> ItemOutcome:
    return ItemOutcome(
        index,
        key,
        "unchanged",
        "stale",
        _("The ERP set a newer status already (current status: %(status)s).")
        % {"status": order.status},
    )


def _status_set(order: Order, status: str, version: Version, note: str = "") -> Order:
    """Move the order by the transition service of `status` as the ERP (`_status_step`
    said `apply`); the version is stored in the same update. The order as it is now."""
    return STAFF_TRANSITIONS[status](
        order_id=order.pk,
        actor=None,
        source=StatusChangeSource.ERP,
        note=note,
        erp_version=version,
    )


def _version_keep(order: Order, version: Version) -> None:
    """The ERP confirmed the status the order has, with a newer version: remember it, so a
    message older than this one is stale."""
    if (order.erp_status_changed_at, order.erp_status_sequence) != version:
        Order.objects.filter(pk=order.pk).update(
            erp_status_changed_at=version[0], erp_status_sequence=version[1]
        )
        order.erp_status_changed_at, order.erp_status_sequence = version


def _orders_locked(
    erp_ids: set[str], numbers: set[str]
) -> tuple[dict[str, Order], dict[str, Order]]:
    """The orders named by ERP id or by our number, locked; drafts are the partners' own
    and invisible to the ERP."""
    orders = list(
        Order.objects.select_for_update()
        .filter(Q(erp_id__in=erp_ids) | Q(number__in=numbers))
        .exclude(status=OrderStatus.DRAFT)
        .order_by("pk")
    )
    by_erp_id = {order.erp_id: order for order in orders if order.erp_id}
    by_number = {order.number: order for order in orders}
    return by_erp_id, by_number


@transaction.atomic
def order_statuses_apply(*, items: Sequence[OrderStatusData], source: str) -> BatchOutcome:
    """Apply the ERP's status messages in the order given, each through its transition
    service (see the module docstring for versions). A step the state machine refuses is
    answered `transition_refused` with the current status, and changes nothing."""
    outcome = BatchOutcome()
    by_erp_id, by_number = _orders_locked(
        {item.erp_id for item in items if item.erp_id},
        {item.number for item in items if item.number and not item.erp_id},
    )
    for index, item in enumerate(items):
        order = by_erp_id.get(item.erp_id) if item.erp_id else by_number.get(item.number or "")
        if order is None:
            outcome.add(
                _fail(index, item.key, "unknown_order", _("No order with this ERP id or number."))
            )
            continue
        version = (item.changed_at, item.sequence)
        step = _status_step(order, item.status, version)
        if step == "stale":
            outcome.add(_stale(index, item.key, order))
        elif step == "refused":
            outcome.add(_refused(index, item.key, order, item.status))
        elif step == "same":
            _version_keep(order, version)
            outcome.add(ItemOutcome(index, item.key, "unchanged"))
        else:
            moved = _status_set(order, item.status, version, item.note)
            # The same object is found by ERP id and by number: keep it current for the
            # batch's later messages.
            order.status = moved.status
            order.erp_status_changed_at = moved.erp_status_changed_at
            order.erp_status_sequence = moved.erp_status_sequence
            outcome.add(ItemOutcome(index, item.key, "updated"))
    record_exchange(source, "order_statuses", outcome)
    return outcome


# --- Orders --------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Refs:
    partners: dict[str, Partner]
    counterparties: dict[str, Counterparty]
    agreements: dict[str, Agreement]
    addresses: dict[str, DeliveryAddress]
    variants_by_erp_id: dict[str, Variant]
    variants_by_sku: dict[str, Variant]


def _refs(items: Sequence[OrderData]) -> _Refs:
    """Everything the batch names, read in one query per kind."""

    def by_erp_id[M: (Partner, Counterparty, Agreement, DeliveryAddress)](
        model: type[M], erp_ids: set[str]
    ) -> dict[str, M]:
        return {obj.erp_id: obj for obj in model.objects.filter(erp_id__in=erp_ids) if obj.erp_id}

    lines = [line for item in items for line in item.lines]
    variant_ids = {line.variant_erp_id for line in lines if line.variant_erp_id}
    skus = {line.sku for line in lines if line.sku}
    variants = list(
        Variant.objects.filter(Q(erp_id__in=variant_ids) | Q(sku__in=skus)).select_related(
            "product"
        )
    )
    return _Refs(
        partners=by_erp_id(Partner, {item.partner_erp_id for item in items}),
        counterparties=by_erp_id(Counterparty, {item.counterparty_erp_id for item in items}),
        agreements=by_erp_id(
            Agreement, {item.agreement_erp_id for item in items if item.agreement_erp_id}
        ),
        addresses=by_erp_id(
            DeliveryAddress,
            {item.delivery_address_erp_id for item in items if item.delivery_address_erp_id},
        ),
        variants_by_erp_id={v.erp_id: v for v in variants if v.erp_id},
        variants_by_sku={v.sku: v for v in variants},
    )


@dataclass(frozen=True)
class _Resolved:
    partner: Partner
    counterparty: Counterparty
    agreement: Agreement | None
    address: DeliveryAddress | None
    lines: list[OrderLine]  # unsaved, without the order


def _resolve(item: OrderData, refs: _Refs) -> _Resolved:
    """The item's references, checked to exist and to belong together, and its lines with
    amounts and total checked; ItemRefused says what is wrong."""
    partner = refs.partners.get(item.partner_erp_id)
    if partner is None:
        raise ItemRefused("unknown_partner", _("No partner with this ERP id."))
    counterparty = counterparty_check(refs.counterparties.get(item.counterparty_erp_id), partner)
    agreement: Agreement | None = None
    if item.agreement_erp_id:
        agreement = refs.agreements.get(item.agreement_erp_id)
        if agreement is None:
            raise ItemRefused("unknown_agreement", _("No agreement with this ERP id."))
        if agreement.partner_id != partner.pk or agreement.counterparty_id != counterparty.pk:
            raise ItemRefused(
                "agreement_of_other_counterparty",
                _("The agreement is not one of the order's counterparty."),
            )
    address: DeliveryAddress | None = None
    if item.delivery_address_erp_id:
        address = refs.addresses.get(item.delivery_address_erp_id)
        if address is None:
            raise ItemRefused(
                "unknown_delivery_address", _("No delivery address with this ERP id.")
            )
        if address.partner_id != partner.pk:
            raise ItemRefused(
                "address_of_other_partner", _("The delivery address belongs to another partner.")
            )
    lines: list[OrderLine] = []
    total = Decimal("0.00")
    if not decimal_fits(item.total, places=2, max_digits=16):
        raise ItemRefused("bad_number", _number_problem("total", item.total, 2, 16))
    for position, line in enumerate(item.lines, start=1):
        for name, value, places, digits, positive in (
            ("quantity", line.quantity, 3, 12, True),
            ("price", line.price, 2, 12, False),
            ("amount", line.amount, 2, 16, False),
        ):
            if not decimal_fits(value, places=places, max_digits=digits, positive=positive):
                raise ItemRefused(
                    "bad_number",
                    _("Line %(line)d: %(problem)s")
                    % {"line": position, "problem": _number_problem(name, value, places, digits)},
                )
        variant = refs.variants_by_erp_id.get(line.variant_erp_id or "")
        if variant is None and line.sku:
            variant = refs.variants_by_sku.get(line.sku)
        if variant is None:
            raise ItemRefused(
                "unknown_variant",
                _("Line %(line)d: no goods with ERP id or SKU %(code)s.")
                % {"line": position, "code": line.variant_erp_id or line.sku or "—"},
            )
        expected = (line.quantity * line.price).quantize(CENT, rounding=ROUND_HALF_UP)
        if line.amount != expected:
            raise ItemRefused(
                "bad_amount",
                _("Line %(line)d: %(quantity)s × %(price)s is %(expected)s, not %(amount)s.")
                % {
                    "line": position,
                    "quantity": line.quantity.normalize(),
                    "price": line.price,
                    "expected": expected,
                    "amount": line.amount,
                },
            )
        total += line.amount
        lines.append(
            OrderLine(
                variant=variant,
                position=position,
                sku=variant.sku,
                name=variant.product.name,
                colour=variant.colour,
                size=variant.size,
                quantity=line.quantity,
                price=line.price,
                amount=line.amount,
            )
        )
    if total != item.total:
        raise ItemRefused(
            "bad_total",
            _("The lines add up to %(sum)s, not %(total)s.") % {"sum": total, "total": item.total},
        )
    return _Resolved(partner, counterparty, agreement, address, lines)


def _line_key(line: OrderLine) -> tuple[object, ...]:
    return (line.variant_id, line.position, line.quantity, line.price, line.amount)


def _order_values(item: OrderData, resolved: _Resolved, order: Order | None) -> dict[str, object]:
    """The order's fields as the ERP has them. What the item leaves out (None) stays as the
    order has it; a portal order keeps its placing date."""
    values: dict[str, object] = {
        "erp_id": item.erp_id,
        "erp_number": item.erp_number,
        "counterparty_id": resolved.counterparty.pk,
        "currency": item.currency,
        "total": item.total,
        "line_count": len(resolved.lines),
    }
    if order is None or order.source == OrderSource.ERP:
        values["ordered_at"] = item.ordered_at
    if resolved.agreement is not None or order is None:
        values["agreement_id"] = resolved.agreement.pk if resolved.agreement else None
    if resolved.address is not None or order is None:
        values["delivery_address_id"] = resolved.address.pk if resolved.address else None
        values["delivery_address_text"] = str(resolved.address or "")
    for name in ("comment", "po_number"):
        if getattr(item, name) is not None or order is None:
            values[name] = getattr(item, name) or ""
    if item.desired_date is not None or order is None:
        values["desired_date"] = item.desired_date
    return values


def _orders_create(new: Sequence[tuple[OrderData, _Resolved, Version]]) -> None:
    """Insert the batch's new orders, their lines and first history rows in a few bulk
    statements (an import of the ERP's history is thousands of orders)."""
    orders = [
        Order(
            partner=resolved.partner,
            number=f"new-{uuid.uuid4()}",
            source=OrderSource.ERP,
            status=item.status,
            submitted_at=item.ordered_at,
            erp_status_changed_at=version[0],
            erp_status_sequence=version[1],
            **_order_values(item, resolved, None),
        )
        for item, resolved, version in new
    ]
    Order.objects.bulk_create(orders, batch_size=500)
    for order in orders:
        # Our number for an order made in the ERP: its own series, never a portal one.
        order.number = f"{ERP_NUMBER_PREFIX}{order.pk:06d}"
    Order.objects.bulk_update(orders, ["number"], batch_size=500)
    lines: list[OrderLine] = []
    history: list[OrderStatusChange] = []
    for order, (item, resolved, _version) in zip(orders, new, strict=True):
        for line in resolved.lines:
            line.order = order
            lines.append(line)
        # The status it came with starts its history (as it would have, had it begun here).
        history.append(
            OrderStatusChange(
                order=order, from_status="", to_status=item.status, source=StatusChangeSource.ERP
            )
        )
    OrderLine.objects.bulk_create(lines, batch_size=1000)
    OrderStatusChange.objects.bulk_create(history, batch_size=1000)


def _order_update(
    order: Order, item: OrderData, resolved: _Resolved, current_lines: list[OrderLine]
) -> bool:
    """Write what differs; True when anything did."""
    values = _order_values(item, resolved, order)
    changed = [name for name, value in values.items() if getattr(order, name) != value]
    if changed:
        Order.objects.filter(pk=order.pk).update(**values, updated_at=timezone.now())
    if [_line_key(line) for line in current_lines] != [_line_key(line) for line in resolved.lines]:
        OrderLine.objects.filter(order=order).delete()
        for line in resolved.lines:
            line.order = order
        OrderLine.objects.bulk_create(resolved.lines)
        changed.append("lines")
    return bool(changed)


@transaction.atomic
def orders_upsert(*, items: Sequence[OrderData], source: str) -> BatchOutcome:
    """Create or update orders by ERP id (see the module docstring). An item is refused
    whole, and nothing of it changes, when a reference is unknown or another partner's, a
    line's amount or the total does not add up, or the status cannot be reached."""
    outcome = BatchOutcome()
    seen: set[str] = set()
    unique: list[tuple[int, OrderData]] = []
    for index, item in enumerate(items):
        if item.erp_id in seen:
            outcome.add(
                _fail(index, item.erp_id, "duplicate_key", _("The same ERP id twice in one batch."))
            )
            continue
        seen.add(item.erp_id)
        unique.append((index, item))
    refs = _refs([item for _, item in unique])
    by_erp_id, by_number = _orders_locked(
        {item.erp_id for _, item in unique}, {item.number for _, item in unique if item.number}
    )
    existing_ids = [order.pk for order in {*by_erp_id.values(), *by_number.values()}]
    current_lines: dict[int, list[OrderLine]] = {}
    for line in OrderLine.objects.filter(order_id__in=existing_ids).order_by("position", "pk"):
        current_lines.setdefault(line.order_id, []).append(line)

    new: list[tuple[OrderData, _Resolved, Version]] = []
    for index, item in unique:
        try:
            resolved = _resolve(item, refs)
            order = _order_found(item, by_erp_id, by_number)
        except ItemRefused as refused:
            outcome.add(_fail(index, item.erp_id, refused.code, refused.message))
            continue
        if order is not None and order.partner_id != resolved.partner.pk:
            outcome.add(
                _fail(
                    index,
                    item.erp_id,
                    "partner_mismatch",
                    _("This order belongs to another partner; it cannot move."),
                )
            )
            continue
        version = (item.status_changed_at or item.ordered_at, item.status_sequence)
        if order is None:
            new.append((item, resolved, version))
            outcome.add(ItemOutcome(index, item.erp_id, "created"))
            continue
        step = _status_step(order, item.status, version)
        if step == "refused":
            outcome.add(_refused(index, item.erp_id, order, item.status))
            continue
        changed = _order_update(order, item, resolved, current_lines.get(order.pk, []))
        if step == "apply":
            _status_set(order, item.status, version)
            changed = True
        elif step == "same":
            _version_keep(order, version)
        outcome.add(ItemOutcome(index, item.erp_id, "updated" if changed else "unchanged"))
    _orders_create(new)
    outcome.items.sort(key=lambda item: item.index)
    record_exchange(source, "orders", outcome)
    return outcome


def _order_found(
    item: OrderData, by_erp_id: dict[str, Order], by_number: dict[str, Order]
) -> Order | None:
    """The order the item is: by ERP id, or the portal order it acknowledges by our number;
    None for a new one."""
    order = by_erp_id.get(item.erp_id)
    if item.number:
        acknowledged = by_number.get(item.number)
        if acknowledged is None:
            raise ItemRefused("unknown_order", _("No order with this number."))
        if order is not None and order.pk != acknowledged.pk:
            raise ItemRefused(
                "erp_id_mismatch", _("This ERP id belongs to another order than this number.")
            )
        if acknowledged.erp_id and acknowledged.erp_id != item.erp_id:
            raise ItemRefused("erp_id_mismatch", _("The order has another ERP id already."))
        order = acknowledged
    return order
