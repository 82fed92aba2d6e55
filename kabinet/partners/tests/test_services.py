import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from kabinet.accounts.tests.factories import UserFactory
from kabinet.partners.models import Counterparty, Partner
from kabinet.partners.rights import Right, Role
from kabinet.partners.selectors import staff_partner_list
from kabinet.partners.services import (
    agreement_create,
    counterparty_create,
    membership_create,
    partner_create,
)
from kabinet.partners.tests.factories import CounterpartyFactory, PartnerFactory

pytestmark = pytest.mark.django_db


def test_counterparty_tax_id_is_validated_by_checksum() -> None:
    partner = PartnerFactory.create()
    with pytest.raises(ValidationError) as error:
        counterparty_create(partner=partner, name="Bad", tax_id="7701234561")
    assert error.value.code == "tax_id_invalid"
    assert not Counterparty.objects.exists()


def test_counterparty_tax_id_is_unique_per_country() -> None:
    partner = PartnerFactory.create()
    counterparty_create(partner=partner, name="First", tax_id="7701234560")
    with pytest.raises(ValidationError) as error:
        counterparty_create(partner=PartnerFactory.create(), name="Second", tax_id="7701234560")
    assert error.value.code == "tax_id_taken"
    assert Counterparty.objects.count() == 1
    # The database refuses it too, whatever path a row takes.
    with pytest.raises(IntegrityError), transaction.atomic():
        Counterparty.objects.create(partner=partner, name="Raw", country="RU", tax_id="7701234560")


def test_latvian_registration_number_is_validated() -> None:
    partner = PartnerFactory.create()
    counterparty = counterparty_create(
        partner=partner, name="SIA", country="lv", tax_id="LV 40003000002"
    )
    assert (counterparty.country, counterparty.tax_id) == ("LV", "40003000002")
    with pytest.raises(ValidationError):
        counterparty_create(partner=partner, name="SIA 2", country="LV", tax_id="40003000003")


def test_one_main_agreement_per_partner() -> None:
    counterparty = CounterpartyFactory.create()
    first = agreement_create(counterparty=counterparty, number="A-1", price_list="P", is_main=True)
    second = agreement_create(counterparty=counterparty, number="A-2", price_list="P", is_main=True)
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.is_main, second.is_main) == (False, True)


def test_first_user_of_a_partner_becomes_its_admin() -> None:
    partner = PartnerFactory.create()
    first = membership_create(partner=partner, user=UserFactory.create(), role=Role.PARTNER_USER)
    second = membership_create(partner=partner, user=UserFactory.create(), role=Role.PARTNER_USER)
    assert first.role == Role.PARTNER_ADMIN
    assert second.role == Role.PARTNER_USER
    assert second.granted_rights >= {Right.ORDERS}


def test_partner_is_active_only_while_a_key_user_is_bound() -> None:
    partner = partner_create(name="Exchange-made")
    assert not Partner.objects.with_activity().get(pk=partner.pk).is_active
    user = UserFactory.create()
    membership_create(partner=partner, user=user, role=Role.PARTNER_ADMIN)
    assert Partner.objects.with_activity().get(pk=partner.pk).is_active
    user.is_active = False
    user.save()
    assert not Partner.objects.with_activity().get(pk=partner.pk).is_active


def test_holdings_are_one_level_deep() -> None:
    head = partner_create(name="Head")
    child = partner_create(name="Child", parent=head)
    with pytest.raises(ValidationError):
        partner_create(name="Grandchild", parent=child)


def test_staff_search_by_name_tax_id_and_city_and_filters() -> None:
    manager = UserFactory.create(is_staff=True)
    kazan = partner_create(name="Казанская аптека", city="Казань", manager=manager)
    counterparty_create(partner=kazan, name="ООО «КА»", tax_id="5409876540")
    moscow = partner_create(name="Московская клиника", city="Москва")
    membership_create(partner=moscow, user=UserFactory.create(), role=Role.PARTNER_ADMIN)

    assert list(staff_partner_list(search="казанская")) == [kazan]
    assert list(staff_partner_list(search="5409876540")) == [kazan]
    assert list(staff_partner_list(search="Москва")) == [moscow]
    assert list(staff_partner_list(active=True)) == [moscow]
    assert list(staff_partner_list(active=False)) == [kazan]
    assert list(staff_partner_list(manager_id=manager.pk)) == [kazan]
