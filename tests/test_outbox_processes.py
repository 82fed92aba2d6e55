"""R15 and R16 (QUALITY.md): the outbox relay in real `db_worker` processes, the fake ERP in
another, the test database shared through DATABASE_URL.

R15: the ERP is down while 1,000 orders are submitted; every order is accepted, and once the
ERP is back each reaches it exactly once. R16: the worker running the relay is killed with
SIGKILL 20 times during 1,000 deliveries while the ERP drops half of its answers (it commits,
then closes the connection): no message is lost and none has two effects.

Time is compressed: retries wait fractions of a second instead of minutes (the environment
sets the OUTBOX_* settings of the processes).
"""

import random
import subprocess
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
from django.db import transaction

from kabinet.accounts.models import User
from kabinet.catalog.tests.factories import price_list_of_agreement
from kabinet.integrations.erp.relay import INTERRUPTED, outbox_relay, relay_wake
from kabinet.integrations.models import Integration, IntegrationKind
from kabinet.integrations.services import integration_create
from kabinet.orders.checkout import OrderDetails, order_place
from kabinet.orders.models import Order
from kabinet.orders.services import cart_lines_add
from kabinet.orders.tests.factories import priced_variants
from kabinet.outbox.models import DeliveryAttempt, MessageStatus, OutboxMessage
from kabinet.partners.models import Partner
from kabinet.partners.services import contact_create
from tests.processes import fake_erp, free_port, process_env, worker

MESSAGES = 1000
KILLS = 20
ORDERS_PER_COMMIT = 25
WAIT_SECONDS = 60
FAST_RETRIES = {
    "OUTBOX_RETRY_BASE_SECONDS": "0.05",
    "OUTBOX_RETRY_CAP_SECONDS": "0.5",
    "OUTBOX_MAX_ATTEMPTS": "1000",
    "OUTBOX_DELIVERY_TIMEOUT": "2",
}


def _integration(port: int) -> Integration:
    return integration_create(
        name="Test ERP",
        kind=IntegrationKind.ERP_API,
        actor=None,
        outbound_url=f"http://127.0.0.1:{port}/outbox",
    )


def _effects(port: int) -> dict[str, Any]:
    data: dict[str, Any] = httpx.get(f"http://127.0.0.1:{port}/effects", timeout=10).json()
    return data


def _wait_for(condition: Callable[[], bool], what: str, *, tick: Callable[[], None]) -> None:
    deadline = time.monotonic() + WAIT_SECONDS
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        tick()
        time.sleep(0.2)


def _pending() -> int:
    return OutboxMessage.objects.exclude(status=MessageStatus.DELIVERED).count()


def _assert_each_delivered_exactly_once(port: int) -> None:
    keys = {str(key) for key in OutboxMessage.objects.values_list("key", flat=True)}
    assert len(keys) == MESSAGES
    assert not OutboxMessage.objects.exclude(status=MessageStatus.DELIVERED).exists()
    effects = _effects(port)
    effect_keys = [effect["key"] for effect in effects["effects"]]
    assert len(effect_keys) == len(set(effect_keys)), "an effect applied twice"
    assert set(effect_keys) == keys, "lost or unknown messages"


def _wait_until_started(process: subprocess.Popen[bytes], tmp_path: Path) -> None:
    log = tmp_path / "worker.log"
    deadline = time.monotonic() + WAIT_SECONDS
    while "Starting worker" not in log.read_text(errors="replace"):
        if process.poll() is not None or time.monotonic() > deadline:
            pytest.fail(f"worker did not start:\n{log.read_text(errors='replace')}")
        time.sleep(0.02)


@contextmanager
def _relay_worker(tmp_path: Path, env: dict[str, str]) -> Iterator[subprocess.Popen[bytes]]:
    with worker(tmp_path, env, max_tasks=1_000_000) as process:
        yield process


@pytest.mark.worker
@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_r15_orders_submitted_while_the_erp_is_down_reach_it_once_it_is_back(
    tmp_path: Path, partner_a: Partner, partner_user: User
) -> None:
    port = free_port()
    integration = _integration(port)
    agreement = partner_a.agreements.get(is_main=True)
    variants = priced_variants(price_list_of_agreement(agreement), 2)
    details = OrderDetails(counterparty=agreement.counterparty, agreement=agreement)
    env = process_env(tmp_path, **FAST_RETRIES)

    with _relay_worker(tmp_path, env):
        began = time.monotonic()
        # Nothing listens on the port: the ERP is down. Orders are committed 25 at a time
        # (each its own savepoint, as a request would be) to keep the run short.
        for _batch in range(MESSAGES // ORDERS_PER_COMMIT):
            with transaction.atomic():
                for _ in range(ORDERS_PER_COMMIT):
                    cart_lines_add(
                        partner=partner_a,
                        user=partner_user,
                        agreement=agreement,
                        quantities={variant.pk: Decimal(1) for variant in variants},
                    )
                    order_place(
                        partner=partner_a,
                        user=partner_user,
                        details=details,
                        checkout_key=uuid.uuid4(),
                        submit=True,
                    )
        submitting = time.monotonic() - began
        assert Order.objects.count() == MESSAGES, "every order was accepted"
        assert OutboxMessage.objects.filter(status=MessageStatus.PENDING).count() == MESSAGES
        _wait_for(
            lambda: DeliveryAttempt.objects.exclude(error="").exclude(error=INTERRUPTED).exists(),
            "the relay to find the ERP down",
            tick=lambda: None,
        )

        with fake_erp(tmp_path, secret=integration.outbound_secret, port=port):
            began = time.monotonic()
            _wait_for(lambda: _pending() == 0, "every order delivered", tick=relay_wake)
            catching_up = time.monotonic() - began
            _assert_each_delivered_exactly_once(port)
    print(
        f"R15: {MESSAGES} orders submitted in {submitting:.1f} s, delivered in {catching_up:.1f} s"
    )


@pytest.mark.worker
@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_r16_the_relay_killed_20_times_while_the_erp_drops_answers(
    tmp_path: Path, partner_a: Partner
) -> None:
    port = free_port()
    integration = _integration(port)
    with transaction.atomic():
        for n in range(MESSAGES):
            contact_create(partner=partner_a, full_name=f"Contact {n}", email=f"c{n}@alpha.example")
    OutboxMessage.objects.exclude(object_id__in=[]).filter(
        object_type="contact", payload__contact__full_name="Alpha Medical Contact"
    ).delete()  # the fixture's own contact: not one of the thousand
    assert OutboxMessage.objects.count() == MESSAGES
    # A short lease: a message the killed relay was delivering is taken again within seconds.
    env = process_env(tmp_path, **FAST_RETRIES, OUTBOX_LEASE_SECONDS="2")
    rng = random.Random(16)  # noqa: S311 (kill times, not secrets)

    began = time.monotonic()
    with fake_erp(tmp_path, secret=integration.outbound_secret, port=port, mode="drop", rate=0.5):
        for _kill in range(KILLS):
            with _relay_worker(tmp_path, env) as process:
                outbox_relay.enqueue()  # what the scheduler's minute job does
                _wait_until_started(process, tmp_path)
                time.sleep(rng.uniform(0.1, 0.5))
                process.kill()  # SIGKILL: no chance to record anything
                process.wait()
        interrupted = DeliveryAttempt.objects.filter(error=INTERRUPTED).count()
        left = _pending()
        with _relay_worker(tmp_path, env):
            outbox_relay.enqueue()
            _wait_for(lambda: _pending() == 0, "every message delivered", tick=relay_wake)
        _assert_each_delivered_exactly_once(port)
        deliveries = _effects(port)["deliveries"]
    took = time.monotonic() - began
    assert left > 0, "the kills came too late to interrupt anything"
    assert interrupted > 0, "no delivery was interrupted by a kill"
    assert deliveries > MESSAGES, "the dropped answers were retried"
    print(
        f"R16: {KILLS} kills, {interrupted} deliveries interrupted, {left} messages left after "
        f"them, {deliveries} POSTs for {MESSAGES} effects, {took:.1f} s"
    )
