"""Orders from the ERP (ORD6, ORD8) through the exchange API: real HTTP with a token."""

from datetime import UTC, datetime
from typing import Any

import pytest
from django.test import Client

from kabinet.accounts.models import User
from kabinet.catalog.models import Variant
from kabinet.catalog.tests.factories import VariantFactory
from kabinet.integrations.models import InboundRequest
from kabinet.integrations.tests.inbound.conftest import Erp
from kabinet.integrations.tests.inbound.writes import data_writes
from kabinet.orders.models import Order, OrderSource, StatusChangeSource
from kabinet.orders.tests.factories import placed_order
from kabinet.partners.models import Partner

pytestmark = pytest.mark.django_db


def link_to_erp(partner: Partner, code: str) -> None:
    """Give the partner and its counterparty, agreement and address ERP ids: P-A, C-A, …"""
    Partner.objects.filter(pk=partner.pk).update(erp_id=f"P-{code}")
    partner.counterparties.update(erp_id=f"C-{code}")
    partner.agreements.update(erp_id=f"A-{code}")
    partner.delivery_addresses.update(erp_id=f"D-{code}")


@pytest.fixture
def linked(partner_a: Partner, partner_b: Partner) -> None:
    link_to_erp(partner_a, "A")
    link_to_erp(partner_b, "B")


@pytest.fixture
def variants(db: None) -> list[Variant]:
    return [
        VariantFactory.create(erp_id="V-1", sku="GLV-S", product__name="Перчатки"),
        VariantFactory.create(erp_id="V-2", sku="MSK-1", product__name="Маски"),
    ]


def order(erp_id: str = "O-1", code: str = "A", **extra: Any) -> dict[str, Any]:
    return {
        "erp_id": erp_id,
        "erp_number": f"ЗК-{erp_id}",
        "partner_erp_id": f"P-{code}",
        "counterparty_erp_id": f"C-{code}",
        "agreement_erp_id": f"A-{code}",
        "delivery_address_erp_id": f"D-{code}",
        "ordered_at": "2026-03-10T09:30:00+03:00",
        "status": "accepted",
        "currency": "RUB",
        "total": "1151.00",
        "lines": [
            {"variant_erp_id": "V-1", "quantity": "3", "price": "250.50", "amount": "751.50"},
            {"sku": "MSK-1", "quantity": 10, "price": 39.95, "amount": 399.50},
        ],
        **extra,
    }


def test_an_erp_order_is_created_and_shows_in_its_partners_list_only(
    erp: Erp,
    linked: None,
    variants: list[Variant],
    partner_a: Partner,
    admin_client_a: Client,
    other_partner_user: User,
) -> None:
    from tests.support import signed_in

    assert erp.results("orders", {"items": [order()]}) == [("created", "")]

    made = Order.objects.get(erp_id="O-1")
    assert made.partner == partner_a
    assert made.source == OrderSource.ERP
    assert made.status == "accepted"
    assert made.number.startswith("E-")
    assert made.erp_number == "ЗК-O-1"
    assert str(made.total) == "1151.00"
    assert made.line_count == 2
    assert made.ordered_at == datetime(2026, 3, 10, 6, 30, tzinfo=UTC)
    assert made.delivery_address_text
    assert [(line.sku, line.name, str(line.amount)) for line in made.lines.all()] == [
        ("GLV-S", "Перчатки", "751.50"),
        ("MSK-1", "Маски", "399.50"),
    ]
    history = list(made.status_changes.values_list("from_status", "to_status", "source"))
    assert history == [("", "accepted", StatusChangeSource.ERP)]

    page = admin_client_a.get("/orders/")
    assert page.status_code == 200
    # The row links the order and marks it as from the ERP.
    assert f'{made.number}</a> <span class="badge' in page.content.decode()
    detail = admin_client_a.get(f"/orders/{made.pk}/")
    assert detail.status_code == 200
    assert 'data-testid="order-erp"' in detail.content.decode()
    assert "ЗК-O-1" in detail.content.decode()
    other = signed_in(other_partner_user).get("/orders/")
    assert made.number not in other.content.decode()
    assert signed_in(other_partner_user).get(f"/orders/{made.pk}/").status_code == 404


def test_an_update_replaces_the_lines_and_a_resync_writes_nothing(
    erp: Erp, linked: None, variants: list[Variant]
) -> None:
    erp.results("orders", {"items": [order()]})
    fewer = order(
        total="501.00",
        comment="Доставка после 14:00",
        lines=[{"variant_erp_id": "V-1", "quantity": 2, "price": "250.50", "amount": "501.00"}],
    )

    assert erp.results("orders", {"items": [fewer]}) == [("updated", "")]

    made = Order.objects.get(erp_id="O-1")
    assert (str(made.total), made.line_count, made.comment) == ("501.00", 1, "Доставка после 14:00")
    assert made.lines.get().quantity == 2
    with data_writes() as writes:
        assert erp.results("orders", {"items": [fewer]}) == [("unchanged", "")]
    assert writes == []


def test_bad_items_are_refused_one_by_one_and_the_good_ones_apply(
    erp: Erp, linked: None, variants: list[Variant]
) -> None:
    unknown_line = {"variant_erp_id": "V-404", "quantity": 1, "price": 1, "amount": 1}
    no_goods = {"quantity": 1, "price": 1, "amount": 1}
    wrong_amount = {"variant_erp_id": "V-1", "quantity": 3, "price": "1.10", "amount": "3.31"}
    batch = {
        "items": [
            order("O-1", total="1.00", lines=[unknown_line]),
            order("O-2", partner_erp_id="P-404"),
            order("O-3", counterparty_erp_id="C-B"),  # partner B's counterparty
            order("O-4", agreement_erp_id="A-B"),
            order("O-5", delivery_address_erp_id="D-B"),
            order("O-6", total="3.31", lines=[wrong_amount]),
            order("O-7", total="1000.00"),
            order("O-8", counterparty_erp_id="C-404"),
            order("O-9"),
            order("O-9"),
            order("O-10", total="1.00", lines=[no_goods]),
        ]
    }

    assert erp.results("orders", batch) == [
        ("error", "unknown_variant"),
        ("error", "unknown_partner"),
        ("error", "counterparty_of_other_partner"),
        ("error", "agreement_of_other_counterparty"),
        ("error", "address_of_other_partner"),
        ("error", "bad_amount"),
        ("error", "bad_total"),
        ("error", "unknown_counterparty"),
        ("created", ""),
        ("error", "duplicate_key"),
        ("error", "unknown_variant"),
    ]
    assert list(Order.objects.values_list("erp_id", flat=True)) == ["O-9"]


def test_an_order_does_not_move_to_another_partner(
    erp: Erp, linked: None, variants: list[Variant], partner_a: Partner
) -> None:
    erp.results("orders", {"items": [order()]})

    assert erp.results("orders", {"items": [order(code="B")]}) == [("error", "partner_mismatch")]
    assert Order.objects.get(erp_id="O-1").partner == partner_a


def test_a_portal_order_acknowledged_by_the_erp_gets_its_ids_not_a_double(
    erp: Erp, linked: None, partner_a: Partner, partner_admin: User
) -> None:
    placed = placed_order(partner_a, partner_admin, lines=1, price="100.00")
    line = placed.lines.get()
    Variant.objects.filter(order_lines=line).update(erp_id="V-P")
    ack = order(
        "O-77",
        number=placed.number,
        status="submitted",
        total="100.00",
        lines=[{"variant_erp_id": "V-P", "quantity": 1, "price": "100.00", "amount": "100.00"}],
    )

    assert erp.results("orders", {"items": [ack]}) == [("updated", "")]

    assert Order.objects.count() == 1
    acknowledged = Order.objects.get(pk=placed.pk)
    assert (acknowledged.erp_id, acknowledged.erp_number) == ("O-77", "ЗК-O-77")
    assert acknowledged.source == OrderSource.PORTAL
    assert acknowledged.ordered_at == placed.ordered_at  # when it was placed here
    assert acknowledged.comment == placed.comment
    assert erp.results("orders", {"items": [ack]}) == [("unchanged", "")]
    other = {**ack, "erp_id": "O-78"}
    assert erp.results("orders", {"items": [other]}) == [("error", "erp_id_mismatch")]
    assert erp.results("orders", {"items": [{**ack, "number": "K-404404"}]}) == [
        ("error", "unknown_order")
    ]


def test_an_upsert_moves_the_status_through_the_flow_or_refuses(
    erp: Erp, linked: None, variants: list[Variant]
) -> None:
    erp.results("orders", {"items": [order(status="accepted")]})
    later = "2026-03-11T10:00:00+03:00"

    shipped = order(status="shipped", status_changed_at=later)
    assert erp.results("orders", {"items": [shipped]}) == [("updated", "")]
    made = Order.objects.get(erp_id="O-1")
    assert made.status == "shipped"
    assert made.status_changes.filter(from_status="accepted", to_status="shipped").exists()
    back = order(status="submitted", status_changed_at="2026-03-12T10:00:00+03:00")
    assert erp.results("orders", {"items": [back]}) == [("error", "transition_refused")]
    # An older copy of the order changes nothing of its status.
    assert erp.results("orders", {"items": [order(status="accepted")]}) == [("unchanged", "")]
    assert Order.objects.get(erp_id="O-1").status == "shipped"


@pytest.mark.parametrize(
    "change",
    [
        {"ordered_at": "2026-03-10T09:30:00"},  # no time zone
        {"status": "draft"},
        {"total": "1e3"},  # a string holds plain digits only
        {"total": True},
        {"currency": "rubles"},
        {"lines": []},
    ],
)
def test_a_malformed_batch_is_refused_whole(
    erp: Erp, linked: None, variants: list[Variant], change: dict[str, Any]
) -> None:
    response = erp.post("orders", {"items": [order("O-1"), order("O-2", **change)]})

    assert response.status_code == 422, response.content
    assert response.json()["code"] == "invalid_payload"
    assert not Order.objects.exists()
    assert not InboundRequest.objects.exists()


@pytest.mark.parametrize(
    "change",
    [
        {"total": "1151.001"},
        {"total": 10**20},
        {"lines": [{"sku": "GLV-S", "quantity": 0, "price": 1, "amount": 0}]},
        {"lines": [{"sku": "GLV-S", "quantity": "0.0001", "price": 1, "amount": 0}]},
        {"lines": [{"sku": "GLV-S", "quantity": 1, "price": -1, "amount": "-1"}]},
        {"lines": [{"sku": "GLV-S", "quantity": 1, "price": 0.001, "amount": 0}]},
    ],
)
def test_numbers_that_do_not_fit_are_refused_per_item(
    erp: Erp, linked: None, variants: list[Variant], change: dict[str, Any]
) -> None:
    results = erp.results("orders", {"items": [order("O-1"), order("O-2", **change)]})

    assert results == [("created", ""), ("error", "bad_number")]
    assert list(Order.objects.values_list("erp_id", flat=True)) == ["O-1"]
