"""Writing outbox messages. Only domain services call `outbox_write`, inside their own
transaction: the message commits or rolls back with the change it announces.

The outbox reads the `Integration` model (the addressees) and nothing else of
`integrations`: that model imports only the outbox's own models, so there is no cycle, and
delivering (the relay, HTTP) stays in `integrations`, reached through OUTBOX_RELAY_WAKE."""

import uuid
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.module_loading import import_string

from kabinet.accounts.audit import audit_record
from kabinet.accounts.models import AuditKind, User
from kabinet.integrations.models import Integration
from kabinet.outbox.models import (
    AttemptOutcome,
    DeliveryAttempt,
    MessageStatus,
    OutboxMessage,
    Topic,
)
from kabinet.partners.models import Partner


class OutboxOutsideTransaction(RuntimeError):
    """outbox_write was called outside a transaction: the change and its message could part."""


def outbox_write(
    *,
    topic: Topic,
    object_type: str,
    object_id: int | str,
    payload: dict[str, Any],
    partner: Partner | None = None,
) -> list[OutboxMessage]:
    """One message per active integration that takes `topic`, each with its own key; one
    unrouted message when none does (it waits for the first that will)."""
    if not transaction.get_connection().in_atomic_block:
        raise OutboxOutsideTransaction(topic)
    addressees: list[int | None] = list(
        Integration.objects.receiving(topic).values_list("pk", flat=True)
    )
    messages = OutboxMessage.objects.bulk_create(
        [
            OutboxMessage(
                topic=topic,
                integration_id=integration_id,
                object_type=object_type,
                object_id=str(object_id),
                payload=payload,
                partner=partner,
            )
            for integration_id in addressees or [None]
        ]
    )
    # The relay is woken once the change is committed; the scheduler's periodic run picks up
    # anything a lost wake-up left behind.
    transaction.on_commit(_relay_wake)
    return messages


@transaction.atomic
def outbox_route_unrouted() -> int:
    """Hand each unrouted message to the oldest active integration that takes its topic, in
    the caller's transaction (an integration is created or activated); how many moved.

    Only a message written while nobody took its topic is unrouted, so the integration just
    created or activated is the one that gets them. The relay's periodic run calls this
    too, for a message whose transaction began before such an integration committed."""
    unrouted = OutboxMessage.objects.filter(integration__isnull=True)
    topics = set(unrouted.order_by().values_list("topic", flat=True).distinct())
    if not topics:
        return 0
    moved = 0
    active = list(Integration.objects.filter(is_active=True).order_by("pk"))
    for topic in sorted(topics):
        taker = next((integration for integration in active if integration.takes(topic)), None)
        if taker is not None:
            moved += unrouted.filter(topic=topic).update(integration=taker)
    if moved:
        transaction.on_commit(_relay_wake)
    return moved


def _relay_wake() -> None:
    # A settings hook, not an import: integrations depend on the outbox, not the reverse.
    hook = getattr(settings, "OUTBOX_RELAY_WAKE", "")
    if hook:
        import_string(hook)()


class NotFailed(Exception):
    """Only a failed message is retried by hand; a pending one is on its way already."""


@transaction.atomic
def outbox_retry(*, message: OutboxMessage, actor: User | None) -> OutboxMessage:
    """Give a failed message a fresh set of attempts, starting now."""
    updated = OutboxMessage.objects.filter(pk=message.pk, status=MessageStatus.FAILED).update(
        status=MessageStatus.PENDING, attempts=0, next_attempt_at=timezone.now()
    )
    if not updated:
        raise NotFailed(message.pk)
    audit_record(
        AuditKind.OUTBOX_RETRIED,
        actor=actor,
        partner_id=message.partner_id,
        message=str(message.key),
        topic=message.topic,
        object=f"{message.object_type}:{message.object_id}",
    )
    transaction.on_commit(_relay_wake)
    message.refresh_from_db()
    return message


@transaction.atomic
def outbox_retry_all_failed(*, actor: User | None) -> int:
    """Retry every failed message; how many there were."""
    failed = list(
        OutboxMessage.objects.select_for_update().filter(status=MessageStatus.FAILED).order_by("pk")
    )
    for message in failed:
        outbox_retry(message=message, actor=actor)
    return len(failed)


class AckOutcome:
    ACKNOWLEDGED = "acknowledged"
    ALREADY = "already_acknowledged"
    UNKNOWN = "unknown_key"


@transaction.atomic
def outbox_acknowledge(*, integration: Integration, keys: list[uuid.UUID]) -> dict[uuid.UUID, str]:
    """Pull mode: the ERP has applied these messages. Idempotent: a key acknowledged again
    (or delivered by push) is reported as such and changes nothing. Another integration's
    key is unknown to this one, exactly like a key that does not exist."""
    now = timezone.now()
    found = {
        message.key: message
        for message in OutboxMessage.objects.select_for_update().filter(
            integration=integration, key__in=keys
        )
    }
    outcomes: dict[uuid.UUID, str] = {}
    for key in keys:
        message = found.get(key)
        if message is None:
            outcomes[key] = AckOutcome.UNKNOWN
        elif message.status == MessageStatus.DELIVERED:
            outcomes[key] = AckOutcome.ALREADY
        else:
            OutboxMessage.objects.filter(pk=message.pk).update(
                status=MessageStatus.DELIVERED, delivered_at=now, last_error=""
            )
            DeliveryAttempt.objects.create(
                message=message, started_at=now, finished_at=now, outcome=AttemptOutcome.DELIVERED
            )
            message.status = MessageStatus.DELIVERED
            outcomes[key] = AckOutcome.ACKNOWLEDGED
    return outcomes
