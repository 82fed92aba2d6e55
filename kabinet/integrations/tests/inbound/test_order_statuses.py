"""The ERP drives the order status flow (ORD7) through the transition services; repeated
and reordered messages have exactly one effect each (R17)."""

import random
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from kabinet.accounts.models import User
from kabinet.catalog.tests.factories import VariantFactory
from kabinet.integrations.tests.inbound.conftest import Erp
from kabinet.integrations.tests.inbound.writes import data_writes
from kabinet.orders.models import Order, OrderStatusChange, StatusChangeSource
from kabinet.orders.tests.factories import placed_order
from kabinet.partners.models import Partner

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 3, 10, 9, 0, tzinfo=UTC)


@pytest.fixture
def erp_orders(erp: Erp, partner_a: Partner) -> Any:
    """Make `count` submitted orders through the exchange: O-0, O-1, …"""
    Partner.objects.filter(pk=partner_a.pk).update(erp_id="P-A")
    partner_a.counterparties.update(erp_id="C-A")
    VariantFactory.create(erp_id="V-1")

    def make(count: int) -> None:
        line = {"variant_erp_id": "V-1", "quantity": 1, "price": "10.00", "amount": "10.00"}
        items = [
            {
                "erp_id": f"O-{n}",
                "erp_number": f"ЗК-{n}",
                "partner_erp_id": "P-A",
                "counterparty_erp_id": "C-A",
                "ordered_at": T0.isoformat(),
                "status": "submitted",
                "currency": "RUB",
                "total": "10.00",
                "lines": [line],
            }
            for n in range(count)
        ]
        assert erp.post("orders", {"items": items}).json()["counts"] == {"created": count}

    return make


def message(erp_id: str, status: str, minutes: int, **extra: Any) -> dict[str, Any]:
    changed_at = T0 + timedelta(minutes=minutes)
    return {"erp_id": erp_id, "status": status, "changed_at": changed_at.isoformat(), **extra}


def erp_effects() -> int:
    """Status steps the ERP made (not the statuses orders arrived with)."""
    return (
        OrderStatusChange.objects.filter(source=StatusChangeSource.ERP)
        .exclude(from_status="")
        .count()
    )


def test_a_chain_of_statuses_out_of_order_repeated_and_stale(erp: Erp, erp_orders: Any) -> None:
    erp_orders(1)

    def send(*messages: dict[str, Any]) -> list[tuple[str, str]]:
        return erp.results("order-statuses", {"items": list(messages)})

    accepted, assembling, shipped = (
        message("O-0", "accepted", 10),
        message("O-0", "in_assembly", 20),
        message("O-0", "shipped", 30),
    )
    # Shipped came first: the flow has no step from submitted to shipped.
    response = erp.post("order-statuses", {"items": [shipped]}).json()
    assert response["results"][0]["code"] == "transition_refused"
    assert "submitted" in response["results"][0]["message"]
    assert send(accepted, accepted) == [("updated", ""), ("unchanged", "")]
    assert send(assembling, accepted) == [("updated", ""), ("unchanged", "stale")]
    assert send(shipped) == [("updated", "")]
    # Another status with the same version as the last applied: not the ERP's latest word.
    assert send(message("O-0", "closed", 30)) == [("unchanged", "stale")]
    assert send(message("O-0", "closed", 30, sequence=1)) == [("updated", "")]

    made = Order.objects.get(erp_id="O-0")
    assert made.status == "closed"
    steps = list(
        made.status_changes.exclude(from_status="").values_list("from_status", "to_status")
    )
    assert steps == [
        ("submitted", "accepted"),
        ("accepted", "in_assembly"),
        ("in_assembly", "shipped"),
        ("shipped", "closed"),
    ]
    assert set(made.status_changes.values_list("source", flat=True)) == {StatusChangeSource.ERP}
    assert not made.status_changes.filter(actor__isnull=False).exists()
    with data_writes() as writes:
        assert send(message("O-0", "closed", 30, sequence=1), accepted) == [
            ("unchanged", ""),
            ("unchanged", "stale"),
        ]
    assert writes == []


def test_the_erp_moves_a_portal_order_by_our_number(
    erp: Erp, partner_a: Partner, partner_admin: User
) -> None:
    placed = placed_order(partner_a, partner_admin, lines=1)
    accept = {"number": placed.number, "status": "accepted", "changed_at": T0.isoformat()}
    unknown = {**accept, "number": "K-404404"}
    draft = placed_order(partner_a, partner_admin, lines=1, submit=False)

    results = erp.results(
        "order-statuses", {"items": [accept, unknown, {**accept, "number": draft.number}]}
    )

    assert results == [("updated", ""), ("error", "unknown_order"), ("error", "unknown_order")]
    assert Order.objects.get(pk=placed.pk).status == "accepted"
    assert Order.objects.get(pk=draft.pk).status == "draft"


def test_a_status_message_names_its_order(erp: Erp) -> None:
    nameless = {"status": "accepted", "changed_at": T0.isoformat()}

    assert erp.results("order-statuses", {"items": [nameless]}) == [("error", "unknown_order")]


def test_r17_200_messages_three_times_shuffled_have_exactly_200_effects(
    erp: Erp, erp_orders: Any
) -> None:
    erp_orders(200)
    targets = ("accepted", "rejected", "cancelled")
    messages = [
        message(f"O-{n}", targets[n % 3], 5 + n % 7, note=f"ERP change {n}") for n in range(200)
    ]
    stream = [dict(m) for m in messages for _copy in range(3)]
    # A new order each run (the seed is in any failure's message), not a fixed one.
    seed = random.randrange(2**32)  # noqa: S311 - shuffling, not secrets
    random.Random(seed).shuffle(stream)  # noqa: S311

    counts: dict[str, int] = {}
    for start in range(0, len(stream), 100):
        body = {"items": stream[start : start + 100]}
        for status, n in erp.post("order-statuses", body).json()["counts"].items():
            counts[status] = counts.get(status, 0) + n
        # A request sent again (its answer lost) is answered the same and does nothing.
        replayed = erp.post("order-statuses", body, key=f"test-{erp.sent}")
        assert replayed["Idempotent-Replayed"] == "true"

    assert counts == {"updated": 200, "unchanged": 400}, f"seed {seed}"
    assert erp_effects() == 200, f"seed {seed}"
    final = dict(Order.objects.values_list("erp_id", "status"))
    assert final == {f"O-{n}": targets[n % 3] for n in range(200)}, f"seed {seed}"
