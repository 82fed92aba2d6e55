"""The outbox relay against the fake ERP running as a real process (DESIGN rules 5 and 8):
delivered once, 503 then recovery, refusals parked as failed after N attempts, a lost answer
retried without a second effect, a wrong signature or a time-out never taken for success.

The relay runs in the test process (`relay_run`), so each step can be checked in between;
tests/test_outbox_processes.py runs it in real worker processes (R15, R16).
"""

import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from django.utils import timezone
from pytest_django import Settings

from kabinet.accounts.models import AuditEvent, AuditKind, User
from kabinet.integrations.erp.outbound import signature
from kabinet.integrations.erp.relay import relay_run, retry_delay
from kabinet.integrations.models import Integration, IntegrationKind
from kabinet.integrations.services import integration_create, integration_set_active
from kabinet.orders.models import Order
from kabinet.orders.statuses import order_cancel
from kabinet.orders.tests.factories import placed_order
from kabinet.outbox.models import (
    AttemptOutcome,
    DeliveryAttempt,
    MessageStatus,
    OutboxMessage,
    Topic,
)
from kabinet.outbox.services import NotFailed, outbox_retry
from kabinet.partners.models import Partner
from kabinet.partners.services import contact_create
from tests.processes import fake_erp, free_port


@dataclass
class Erp:
    url: str
    integration: Integration

    def control(self, mode: str, **options: Any) -> None:
        response = httpx.post(f"{self.url}/control", json={"mode": mode, **options})
        response.raise_for_status()

    def effects(self) -> dict[str, Any]:
        data: dict[str, Any] = httpx.get(f"{self.url}/effects").json()
        return data


@pytest.fixture
def erp(db: None, tmp_path: Path, settings: Settings) -> Iterator[Erp]:
    settings.OUTBOX_RETRY_BASE_SECONDS = 0  # a failed message is due again at once
    settings.OUTBOX_DELIVERY_TIMEOUT = 2
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    integration = integration_create(
        name="Test ERP", kind=IntegrationKind.ERP_API, actor=None, outbound_url=f"{url}/outbox"
    )
    with fake_erp(tmp_path, secret=integration.outbound_secret, port=port):
        yield Erp(url, integration)


def _order_message(order: Order) -> OutboxMessage:
    return OutboxMessage.objects.get(object_type="order", object_id=str(order.pk))


def test_a_submitted_order_is_delivered_once(
    erp: Erp, partner_a: Partner, partner_user: User
) -> None:
    order = placed_order(partner_a, partner_user, lines=2)
    message = _order_message(order)
    assert message.status == MessageStatus.PENDING
    assert message.topic == Topic.ORDER_SUBMITTED
    assert message.partner == partner_a
    payload = message.payload["order"]
    assert payload["number"] == order.number
    assert [line["quantity"] for line in payload["lines"]] == ["1.000", "2.000"]
    assert payload["total"] == str(order.total)

    assert relay_run()["delivered"] == 1
    assert relay_run()["delivered"] == 0  # nothing left to do

    message.refresh_from_db()
    assert message.status == MessageStatus.DELIVERED
    assert message.delivered_at is not None
    assert message.attempts == 1
    [attempt] = message.delivery_attempts.all()
    assert (attempt.outcome, attempt.http_status) == (AttemptOutcome.DELIVERED, 200)
    [effect] = erp.effects()["effects"]
    assert (effect["key"], effect["topic"]) == (str(message.key), "order.submitted")


def test_the_erp_down_then_back(erp: Erp, partner_a: Partner, partner_user: User) -> None:
    erp.control("503")
    order = placed_order(partner_a, partner_user, lines=1)
    counts = relay_run(budget_seconds=0.5)
    assert counts["delivered"] == 0
    message = _order_message(order)
    assert message.status == MessageStatus.PENDING
    assert message.attempts >= 1
    assert "HTTP 503" in message.last_error
    assert erp.effects()["effects"] == []

    erp.control("ok")
    assert relay_run()["delivered"] == 1
    message.refresh_from_db()
    assert message.status == MessageStatus.DELIVERED
    assert message.last_error == ""
    assert len(erp.effects()["effects"]) == 1


def test_a_refused_message_fails_after_n_attempts_and_staff_retry_it(
    erp: Erp, settings: Settings, partner_a: Partner, partner_user: User, staff_manager: User
) -> None:
    settings.OUTBOX_MAX_ATTEMPTS = 3
    erp.control("refuse")
    order = placed_order(partner_a, partner_user, lines=1)
    assert relay_run() == {"delivered": 0, "retry": 2, "failed": 1}
    message = _order_message(order)
    assert message.status == MessageStatus.FAILED
    assert message.attempts == 3
    assert message.last_error.startswith("HTTP 422")
    assert [a.outcome for a in message.delivery_attempts.all()] == [AttemptOutcome.REFUSED] * 3
    assert relay_run()["delivered"] == 0, "a failed message waits for staff"

    erp.control("ok")
    outbox_retry(message=message, actor=staff_manager)
    assert AuditEvent.objects.filter(kind=AuditKind.OUTBOX_RETRIED, actor=staff_manager).exists()
    with pytest.raises(NotFailed):
        outbox_retry(message=message, actor=staff_manager)
    assert relay_run()["delivered"] == 1
    message.refresh_from_db()
    assert message.status == MessageStatus.DELIVERED


def test_a_lost_answer_is_retried_and_applied_once(
    erp: Erp, settings: Settings, partner_a: Partner, partner_user: User
) -> None:
    settings.OUTBOX_RETRY_BASE_SECONDS = 30
    erp.control("drop")  # the ERP commits, then the connection drops before it answers
    order = placed_order(partner_a, partner_user, lines=1)
    relay_run()
    message = _order_message(order)
    assert message.status == MessageStatus.PENDING
    assert message.last_error.startswith("RemoteProtocolError")
    assert message.next_attempt_at > timezone.now()
    assert len(erp.effects()["effects"]) == 1, "the ERP did apply it"

    erp.control("ok")
    OutboxMessage.objects.update(next_attempt_at=timezone.now())  # time passes
    relay_run()
    message.refresh_from_db()
    assert message.status == MessageStatus.DELIVERED
    effects = erp.effects()
    assert len(effects["effects"]) == 1
    assert effects["deliveries"] >= 2
    assert message.delivery_attempts.last().http_status == 409  # type: ignore[union-attr]


def test_a_wrong_signature_or_a_time_out_is_not_delivered(
    erp: Erp, settings: Settings, partner_a: Partner, partner_user: User
) -> None:
    settings.OUTBOX_MAX_ATTEMPTS = 1
    Integration.objects.filter(pk=erp.integration.pk).update(outbound_secret="not-the-secret")
    first = _order_message(placed_order(partner_a, partner_user, lines=1))
    relay_run()
    first.refresh_from_db()
    assert (first.status, first.last_error[:8]) == (MessageStatus.FAILED, "HTTP 401")

    Integration.objects.filter(pk=erp.integration.pk).update(
        outbound_secret=erp.integration.outbound_secret
    )
    settings.OUTBOX_DELIVERY_TIMEOUT = 0.3
    erp.control("timeout", delay=3)
    second = _order_message(placed_order(partner_a, partner_user, lines=1))
    relay_run()
    second.refresh_from_db()
    assert second.status == MessageStatus.FAILED
    assert second.last_error.startswith("timeout")
    assert erp.effects()["effects"] == []


def test_the_fake_erp_checks_the_signature_over_timestamp_and_body(erp: Erp) -> None:
    body = b'{"key":"x"}'
    secret = erp.integration.outbound_secret
    headers = {"Idempotency-Key": str(uuid.uuid4()), "X-Kabinet-Timestamp": "1000000000"}
    stale = httpx.post(
        erp.url,
        content=body,
        headers={**headers, "X-Kabinet-Signature": signature(secret, "1000000000", body)},
    )
    assert stale.status_code == 401, "a signature from 2001 is a replay"
    now = str(int(time.time()))
    headers["X-Kabinet-Timestamp"] = now
    for secret_used, status in (("guess", 401), (secret, 200)):
        signed = {**headers, "X-Kabinet-Signature": signature(secret_used, now, body)}
        assert httpx.post(erp.url, content=body, headers=signed).status_code == status


def test_cancelling_a_submitted_order_is_announced_but_a_draft_is_not(
    db: None, partner_a: Partner, partner_user: User
) -> None:
    submitted = placed_order(partner_a, partner_user, lines=1)
    draft = placed_order(partner_a, partner_user, lines=1, submit=False)
    order_cancel(partner=partner_a, order_id=submitted.pk, actor=partner_user, note="wrong size")
    order_cancel(partner=partner_a, order_id=draft.pk, actor=partner_user)
    topics = list(
        OutboxMessage.objects.filter(object_type="order").values_list("object_id", "topic")
    )
    assert topics == [
        (str(submitted.pk), Topic.ORDER_SUBMITTED),
        (str(submitted.pk), Topic.ORDER_CANCELLED),
    ]
    cancelled = OutboxMessage.objects.get(topic=Topic.ORDER_CANCELLED)
    assert cancelled.payload["note"] == "wrong size"
    assert cancelled.payload["status_from"] == "submitted"


def test_retry_delays_grow_with_jitter_up_to_the_cap(settings: Settings) -> None:
    settings.OUTBOX_RETRY_BASE_SECONDS = 10
    settings.OUTBOX_RETRY_CAP_SECONDS = 300
    for attempts, full in ((1, 10), (2, 20), (3, 40), (6, 300), (60, 300)):
        delays = [retry_delay(attempts).total_seconds() for _ in range(50)]
        assert all(full / 2 <= delay <= full for delay in delays), (attempts, delays)
        assert len(set(delays)) > 1, "jitter"


def test_while_the_erp_is_down_one_message_probes_and_the_rest_wait(
    erp: Erp, settings: Settings, partner_a: Partner, partner_user: User
) -> None:
    settings.OUTBOX_RETRY_BASE_SECONDS = 30
    erp.control("503")
    orders = [placed_order(partner_a, partner_user, lines=1) for _ in range(3)]
    relay_run()
    probe, *waiting = (_order_message(order) for order in orders)
    assert probe.attempts == 1
    assert [message.attempts for message in waiting] == [0, 0]
    assert {message.next_attempt_at for message in waiting} == {probe.next_attempt_at}
    assert probe.next_attempt_at > timezone.now()
    assert erp.effects()["deliveries"] == 1, "one request while the ERP is down, not three"
    assert DeliveryAttempt.objects.count() == 1


@pytest.fixture
def second_erp(erp: Erp, tmp_path: Path) -> Iterator[Erp]:
    """Another pushed-to ERP, its own fake ERP process with its own signing secret."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    integration = integration_create(
        name="Second ERP", kind=IntegrationKind.ERP_API, actor=None, outbound_url=f"{url}/outbox"
    )
    assert integration.outbound_secret != erp.integration.outbound_secret
    (tmp_path / "second").mkdir()
    with fake_erp(tmp_path / "second", secret=integration.outbound_secret, port=port):
        yield Erp(url, integration)


def _copy(order: Order, integration: Integration) -> OutboxMessage:
    return OutboxMessage.objects.get(
        object_type="order", object_id=str(order.pk), integration=integration
    )


def test_two_erps_each_get_their_own_copy_signed_with_their_own_secret(
    erp: Erp, second_erp: Erp, partner_a: Partner, partner_user: User
) -> None:
    order = placed_order(partner_a, partner_user, lines=1)
    first, second = _copy(order, erp.integration), _copy(order, second_erp.integration)
    assert relay_run()["delivered"] == 2
    for target, message in ((erp, first), (second_erp, second)):
        message.refresh_from_db()
        assert message.status == MessageStatus.DELIVERED
        # The fake ERP checks the signature with its own secret: a 2xx proves it was signed
        # with this integration's secret.
        [effect] = target.effects()["effects"]
        assert effect["key"] == str(message.key)


def test_one_erp_down_the_other_still_delivers_and_only_the_down_ones_wait(
    erp: Erp, second_erp: Erp, settings: Settings, partner_a: Partner, partner_user: User
) -> None:
    settings.OUTBOX_RETRY_BASE_SECONDS = 30
    erp.control("503")
    orders = [placed_order(partner_a, partner_user, lines=1) for _ in range(3)]
    counts = relay_run()
    assert counts["delivered"] == 3
    assert [_copy(o, second_erp.integration).status for o in orders] == ["delivered"] * 3
    assert len(second_erp.effects()["effects"]) == 3

    probe, *waiting = (_copy(order, erp.integration) for order in orders)
    assert probe.status == MessageStatus.PENDING
    assert (probe.attempts, [m.attempts for m in waiting]) == (1, [0, 0])
    assert {m.next_attempt_at for m in waiting} == {probe.next_attempt_at}
    assert erp.effects()["deliveries"] == 1, "one probe to the ERP that is down"

    # A new order while the first ERP is still held back: the second gets it at once.
    late = placed_order(partner_a, partner_user, lines=1)
    assert relay_run()["delivered"] == 1
    assert _copy(late, second_erp.integration).status == MessageStatus.DELIVERED
    # (Written after the hold-back, the down ERP's copy probes again, as with one ERP.)
    assert _copy(late, erp.integration).status == MessageStatus.PENDING
    assert erp.effects()["effects"] == []

    erp.control("ok")
    OutboxMessage.objects.filter(integration=erp.integration).update(
        next_attempt_at=timezone.now()
    )  # time passes
    assert relay_run()["delivered"] == 4
    assert not OutboxMessage.objects.exclude(status=MessageStatus.DELIVERED).exists()
    assert len(erp.effects()["effects"]) == 4


def test_a_pull_integrations_copy_is_never_pushed(
    erp: Erp, partner_a: Partner, partner_user: User
) -> None:
    poller = integration_create(name="Poller", kind=IntegrationKind.ERP_API, actor=None)
    order = placed_order(partner_a, partner_user, lines=1)
    assert relay_run()["delivered"] == 1
    pulled = _copy(order, poller)
    assert (pulled.status, pulled.attempts) == (MessageStatus.PENDING, 0)
    assert not pulled.delivery_attempts.exists()


def test_a_switched_off_erp_is_not_delivered_to_until_it_is_on_again(
    erp: Erp, partner_a: Partner, partner_user: User
) -> None:
    integration_set_active(integration=erp.integration, is_active=False, actor=None)
    contact_create(partner=partner_a, full_name="Anna")  # nobody active takes it: unrouted
    assert relay_run()["delivered"] == 0
    assert erp.effects()["deliveries"] == 0
    integration_set_active(integration=erp.integration, is_active=True, actor=None)
    assert relay_run()["delivered"] >= 1
    assert not OutboxMessage.objects.exclude(status=MessageStatus.DELIVERED).exists()
