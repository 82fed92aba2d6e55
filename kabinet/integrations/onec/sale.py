"""`type=sale`: orders to 1C and their statuses back.

- `mode=query`: the orders this 1C integration's outbox messages have pending news of
  (topics order.submitted and order.cancelled: the only ones a 1C integration is sent) as
  CommerceML documents. The messages answered are remembered in the exchange session.
- `mode=success`: 1C loaded them: those messages are delivered (never sent again). Another
  integration's copies of the same news are its own business.
- `mode=file`: 1C's documents with the orders' state (ЗначенияРеквизитов «Статус заказа»,
  «Проведен», «Отменен»…) move each order through the `orders.statuses` transitions, step
  by step along the flow (submitted → accepted → in assembly → shipped → closed), never
  backwards; an order already there is left alone.
"""

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from django.conf import settings
from django.db import transaction
from django.db.models import Prefetch
from django.utils import timezone
from django.utils.translation import gettext as _

from kabinet.accounts.audit import audit_record
from kabinet.accounts.models import AuditKind
from kabinet.integrations.models import ORDER_TOPICS, Integration
from kabinet.integrations.onec import commerceml
from kabinet.orders.models import Order, OrderLine, OrderStatus, StatusChangeSource
from kabinet.orders.statuses import STAFF_TRANSITIONS, TRANSITIONS, TransitionRefused
from kabinet.outbox.models import MessageStatus, OutboxMessage

logger = logging.getLogger(__name__)

# 1C's view of an order's state, by the words its statuses use (УТ 11 and Bitrix sites).
# Checked in this order: the first match wins; «на согласовании» is not yet accepted.
STATUS_WORDS: tuple[tuple[str, str | None], ...] = (
    ("на согласовании", None),
    ("отклон", OrderStatus.REJECTED),
    ("отмен", OrderStatus.CANCELLED),
    ("к выполнению", OrderStatus.IN_ASSEMBLY),  # before «выполнен», which it contains
    ("закрыт", OrderStatus.CLOSED),
    ("выполнен", OrderStatus.CLOSED),
    ("отгруж", OrderStatus.SHIPPED),
    ("доставк", OrderStatus.SHIPPED),
    ("сборк", OrderStatus.IN_ASSEMBLY),
    ("в работе", OrderStatus.IN_ASSEMBLY),
    ("к обеспечению", OrderStatus.ACCEPTED),
    ("согласован", OrderStatus.ACCEPTED),
    ("принят", OrderStatus.ACCEPTED),
)
FLOW = (
    OrderStatus.SUBMITTED,
    OrderStatus.ACCEPTED,
    OrderStatus.IN_ASSEMBLY,
    OrderStatus.SHIPPED,
    OrderStatus.CLOSED,
)
_TRUE = {"true", "1", "да", "yes"}


# --- query and success ------------------------------------------------------------------------


def pending_messages(integration: Integration, limit: int) -> list[OutboxMessage]:
    return list(
        OutboxMessage.objects.filter(
            integration=integration,
            status=MessageStatus.PENDING,
            topic__in=ORDER_TOPICS,
            object_type="order",
        ).order_by("pk")[:limit]
    )


def _variant_id(line: OrderLine) -> str:
    variant = line.variant
    if variant is None or not variant.erp_id:
        return line.sku
    product_id = variant.product.erp_id
    if not product_id or variant.erp_id == product_id:
        return str(variant.erp_id)
    return f"{product_id}#{variant.erp_id}"


def _document(order: Order) -> commerceml.Document:
    counterparty = order.counterparty
    lines = [
        commerceml.DocumentLine(
            erp_id=_variant_id(line),
            sku=line.sku,
            name=line.name,
            quantity=line.quantity,
            price=line.price,
            amount=line.amount,
            characteristics={
                name: value
                for name, value in (("Цвет", line.colour), ("Размер", line.size))
                if value
            },
        )
        for line in order.lines.all()
    ]
    cancelled = order.status == OrderStatus.CANCELLED
    requisites = {
        "Статус заказа": str(OrderStatus(order.status).label),
        "Отменен": "true" if cancelled else "false",
        "Партнер": order.partner.name,
        "Ид партнера": order.partner.erp_id or f"kabinet-partner-{order.partner_id}",
        "Соглашение": order.agreement.number if order.agreement else "",
        "Адрес доставки": order.delivery_address_text,
        "Желаемая дата доставки": order.desired_date.isoformat() if order.desired_date else "",
        "Номер по данным клиента": order.po_number,
        "Дата изменения статуса": timezone.localtime(order.updated_at).strftime(
            "%Y-%m-%dT%H:%M:%S"
        ),
        "Сайт": "Kabinet",
    }
    return commerceml.Document(
        number=order.number,
        at=timezone.localtime(order.submitted_at or order.ordered_at),
        currency=order.currency,
        total=order.total,
        counterparty=commerceml.Counterparty(
            erp_id=counterparty.erp_id or f"kabinet-counterparty-{counterparty.pk}",
            name=counterparty.name,
            tax_id=counterparty.tax_id,
            kpp=counterparty.kpp,
            address=counterparty.legal_address,
        ),
        lines=lines,
        comment=order.comment,
        requisites={name: value for name, value in requisites.items() if value},
    )


def orders_query(*, integration: Integration, limit: int | None = None) -> tuple[bytes, list[int]]:
    """The CommerceML of the orders with pending messages to `integration`, and those
    messages' ids."""
    messages = pending_messages(integration, limit or int(settings.ONEC_QUERY_LIMIT))
    order_ids = {int(m.object_id) for m in messages if m.object_id.isdigit()}
    orders = (
        Order.objects.filter(pk__in=order_ids)
        .select_related("partner", "counterparty", "agreement")
        .prefetch_related(
            Prefetch(
                "lines",
                queryset=OrderLine.objects.select_related("variant__product").order_by(
                    "position", "pk"
                ),
            )
        )
        .order_by("pk")
    )
    documents = [_document(order) for order in orders]
    body = commerceml.write_orders(
        documents, now=timezone.localtime(), encoding=settings.ONEC_ENCODING
    )
    return body, [m.pk for m in messages]


@transaction.atomic
def orders_acknowledge(*, integration: Integration, message_ids: Iterable[int]) -> int:
    """1C loaded the last query's orders: their messages are delivered."""
    now = timezone.now()
    delivered = OutboxMessage.objects.filter(
        pk__in=list(message_ids), integration=integration, status=MessageStatus.PENDING
    ).update(status=MessageStatus.DELIVERED, delivered_at=now, last_error="")
    if delivered:
        audit_record(
            AuditKind.ERP_EXCHANGE,
            source=f"integration:{integration.name}",
            entity="orders_to_1c",
            counts={"delivered": delivered},
        )
    return delivered


# --- statuses from 1C ------------------------------------------------------------------------


def target_status(requisites: dict[str, str]) -> str | None:
    """The status 1C's requisites stand for, or None when they say nothing we act on."""
    lowered = {name.strip().lower(): value.strip() for name, value in requisites.items()}
    if lowered.get("отменен", "").lower() in _TRUE:
        return OrderStatus.CANCELLED
    status = (lowered.get("статус заказа") or lowered.get("статус") or "").lower()
    for word, target in STATUS_WORDS:
        if word in status:
            return target
    if lowered.get("проведен", "").lower() in _TRUE:
        return OrderStatus.ACCEPTED
    return None


def _path(current: str, target: str) -> list[str] | None:
    """The steps from `current` to `target`; [] when already there or beyond; None when
    the flow does not allow it (e.g. a closed order cannot be cancelled)."""
    if current == target:
        return []
    if target in (OrderStatus.CANCELLED, OrderStatus.REJECTED):
        return [target] if current in TRANSITIONS[target] else None
    if current not in FLOW or target not in FLOW:
        return None
    here, there = FLOW.index(current), FLOW.index(target)
    if there <= here:
        return []
    steps: list[str] = [str(step) for step in FLOW[here + 1 : there + 1]]
    # Straight to shipped from accepted is allowed: no need to pass «in assembly».
    if OrderStatus.IN_ASSEMBLY in steps and target != OrderStatus.IN_ASSEMBLY:
        steps.remove(OrderStatus.IN_ASSEMBLY)
    return steps


@dataclass
class StatusReport:
    changed: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def summary(self) -> str:
        lines = [
            _("orders: changed %(changed)d, unchanged %(unchanged)d, errors %(errors)d")
            % {
                "changed": len(self.changed),
                "unchanged": len(self.unchanged),
                "errors": len(self.errors),
            }
        ]
        return "\n".join([*lines, *self.errors[:20]])


def _find(update: commerceml.OrderUpdate) -> Order | None:
    for number in (update.site_number, update.erp_id, update.number):
        if number:
            order = Order.objects.filter(number=number).only("pk", "status", "number").first()
            if order is not None:
                return order
    return None


def statuses_apply(*, updates: Iterable[commerceml.OrderUpdate], source: str) -> StatusReport:
    """Each order's state as 1C says, through the transition services, one order per
    transaction (one refused step leaves the others applied)."""
    report = StatusReport()
    for update in updates:
        label = update.site_number or update.erp_id or update.number
        order = _find(update)
        if order is None:
            report.errors.append(_("order %(number)s: not found") % {"number": label})
            continue
        target = target_status(update.requisites)
        steps = _path(order.status, target) if target else []
        if steps is None:
            report.errors.append(
                _("order %(number)s: cannot go from %(from)s to %(to)s")
                % {"number": order.number, "from": order.status, "to": target}
            )
            continue
        if not steps:
            report.unchanged.append(order.number)
            continue
        try:
            with transaction.atomic():
                for step in steps:
                    transition: Callable[..., Order] = STAFF_TRANSITIONS[step]
                    # ERP-driven: no person; the note says which integration moved it.
                    transition(
                        order_id=order.pk,
                        actor=None,
                        note=source,
                        source=StatusChangeSource.ERP,
                    )
        except TransitionRefused as error:
            report.errors.append(f"{order.number}: {error}")
            continue
        report.changed.append(order.number)
    return report
