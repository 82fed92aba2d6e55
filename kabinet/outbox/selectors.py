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
UNROUTED = 0  # OutboxFilters.integration_id of the messages with no integration


@dataclass(frozen=True)
class OutboxFilters:
    status: str = ""
    topic: str = ""
    partner_id: int | None = None
    # An integration's id, or UNROUTED for the messages nobody takes yet.
    integration_id: int | None = None
    before: int | None = None  # keyset cursor: the last message id of the previous page


@dataclass
class OutboxPage:
    messages: list[OutboxMessage]
    next_before: int | None


def staff_outbox_page(*, filters: OutboxFilters) -> OutboxPage:
    """Messages newest first, one keyset page (as fast deep in the list as at its top)."""
    messages: QuerySet[OutboxMessage] = OutboxMessage.objects.select_related(
        "partner", "integration"
    )
    if filters.status:
        messages = messages.filter(status=filters.status)
    if filters.topic:
        messages = messages.filter(topic=filters.topic)
    if filters.partner_id:
        messages = messages.filter(partner_id=filters.partner_id)
    if filters.integration_id == UNROUTED:
        messages = messages.filter(integration__isnull=True)
    elif filters.integration_id:
        messages = messages.filter(integration_id=filters.integration_id)
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
    message = OutboxMessage.objects.select_related("partner", "integration").get(pk=message_id)
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


# Which copy the order's state is that of: a failed one first (staff must act), then a
# delivered one (the supplier has the order), then a waiting one.
_SHOWN_FIRST = (MessageStatus.FAILED, MessageStatus.DELIVERED, MessageStatus.PENDING)
_STATE_OF = {
    MessageStatus.PENDING: SyncState.WAITING,
    MessageStatus.DELIVERED: SyncState.SENT,
    MessageStatus.FAILED: SyncState.FAILED,
}


@dataclass(frozen=True)
class OrderSync:
    state: str
    message: OutboxMessage | None  # the delivery the state is that of
    erp_number: str = ""
    # Every integration's delivery of the order, for staff (integration preloaded).
    deliveries: tuple[OutboxMessage, ...] = ()

    @property
    def label(self) -> str:
        return str(SYNC_LABELS[self.state])


def order_sync_state(*, order: Order) -> OrderSync | None:
    """Where the order stands with the ERPs; None when no ERP was ever to hear of it (a
    draft, an order that came from the ERP). One query.

    Each integration gets its own copy of the order (outbox routing). Over the active
    integrations' latest copies: failed if one failed (the supplier retries it), else sent
    if one has it (the supplier has the order, though a 1C that has not asked yet may
    not), else waiting. Staff see each copy (`deliveries`). A switched-off integration's
    copy counts only when there is no other."""
    if order.erp_number:
        return OrderSync(SyncState.ACCEPTED, None, order.erp_number)
    if order.is_draft or order.from_erp:
        return None  # no query: the ERP is never told of these
    messages = (
        OutboxMessage.objects.filter(
            object_type="order", object_id=str(order.pk), topic=Topic.ORDER_SUBMITTED
        )
        .select_related("integration")
        .defer("payload", "integration__password", "integration__outbound_secret")
        .order_by("-pk")
    )
    latest: dict[int | None, OutboxMessage] = {}
    for message in messages:
        latest.setdefault(message.integration_id, message)
    if not latest:
        return None
    deliveries = tuple(sorted(latest.values(), key=lambda m: m.pk))
    counted = [m for m in deliveries if m.integration is None or m.integration.is_active] or list(
        deliveries
    )
    shown = min(counted, key=lambda m: (_SHOWN_FIRST.index(MessageStatus(m.status)), m.pk))
    return OrderSync(_STATE_OF[MessageStatus(shown.status)], shown, deliveries=deliveries)
