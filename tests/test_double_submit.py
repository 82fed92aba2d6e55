"""R18: a double click, two tabs, two staff at once — exactly one effect, the loser told so.

Real concurrency: each attempt is a request through the whole stack on its own thread (so on
its own database connection), released at the same moment by a barrier. `transactional_db`
lets the threads see each other's commits; runs on SQLite and on PostgreSQL alike.
"""

import threading
import uuid
from collections.abc import Callable
from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse

from kabinet.accounts.models import AuditEvent, AuditKind, User
from kabinet.orders.models import Order, OrderStatus, OrderStatusChange
from kabinet.orders.services import cart_lines_add
from kabinet.orders.tests.factories import placed_order, priced_variants
from kabinet.outbox.models import OutboxMessage, Topic
from kabinet.partners.models import Partner
from tests.support import signed_in

ROUNDS = 10


def _at_once(*attempts: Callable[[], int]) -> list[int]:
    """Run the attempts on threads released together; their status codes, in order."""
    barrier = threading.Barrier(len(attempts))
    codes: list[int] = [0] * len(attempts)

    def run(index: int, attempt: Callable[[], int]) -> None:
        try:
            barrier.wait()
            codes[index] = attempt()
        finally:
            connection.close()

    threads = [
        threading.Thread(target=run, args=(index, attempt))
        for index, attempt in enumerate(attempts)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return codes


def _checkout_post(client: Client, partner: Partner, key: uuid.UUID) -> Callable[[], int]:
    agreement = partner.agreements.get(is_main=True)
    data = {
        "counterparty": agreement.counterparty_id,
        "agreement": agreement.pk,
        "checkout_key": str(key),
        "action": "submit",
    }
    return lambda: client.post(reverse("orders:checkout"), data).status_code


@pytest.mark.parametrize("same_key", [True, False], ids=["double click", "two tabs"])
def test_two_checkouts_at_once_make_one_order(
    transactional_db: None, partner_a: Partner, partner_user: User, same_key: bool
) -> None:
    agreement = partner_a.agreements.get(is_main=True)
    from kabinet.catalog.tests.factories import price_list_of_agreement

    price_list = price_list_of_agreement(agreement)
    variants = priced_variants(price_list, 3)
    first, second = signed_in(partner_user), signed_in(partner_user)
    for round_number in range(ROUNDS):
        cart_lines_add(
            partner=partner_a,
            user=partner_user,
            agreement=agreement,
            quantities={variant.pk: Decimal(1) for variant in variants},
        )
        key = uuid.uuid4()
        codes = _at_once(
            _checkout_post(first, partner_a, key),
            _checkout_post(second, partner_a, key if same_key else uuid.uuid4()),
        )
        # The winner is redirected to its order; a double click (same key) is redirected to
        # the same order; a second tab finds the cart ordered already: 409 naming it.
        expected = [303, 303] if same_key else [303, 409]
        assert sorted(codes) == expected, f"round {round_number}: {codes}"
        assert Order.objects.count() == round_number + 1
    assert AuditEvent.objects.filter(kind=AuditKind.ORDER_SUBMITTED).count() == ROUNDS
    assert OrderStatusChange.objects.count() == ROUNDS
    # One ERP message per order, whichever request won (R18).
    messages = OutboxMessage.objects.filter(topic=Topic.ORDER_SUBMITTED)
    assert messages.count() == ROUNDS
    assert sorted(int(pk) for pk in messages.values_list("object_id", flat=True)) == sorted(
        Order.objects.values_list("pk", flat=True)
    )
    assert set(Order.objects.values_list("line_count", flat=True)) == {3}


def test_two_staff_accepting_at_once_make_one_step(
    transactional_db: None, partner_a: Partner, partner_user: User, staff_manager: User
) -> None:
    url_data = {"status": OrderStatus.ACCEPTED, "note": ""}
    first, second = signed_in(staff_manager), signed_in(staff_manager)
    for _round in range(ROUNDS):
        order = placed_order(partner_a, partner_user, lines=1)
        url = reverse("orders:staff_status", kwargs={"order_id": order.pk})
        codes = _at_once(
            lambda url=url: first.post(url, url_data).status_code,  # type: ignore[misc]
            lambda url=url: second.post(url, url_data).status_code,  # type: ignore[misc]
        )
        assert sorted(codes) == [303, 409], codes
        assert list(
            order.status_changes.values_list("from_status", "to_status").order_by("pk")
        ) == [("", "submitted"), ("submitted", "accepted")]
    assert AuditEvent.objects.filter(kind=AuditKind.ORDER_STATUS_CHANGED).count() == ROUNDS
