"""Reading the outbox: the staff pages' lists and an order's sync state. Staff-only
selectors are named so; the sync state takes the order, already fetched for its partner."""

from dataclasses import dataclass

from django.db.models import Count, QuerySet
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from kabinet.orders.models import Order
from kabinet.outbox.models import DeliveryAttempt, MessageStatus, OutboxMessage, Topic

OUTBOX_PAGE_SIZE = 50
MAX_ID = 2**63 - 1


@dataclass(frozen=True)
class OutboxFilters:
    status: str = ""
    topic: str = ""
    partner_id: int | None = None
    before: int | None = None  # keyset cursor: the last message id of the previous page


@dataclass
class OutboxPage:
    messages: list[OutboxMessage]
    next_before: int | None


def staff_outbox_page(*, filters: OutboxFilters) -> OutboxPage:
    """Messages newest first, one keyset page (as fast deep in the list as at its top)."""
    messages: QuerySet[OutboxMessage] = OutboxMessage.objects.select_related("partner")
    if filters.status:
        messages = messages.filter(status=filters.status)
    if filters.topic:
        messages = messages.filter(topic=filters.topic)
    if filters.partner_id:
        messages = messages.filter(partner_id=filters.partner_id)
    if filters.before:
        messages = messages.filter(pk__lt=filters.before)
    rows = list(messages.defer("payload").order_by("-pk")[: OUTBOX_PAGE_SIZE + 1])
    more = len(rows) > OUTBOX_PAGE_SIZE
    rows = rows[:OUTBOX_PAGE_SIZE]
    return OutboxPage(rows, rows[-1].pk if more else None)


def staff_outbox_counts() -> dict[str, int]:
    counts = dict(
        OutboxMessage.objects.order_by()
        .values_list("status")
        .annotate(n=Count("pk"))
        .values_list("status", "n")
    )
    return {status: counts.get(status, 0) for status in MessageStatus.values}


def staff_outbox_message(*, message_id: int) -> tuple[OutboxMessage, list[DeliveryAttempt]]:
    """A message and its attempts, newest first; OutboxMessage.DoesNotExist otherwise."""
    message = OutboxMessage.objects.select_related("partner").get(pk=message_id)
    attempts = list(DeliveryAttempt.objects.filter(message=message).order_by("-pk")[:200])
    return message, attempts


class SyncState:
    WAITING = "waiting"
    SENT = "sent"
    FAILED = "failed"
    ACCEPTED = "accepted"


SYNC_LABELS: dict[str, Promise] = {
    SyncState.WAITING: _("waiting to be sent"),
    SyncState.SENT: _("sent to the ERP"),
    SyncState.FAILED: _("failed — the supplier will retry"),
    SyncState.ACCEPTED: _("accepted by the ERP"),
}


@dataclass(frozen=True)
class OrderSync:
    state: str
    message: OutboxMessage | None
    erp_number: str = ""

    @property
    def label(self) -> str:
        return str(SYNC_LABELS[self.state])


def order_sync_state(*, order: Order) -> OrderSync | None:
    """Where the order stands with the ERP; None when the ERP was never to hear of it (a
    draft, an order that came from the ERP). One query."""
    if order.erp_number:
        return OrderSync(SyncState.ACCEPTED, None, order.erp_number)
    if order.is_draft or order.from_erp:
        return None  # no query: the ERP is never told of these
    message = (
        OutboxMessage.objects.filter(
            object_type="order", object_id=str(order.pk), topic=Topic.ORDER_SUBMITTED
        )
        .defer("payload")
        .order_by("-pk")
        .first()
    )
    if message is None:
        return None
    state = {
        MessageStatus.PENDING: SyncState.WAITING,
        MessageStatus.DELIVERED: SyncState.SENT,
        MessageStatus.FAILED: SyncState.FAILED,
    }[MessageStatus(message.status)]
    return OrderSync(state, message)
