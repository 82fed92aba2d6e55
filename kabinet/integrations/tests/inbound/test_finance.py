"""Invoices and payments through the exchange API: real HTTP with a token."""

from decimal import Decimal
from typing import Any

import pytest

from kabinet.accounts.models import User
from kabinet.finance.models import Invoice, InvoiceStatus, Payment
from kabinet.integrations.models import InboundRequest
from kabinet.integrations.tests.inbound.conftest import Erp
from kabinet.integrations.tests.inbound.test_orders import link_to_erp
from kabinet.integrations.tests.inbound.writes import data_writes
from kabinet.orders.models import Order
from kabinet.orders.tests.factories import placed_order
from kabinet.partners.models import Partner

pytestmark = pytest.mark.django_db


@pytest.fixture
def linked(partner_a: Partner, partner_b: Partner) -> None:
    link_to_erp(partner_a, "A")
    link_to_erp(partner_b, "B")


def invoice(erp_id: str = "I-1", code: str = "A", **extra: Any) -> dict[str, Any]:
    return {
        "erp_id": erp_id,
        "partner_erp_id": f"P-{code}",
        "counterparty_erp_id": f"C-{code}",
        "agreement_erp_id": f"A-{code}",
        "number": f"СЧ-{erp_id}",
        "issued_on": "2026-03-01",
        "due_on": "2026-03-31",
        "currency": "RUB",
        "amount": "12000.00",
        **extra,
    }


def payment(erp_id: str = "PM-1", code: str = "A", **extra: Any) -> dict[str, Any]:
    return {
        "erp_id": erp_id,
        "partner_erp_id": f"P-{code}",
        "counterparty_erp_id": f"C-{code}",
        "number": f"ПП-{erp_id}",
        "paid_on": "2026-03-05",
        "currency": "RUB",
        "amount": "5000.00",
        **extra,
    }


def test_invoices_are_created_updated_with_their_status_and_a_resync_writes_nothing(
    erp: Erp, linked: None, partner_a: Partner, partner_admin: User
) -> None:
    placed = placed_order(partner_a, partner_admin, lines=1)
    Order.objects.filter(pk=placed.pk).update(erp_id="O-1")
    batch = {"items": [invoice("I-1", order_erp_id="O-1"), invoice("I-2", cancelled=True)]}

    assert erp.results("invoices", batch) == [("created", ""), ("created", "")]

    made = Invoice.objects.for_partner(partner_a).get(erp_id="I-1")
    assert (made.order, made.amount, made.status) == (placed, Decimal("12000.00"), "open")
    assert Invoice.objects.get(erp_id="I-2").status == InvoiceStatus.CANCELLED
    part = {"items": [invoice("I-1", order_erp_id="O-1", paid_amount="5000.00")]}
    assert erp.results("invoices", part) == [("updated", "")]
    assert Invoice.objects.get(erp_id="I-1").status == InvoiceStatus.PARTLY_PAID
    assert Invoice.objects.get(erp_id="I-1").outstanding == Decimal("7000.00")
    paid = {"items": [invoice("I-1", order_erp_id="O-1", paid_amount="12000.00")]}
    assert erp.results("invoices", paid) == [("updated", "")]
    assert Invoice.objects.get(erp_id="I-1").status == InvoiceStatus.PAID
    with data_writes() as writes:
        assert erp.results("invoices", paid) == [("unchanged", "")]
    assert writes == []


def test_invoices_refuse_unknown_and_other_partners_references(
    erp: Erp, linked: None, partner_b: Partner, other_partner_user: User
) -> None:
    theirs = placed_order(partner_b, other_partner_user, lines=1)
    Order.objects.filter(pk=theirs.pk).update(erp_id="O-B")
    batch = {
        "items": [
            invoice("I-1", partner_erp_id="P-404"),
            invoice("I-2", counterparty_erp_id="C-B"),
            invoice("I-3", agreement_erp_id="A-B"),
            invoice("I-4", order_erp_id="O-B"),
            invoice("I-5", order_erp_id="O-404"),
            invoice("I-6", due_on="2026-02-01"),
            invoice("I-7", agreement_erp_id="A-404"),
            invoice("I-8", code="B", order_erp_id="O-B"),
        ]
    }

    assert erp.results("invoices", batch) == [
        ("error", "unknown_partner"),
        ("error", "counterparty_of_other_partner"),
        ("error", "agreement_of_other_counterparty"),
        ("error", "order_of_other_partner"),
        ("error", "unknown_order"),
        ("error", "bad_due_date"),
        ("error", "unknown_agreement"),
        ("created", ""),
    ]
    assert list(Invoice.objects.values_list("erp_id", flat=True)) == ["I-8"]
    moved = {"items": [invoice("I-8", code="A")]}
    assert erp.results("invoices", moved) == [("error", "partner_mismatch")]


def test_payments_against_the_partners_own_invoices(erp: Erp, linked: None) -> None:
    erp.results("invoices", {"items": [invoice("I-A"), invoice("I-B", code="B")]})
    batch = {
        "items": [
            payment("PM-1", invoice_erp_id="I-A"),
            payment("PM-2", invoice_erp_id="I-B"),
            payment("PM-3", invoice_erp_id="I-404"),
            payment("PM-4", invoice_erp_id="I-A", currency="EUR"),
            payment("PM-5"),
            payment("PM-5"),
        ]
    }

    assert erp.results("payments", batch) == [
        ("created", ""),
        ("error", "invoice_of_other_partner"),
        ("error", "unknown_invoice"),
        ("error", "currency_mismatch"),
        ("created", ""),
        ("error", "duplicate_key"),
    ]
    assert Payment.objects.get(erp_id="PM-1").invoice == Invoice.objects.get(erp_id="I-A")
    assert erp.results("payments", {"items": [payment("PM-5", amount="4999.99")]}) == [
        ("updated", "")
    ]
    with data_writes() as writes:
        assert erp.results("payments", {"items": [payment("PM-5", amount="4999.99")]}) == [
            ("unchanged", "")
        ]
    assert writes == []


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("invoices", {"items": [invoice("I-1"), invoice("I-2", amount="12 000")]}),
        ("invoices", {"items": [invoice("I-1", issued_on="yesterday")]}),
        ("payments", {"items": [payment("PM-1"), payment("PM-2", amount=None)]}),
        ("payments", {"items": [payment("PM-1", currency="RUR1")]}),
    ],
)
def test_a_malformed_batch_is_refused_whole(erp: Erp, linked: None, path: str, body: Any) -> None:
    response = erp.post(path, body)

    assert response.status_code == 422
    assert response.json()["code"] == "invalid_payload"
    assert not Invoice.objects.exists()
    assert not Payment.objects.exists()
    assert not InboundRequest.objects.exists()


def test_amounts_that_do_not_fit_are_refused_per_item(erp: Erp, linked: None) -> None:
    invoices = {
        "items": [
            invoice("I-1", amount="1.234"),
            invoice("I-2", paid_amount="-1"),
            invoice("I-3", amount=10**15),
            invoice("I-4", amount=99.5),
        ]
    }
    payments = {"items": [payment("PM-1", amount="0"), payment("PM-2", amount="0.01")]}

    assert erp.results("invoices", invoices) == [
        ("error", "bad_number"),
        ("error", "bad_number"),
        ("error", "bad_number"),
        ("created", ""),
    ]
    assert Invoice.objects.get().amount == Decimal("99.50")
    assert erp.results("payments", payments) == [("error", "bad_number"), ("created", "")]
