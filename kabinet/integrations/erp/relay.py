"""The outbox relay: delivers pending outbox messages to the ERP (push mode).

A run claims due messages in a short transaction (PostgreSQL: `SKIP LOCKED`, so relays in
several workers take different rows; SQLite: its one writer, and a claim that only succeeds if
nobody changed the row since it was read), *leases* them — `attempts + 1`, `next_attempt_at`
moved past the lease, a DeliveryAttempt row — and commits. Then it POSTs each one outside any
transaction and records the answer in another short transaction:
- 2xx or 409: delivered;
- anything else (4xx, 5xx, a timeout, a dropped connection): retried after an exponential
  backoff with jitter, capped; `failed` after OUTBOX_MAX_ATTEMPTS, for staff to retry.
  When an ERP looks down (unreachable, or 502/503/504) the run stops sending to it and every
  pending message of that ERP is held back until that message's retry: its queue probes
  the ERP with its oldest message instead of sending it thousands of requests, and resumes
  in order once it answers.
A relay killed mid-delivery records nothing: the message's lease runs out and it is delivered
again with the same idempotency key, which the ERP de-duplicates — at least once on the wire,
exactly once in effect.

Each message has one addressee (`OutboxMessage.integration`). A run serves every active
integration with a delivery URL in turn, a batch each, with that integration's URL and
signing secret; one found down is held back and left for this run while the others go on.
An integration without a delivery URL is never pushed to: its ERP polls (erp/events.py).
"""

import logging
import random
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F
from django.tasks import task
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from kabinet.integrations.erp.outbound import DeliveryResult, ErpClient, envelope_body
from kabinet.integrations.models import Integration
from kabinet.outbox.models import AttemptOutcome, DeliveryAttempt, MessageStatus, OutboxMessage
from kabinet.outbox.services import outbox_route_unrouted

logger = logging.getLogger(__name__)

RELAY_TASK_PATH = "kabinet.integrations.erp.relay.outbox_relay"
BATCH_SIZE = 20
# A run stops after this long (and enqueues the next one) so e-mails queued behind it wait
# at most this long for the worker.
RUN_BUDGET_SECONDS = 30.0
# Retries due sooner than this are run by a relay task scheduled for then; later ones are
# left to the scheduler's every-minute run.
SCHEDULE_AHEAD = timedelta(seconds=90)
INTERRUPTED = "no answer recorded: the relay stopped during this delivery"


def push_targets() -> list[Integration]:
    """The ERPs the relay delivers to: the active integrations with a delivery URL."""
    return list(Integration.objects.pushed_to())


def retry_delay(attempts: int, *, rng: random.Random | None = None) -> timedelta:
    """How long to wait after the `attempts`-th failed attempt: base × 2^(attempts-1),
    capped, times a random factor in [0.5, 1) so failed messages do not retry in lockstep."""
    base = settings.OUTBOX_RETRY_BASE_SECONDS
    cap = settings.OUTBOX_RETRY_CAP_SECONDS
    delay = min(cap, base * 2 ** min(attempts - 1, 40))
    return timedelta(seconds=delay * (0.5 + 0.5 * (rng or random).random()))


def envelope(message: OutboxMessage) -> dict[str, Any]:
    return {
        "key": str(message.key),
        "topic": message.topic,
        "created_at": message.created_at.isoformat(),
        "object": {"type": message.object_type, "id": message.object_id},
        "payload": message.payload,
    }


@dataclass(frozen=True)
class _Claimed:
    message: OutboxMessage
    attempt: DeliveryAttempt
    attempts: int  # the message's attempt count once claimed: it is still ours if unchanged


def _claim(integration: Integration, limit: int) -> list[_Claimed]:
    now = timezone.now()
    lease_until = now + timedelta(seconds=settings.OUTBOX_LEASE_SECONDS)
    max_attempts = settings.OUTBOX_MAX_ATTEMPTS
    claimed: list[_Claimed] = []
    with transaction.atomic():
        due = OutboxMessage.objects.filter(
            integration=integration, status=MessageStatus.PENDING, next_attempt_at__lte=now
        ).order_by("next_attempt_at", "pk")
        if connection.features.has_select_for_update_skip_locked:
            due = due.select_for_update(skip_locked=True)
        for message in list(due[:limit]):
            mine = OutboxMessage.objects.filter(
                pk=message.pk, status=MessageStatus.PENDING, attempts=message.attempts
            )
            if message.attempts >= max_attempts:
                # Its last attempt was interrupted (a killed relay): no more tries.
                mine.update(
                    status=MessageStatus.FAILED, last_error=message.last_error or INTERRUPTED
                )
                continue
            if not mine.update(attempts=F("attempts") + 1, next_attempt_at=lease_until):
                continue  # another relay took it since it was read
            attempt = DeliveryAttempt.objects.create(
                message=message, started_at=now, outcome=AttemptOutcome.ERROR, error=INTERRUPTED
            )
            claimed.append(_Claimed(message, attempt, message.attempts + 1))
    return claimed


def _record(claimed: _Claimed, result: DeliveryResult) -> str:
    now = timezone.now()
    if result.delivered:
        outcome = AttemptOutcome.DELIVERED
    elif result.refused:
        outcome = AttemptOutcome.REFUSED
    else:
        outcome = AttemptOutcome.ERROR
    message = claimed.message
    with transaction.atomic():
        DeliveryAttempt.objects.filter(pk=claimed.attempt.pk).update(
            finished_at=now, outcome=outcome, http_status=result.http_status, error=result.error
        )
        if result.delivered:
            # Delivered even if its lease ran out and another relay has it too: the ERP
            # de-duplicates that one by key.
            OutboxMessage.objects.filter(pk=message.pk).exclude(
                status=MessageStatus.DELIVERED
            ).update(status=MessageStatus.DELIVERED, delivered_at=now, last_error="")
            return MessageStatus.DELIVERED
        mine = OutboxMessage.objects.filter(
            pk=message.pk, status=MessageStatus.PENDING, attempts=claimed.attempts
        )
        if claimed.attempts >= settings.OUTBOX_MAX_ATTEMPTS:
            mine.update(status=MessageStatus.FAILED, last_error=result.error)
            return MessageStatus.FAILED
        mine.update(next_attempt_at=now + retry_delay(claimed.attempts), last_error=result.error)
        return MessageStatus.PENDING


def _hold_back(failed: _Claimed, rest: list[_Claimed]) -> None:
    """The ERP is down: give back the rest of the batch untried, and hold every pending
    message *of that ERP* until the failed one's retry (the others' are theirs)."""
    until = OutboxMessage.objects.filter(
        pk=failed.message.pk, status=MessageStatus.PENDING
    ).values_list("next_attempt_at", flat=True).first() or timezone.now() + retry_delay(1)
    with transaction.atomic():
        for claimed in rest:
            OutboxMessage.objects.filter(
                pk=claimed.message.pk, status=MessageStatus.PENDING, attempts=claimed.attempts
            ).update(attempts=F("attempts") - 1, next_attempt_at=until)
            DeliveryAttempt.objects.filter(pk=claimed.attempt.pk).delete()
        OutboxMessage.objects.filter(
            integration=failed.message.integration_id,
            status=MessageStatus.PENDING,
            next_attempt_at__lt=until,
        ).update(next_attempt_at=until)


def relay_run(*, budget_seconds: float = RUN_BUDGET_SECONDS) -> dict[str, int]:
    """Deliver due messages until none is due or the budget is spent. Returns counts.

    The push integrations take turns, a batch each, so a long queue for one ERP does not
    starve another; an ERP found down drops out of this run (its messages held back)."""
    counts = {"delivered": 0, "retry": 0, "failed": 0}
    # The safety net for a message written as its integration was being created.
    outbox_route_unrouted()
    serving = push_targets()
    if not serving:
        return counts
    client = ErpClient(timeout=settings.OUTBOX_DELIVERY_TIMEOUT)
    deadline = time.monotonic() + budget_seconds
    try:
        while serving and time.monotonic() < deadline:
            for target in list(serving):
                batch = _claim(target, BATCH_SIZE)
                if not batch or not _deliver(client, target, batch, counts):
                    serving.remove(target)  # nothing due, or the ERP is down
                if time.monotonic() >= deadline:
                    break
    finally:
        client.close()
    return _finish_run(counts)


def _deliver(
    client: ErpClient, target: Integration, batch: list[_Claimed], counts: dict[str, int]
) -> bool:
    """Deliver a claimed batch to its ERP; False when the ERP is down (the rest held back)."""
    for index, claimed in enumerate(batch):
        result = client.deliver(
            url=target.outbound_url,
            secret=target.outbound_secret,
            key=str(claimed.message.key),
            topic=claimed.message.topic,
            body=envelope_body(envelope(claimed.message)),
        )
        status = _record(claimed, result)
        counts["retry" if status == MessageStatus.PENDING else status] += 1
        if not result.delivered:
            logger.warning(
                "Outbox %s not delivered to %s: %s", claimed.message.key, target, result.error
            )
        if result.erp_down:
            _hold_back(claimed, batch[index + 1 :])
            return False
    return True


def _finish_run(counts: dict[str, int]) -> dict[str, int]:
    _schedule_next()
    return counts


def _relay_waiting(*, ready_now: bool) -> bool:
    waiting = DBTaskResult.objects.filter(task_path=RELAY_TASK_PATH)
    return (waiting.ready() if ready_now else waiting.filter(status="READY")).exists()


def _schedule_next() -> None:
    """Enqueue the run for the next due retry of any push integration, if it is soon and
    none is queued."""
    next_at: datetime | None = (
        OutboxMessage.objects.filter(
            status=MessageStatus.PENDING, integration__in=Integration.objects.pushed_to()
        )
        .order_by("next_attempt_at")
        .values_list("next_attempt_at", flat=True)
        .first()
    )
    if next_at is None or next_at > timezone.now() + SCHEDULE_AHEAD:
        return
    if _relay_waiting(ready_now=False):
        return
    outbox_relay.using(run_after=max(next_at, timezone.now())).enqueue()


def relay_wake() -> None:
    """settings.OUTBOX_RELAY_WAKE, called when an outbox message commits: run the relay now
    unless a run is already queued to start (a burst of orders wakes it once) or no
    integration is pushed to."""
    if not Integration.objects.pushed_to().exists() or _relay_waiting(ready_now=True):
        return
    outbox_relay.enqueue()


@task(queue_name="default")
def outbox_relay() -> dict[str, int]:
    """Deliver due outbox messages to the ERP (woken on commit, and every minute)."""
    return relay_run()
