from datetime import date
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction

from kabinet.finance.models import Invoice, InvoiceStatus, Payment
from kabinet.finance.sync import invoice_status
from kabinet.partners.models import Partner

pytestmark = pytest.mark.django_db


def _invoice(partner: Partner, **extra: object) -> Invoice:
    values: dict[str, object] = {
        "partner": partner,
        "counterparty": partner.counterparties.get(),
        "erp_id": f"I-{partner.pk}-{extra.get('status', 'open')}",
        "number": "1",
        "issued_on": date(2026, 3, 1),
        "amount": Decimal("10.00"),
        **extra,
    }
    return Invoice.objects.create(**values)


def test_the_database_refuses_an_unknown_status_and_negative_amounts(partner_a: Partner) -> None:
    for bad in ({"status": "lost"}, {"paid_amount": Decimal("-1")}):
        with pytest.raises(IntegrityError), transaction.atomic():
            _invoice(partner_a, **bad)
    with pytest.raises(IntegrityError), transaction.atomic():
        Payment.objects.create(
            partner=partner_a,
            counterparty=partner_a.counterparties.get(),
            erp_id="PM-0",
            number="0",
            paid_on=date(2026, 3, 1),
            amount=Decimal("0"),
        )


def test_for_partner_finds_the_partners_own_only(partner_a: Partner, partner_b: Partner) -> None:
    mine = _invoice(partner_a)
    _invoice(partner_b)

    assert list(Invoice.objects.for_partner(partner_a)) == [mine]


@pytest.mark.parametrize(
    ("paid", "cancelled", "status"),
    [
        ("0", False, InvoiceStatus.OPEN),
        ("0.01", False, InvoiceStatus.PARTLY_PAID),
        ("10.00", False, InvoiceStatus.PAID),
        ("12.00", False, InvoiceStatus.PAID),
        ("5", True, InvoiceStatus.CANCELLED),
    ],
)
def test_the_status_follows_from_the_amounts(paid: str, cancelled: bool, status: str) -> None:
    assert (
        invoice_status(amount=Decimal("10.00"), paid_amount=Decimal(paid), cancelled=cancelled)
        == status
    )
