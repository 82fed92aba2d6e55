"""Counterparties, contacts, agreements, delivery addresses and their deletion through the
exchange API (INT1, PRT1): real HTTP with a token, nothing mocked."""

from typing import Any

import pytest
from stdnum.ru import inn

from kabinet.accounts.models import AuditEvent, AuditKind, User
from kabinet.integrations.models import InboundRequest
from kabinet.integrations.tests.inbound.conftest import Erp
from kabinet.integrations.tests.inbound.writes import data_writes
from kabinet.orders.tests.factories import placed_order
from kabinet.partners.models import Agreement, Contact, Counterparty, DeliveryAddress, Partner
from kabinet.partners.tests.factories import CounterpartyFactory, PartnerFactory

pytestmark = pytest.mark.django_db


def valid_inn(n: int) -> str:
    base = f"54{n:07d}"
    return base + inn.calc_company_check_digit(base)


@pytest.fixture
def partners() -> tuple[Partner, Partner]:
    return PartnerFactory.create(erp_id="P-1"), PartnerFactory.create(erp_id="P-2")


def counterparty(erp_id: str = "C-1", partner: str = "P-1", n: int = 1, **extra: Any) -> Any:
    return {
        "erp_id": erp_id,
        "partner_erp_id": partner,
        "name": f"ООО «Вектор {n}»",
        "tax_id": valid_inn(n),
        "kpp": "540101001",
        "legal_address": "Новосибирск, Красный пр., 1",
        **extra,
    }


def agreement(erp_id: str = "A-1", cp: str = "C-1", partner: str = "P-1", **extra: Any) -> Any:
    return {
        "erp_id": erp_id,
        "partner_erp_id": partner,
        "counterparty_erp_id": cp,
        "number": f"Д-{erp_id}",
        "price_list": "Дилерская",
        "currency": "RUB",
        "signed_on": "2026-01-15",
        "valid_until": "2027-01-15",
        "payment_deferral_days": 30,
        **extra,
    }


# --- counterparties ------------------------------------------------------------------------


def test_counterparties_are_created_updated_and_a_resync_writes_nothing(
    erp: Erp, partners: tuple[Partner, Partner]
) -> None:
    batch = {"items": [counterparty("C-1", n=1), counterparty("C-2", "P-2", n=2)]}
    assert erp.results("counterparties", batch) == [("created", ""), ("created", "")]
    created = Counterparty.objects.get(erp_id="C-1")
    assert created.partner == partners[0]
    assert created.tax_id == valid_inn(1)
    assert created.kpp == "540101001"

    # Spaces and dashes in the INN are normalised away: still the same counterparty.
    spaced = valid_inn(1)[:4] + " " + valid_inn(1)[4:]
    changed = {"items": [counterparty("C-1", n=1, tax_id=spaced, name="ООО «Вектор-М»")]}
    assert erp.results("counterparties", changed) == [("updated", "")]
    assert Counterparty.objects.get(erp_id="C-1").name == "ООО «Вектор-М»"

    events = AuditEvent.objects.filter(kind=AuditKind.ERP_EXCHANGE).count()
    with data_writes() as writes:
        assert erp.results("counterparties", changed) == [("unchanged", "")]
    assert writes == []
    assert AuditEvent.objects.filter(kind=AuditKind.ERP_EXCHANGE).count() == events


def test_a_bad_or_taken_tax_id_and_an_unknown_partner_are_refused_per_item(
    erp: Erp, partners: tuple[Partner, Partner]
) -> None:
    erp.results("counterparties", {"items": [counterparty("C-1", n=1)]})
    bad = valid_inn(5)[:-1] + str((int(valid_inn(5)[-1]) + 1) % 10)
    batch = {
        "items": [
            counterparty("C-2", n=2, tax_id=bad),
            counterparty("C-3", "P-2", n=1),  # C-1's tax ID
            counterparty("C-4", "NOPE", n=4),
            counterparty("C-5", "P-2", n=5),
        ]
    }
    assert erp.results("counterparties", batch) == [
        ("error", "bad_tax_id"),
        ("error", "tax_id_taken"),
        ("error", "unknown_partner"),
        ("created", ""),
    ]
    assert set(Counterparty.objects.values_list("erp_id", flat=True)) == {"C-1", "C-5"}


def test_a_counterparty_does_not_move_to_another_partner(
    erp: Erp, partners: tuple[Partner, Partner]
) -> None:
    erp.results("counterparties", {"items": [counterparty("C-1")]})

    moved = {"items": [counterparty("C-1", "P-2")]}

    assert erp.results("counterparties", moved) == [("error", "partner_mismatch")]
    assert Counterparty.objects.get(erp_id="C-1").partner == partners[0]


def test_a_counterparty_staff_entered_before_the_exchange_is_linked_not_doubled(
    erp: Erp, partners: tuple[Partner, Partner]
) -> None:
    mine = CounterpartyFactory.create(partner=partners[0], tax_id=valid_inn(1), erp_id=None)
    CounterpartyFactory.create(partner=partners[1], tax_id=valid_inn(2), erp_id=None)

    batch = {"items": [counterparty("C-1", n=1), counterparty("C-2", "P-1", n=2)]}

    assert erp.results("counterparties", batch) == [("updated", ""), ("error", "tax_id_taken")]
    mine.refresh_from_db()
    assert mine.erp_id == "C-1"
    assert Counterparty.objects.filter(tax_id=valid_inn(1)).count() == 1


# --- contacts ------------------------------------------------------------------------------


def test_contacts_are_upserted_per_partner(erp: Erp, partners: tuple[Partner, Partner]) -> None:
    person = {
        "erp_id": "K-1",
        "partner_erp_id": "P-1",
        "full_name": "Ирина Петрова",
        "position": "Закупки",
        "email": "irina@vector.example",
    }
    batch = {"items": [person, {**person, "erp_id": "K-2", "partner_erp_id": "NOPE"}]}
    assert erp.results("contacts", batch) == [("created", ""), ("error", "unknown_partner")]

    again = {"items": [{**person, "phone": "+7 383 000-00-00"}]}
    assert erp.results("contacts", again) == [("updated", "")]
    assert erp.results("contacts", again) == [("unchanged", "")]
    contact = Contact.objects.get(erp_id="K-1")
    assert (contact.partner, contact.phone) == (partners[0], "+7 383 000-00-00")
    moved = {"items": [{**person, "partner_erp_id": "P-2"}]}
    assert erp.results("contacts", moved) == [("error", "partner_mismatch")]


# --- agreements ----------------------------------------------------------------------------


@pytest.fixture
def counterparties(erp: Erp, partners: tuple[Partner, Partner]) -> None:
    batch = {"items": [counterparty("C-1", n=1), counterparty("C-2", "P-2", n=2)]}
    erp.results("counterparties", batch)


def test_agreements_refuse_another_partners_counterparty(erp: Erp, counterparties: None) -> None:
    batch = {
        "items": [
            agreement("A-1", "C-1", is_main=True),
            agreement("A-2", "C-2"),  # C-2 is P-2's
            agreement("A-3", "C-404"),
            agreement("A-4", "C-1", partner="P-404"),
        ]
    }

    assert erp.results("agreements", batch) == [
        ("created", ""),
        ("error", "counterparty_of_other_partner"),
        ("error", "unknown_counterparty"),
        ("error", "unknown_partner"),
    ]
    created = Agreement.objects.get(erp_id="A-1")
    assert (created.partner.erp_id, created.counterparty.erp_id) == ("P-1", "C-1")
    assert created.is_main
    assert created.payment_deferral_days == 30
    assert not Agreement.objects.filter(erp_id__in=["A-2", "A-3", "A-4"]).exists()


def test_one_main_agreement_per_partner_stays(erp: Erp, counterparties: None) -> None:
    erp.results("agreements", {"items": [agreement("A-1", is_main=True), agreement("A-2")]})

    # A-2 becomes main: A-1 is no longer.
    assert erp.results("agreements", {"items": [agreement("A-2", is_main=True)]}) == [
        ("updated", "")
    ]
    assert list(Agreement.objects.filter(is_main=True).values_list("erp_id", flat=True)) == ["A-2"]
    # The main one cannot just stop being main, nor can two be main at once.
    assert erp.results("agreements", {"items": [agreement("A-2", is_main=False)]}) == [
        ("error", "main_required")
    ]
    both = {"items": [agreement("A-1", is_main=True), agreement("A-2", is_main=True)]}
    assert erp.results("agreements", both) == [("updated", ""), ("error", "duplicate_main")]
    assert list(Agreement.objects.filter(is_main=True).values_list("erp_id", flat=True)) == ["A-1"]
    with data_writes() as writes:
        again = {"items": [agreement("A-1", is_main=True), agreement("A-2")]}
        assert erp.results("agreements", again) == [("unchanged", ""), ("unchanged", "")]
    assert writes == []


def test_an_agreement_ending_before_it_starts_is_refused(erp: Erp, counterparties: None) -> None:
    wrong = agreement("A-1", signed_on="2026-05-01", valid_until="2026-04-30")

    assert erp.results("agreements", {"items": [wrong]}) == [("error", "bad_period")]


# --- delivery addresses -------------------------------------------------------------------


def test_delivery_addresses_with_one_default(erp: Erp, counterparties: None) -> None:
    def address(erp_id: str, **extra: Any) -> Any:
        return {
            "erp_id": erp_id,
            "partner_erp_id": "P-1",
            "counterparty_erp_id": "C-1",
            "city": "Новосибирск",
            "address": f"ул. Ленина, {erp_id}",
            **extra,
        }

    batch = {
        "items": [
            address("D-1", is_default=True),
            address("D-2"),
            address("D-3", counterparty_erp_id="C-2"),
        ]
    }
    assert erp.results("delivery-addresses", batch) == [
        ("created", ""),
        ("created", ""),
        ("error", "counterparty_of_other_partner"),
    ]
    assert erp.results("delivery-addresses", {"items": [address("D-2", is_default=True)]}) == [
        ("updated", "")
    ]
    defaults = DeliveryAddress.objects.filter(is_default=True).values_list("erp_id", flat=True)
    assert list(defaults) == ["D-2"]


# --- deletion ------------------------------------------------------------------------------


def test_deleting_a_record_in_use_is_refused_and_nothing_else_changes(
    erp: Erp, partners: tuple[Partner, Partner], partner_admin: User, partner_a: Partner
) -> None:
    order = placed_order(partner_a, partner_admin)
    assert order.agreement is not None
    Agreement.objects.filter(pk=order.agreement.pk).update(erp_id="A-USED")
    erp.results("counterparties", {"items": [counterparty("C-1")]})
    erp.results("agreements", {"items": [agreement("A-FREE", "C-1")]})
    contact = {"erp_id": "K-1", "partner_erp_id": "P-1", "full_name": "Иван"}
    erp.results("contacts", {"items": [contact]})

    batch = {
        "items": [
            {"entity": "agreement", "erp_id": "A-USED"},
            {"entity": "counterparty", "erp_id": "C-1"},  # A-FREE still refers to it
            {"entity": "agreement", "erp_id": "A-FREE"},
            {"entity": "contact", "erp_id": "K-1"},
            {"entity": "contact", "erp_id": "K-404"},
        ]
    }

    assert erp.results("partner-records/delete", batch) == [
        ("error", "in_use"),
        ("error", "in_use"),
        ("deleted", ""),
        ("deleted", ""),
        ("error", "not_found"),
    ]
    assert Agreement.objects.filter(erp_id="A-USED").exists()
    assert Counterparty.objects.filter(erp_id="C-1").exists()
    assert not Agreement.objects.filter(erp_id="A-FREE").exists()
    assert not Contact.objects.filter(erp_id="K-1").exists()
    # Now nothing refers to C-1 any more.
    again = {"items": [{"entity": "counterparty", "erp_id": "C-1"}]}
    assert erp.results("partner-records/delete", again) == [("deleted", "")]


# --- malformed payloads -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("counterparties", {"items": [counterparty("C-1"), counterparty("C-2", tax_id="")]}),
        ("counterparties", {"items": [counterparty("C-1", country="Russia")]}),
        ("agreements", {"items": [agreement("A-1"), agreement("A-2", currency="rub")]}),
        ("agreements", {"items": [agreement("A-1", payment_deferral_days=-1)]}),
        ("contacts", {"items": [{"erp_id": "K-1", "partner_erp_id": "P-1"}]}),
        ("partner-records/delete", {"items": [{"entity": "partner", "erp_id": "P-1"}]}),
        ("delivery-addresses", {"items": [{"erp_id": "D" * 65, "partner_erp_id": "P-1"}]}),
    ],
)
def test_a_malformed_batch_is_refused_whole(
    erp: Erp, partners: tuple[Partner, Partner], path: str, body: Any
) -> None:
    response = erp.post(path, body)

    assert response.status_code == 422
    assert response.json()["code"] == "invalid_payload"
    assert not Counterparty.objects.exists()
    assert not Agreement.objects.exists()
    assert not InboundRequest.objects.exists()
