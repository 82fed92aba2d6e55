"""Writing outbox messages. Only domain services call `outbox_write`, inside their own
transaction: the message commits or rolls back with the change it announces."""

from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils.module_loading import import_string

from kabinet.outbox.models import OutboxMessage, Topic
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
) -> OutboxMessage:
    if not transaction.get_connection().in_atomic_block:
        raise OutboxOutsideTransaction(topic)
    message = OutboxMessage.objects.create(
        topic=topic,
        object_type=object_type,
        object_id=str(object_id),
        payload=payload,
        partner=partner,
    )
    # The relay is woken once the change is committed; the scheduler's periodic run picks up
    # anything a lost wake-up left behind.
    transaction.on_commit(_relay_wake)
    return message


def _relay_wake() -> None:
    # A settings hook, not an import: integrations depend on the outbox, not the reverse.
    hook = getattr(settings, "OUTBOX_RELAY_WAKE", "")
    if hook:
        import_string(hook)()
