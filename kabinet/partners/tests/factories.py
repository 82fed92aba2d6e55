from datetime import timedelta

import factory
from django.utils import timezone
from stdnum.ru import inn

from kabinet.accounts.tests.factories import UserFactory
from kabinet.partners.models import (
    Agreement,
    Contact,
    Counterparty,
    DeliveryAddress,
    Invitation,
    Membership,
    Partner,
)
from kabinet.partners.rights import DEFAULT_USER_RIGHTS, Role


def _valid_inn(n: int) -> str:
    base = f"77{n:07d}"
    return base + inn.calc_company_check_digit(base)


class PartnerFactory(factory.django.DjangoModelFactory[Partner]):
    class Meta:
        model = Partner

    name = factory.Sequence(lambda n: f"Partner {n}")
    city = "Москва"


class CounterpartyFactory(factory.django.DjangoModelFactory[Counterparty]):
    class Meta:
        model = Counterparty

    partner = factory.SubFactory(PartnerFactory)
    name = factory.Sequence(lambda n: f"ООО «Контрагент {n}»")
    country = "RU"
    tax_id = factory.Sequence(_valid_inn)
    kpp = "770101001"


class AgreementFactory(factory.django.DjangoModelFactory[Agreement]):
    class Meta:
        model = Agreement

    counterparty = factory.SubFactory(CounterpartyFactory)
    partner = factory.SelfAttribute("counterparty.partner")
    number = factory.Sequence(lambda n: f"AG-{n}")
    price_list = "Дилерская"
    currency = "RUB"
    payment_deferral_days = 30


class DeliveryAddressFactory(factory.django.DjangoModelFactory[DeliveryAddress]):
    class Meta:
        model = DeliveryAddress

    partner = factory.SubFactory(PartnerFactory)
    city = "Москва"
    address = factory.Sequence(lambda n: f"ул. Тверская, {n}")


class ContactFactory(factory.django.DjangoModelFactory[Contact]):
    class Meta:
        model = Contact

    partner = factory.SubFactory(PartnerFactory)
    full_name = factory.Faker("name", locale="ru_RU")
    email = factory.Sequence(lambda n: f"contact{n}@partner.example")


class InvitationFactory(factory.django.DjangoModelFactory[Invitation]):
    class Meta:
        model = Invitation

    partner = factory.SubFactory(PartnerFactory)
    email = factory.Sequence(lambda n: f"invitee{n}@partner.example")
    full_name = factory.Faker("name", locale="ru_RU")
    role = Role.PARTNER_USER
    token_hash = factory.Sequence(lambda n: f"{n:064x}")
    sent_at = factory.LazyFunction(timezone.now)
    expires_at = factory.LazyFunction(lambda: timezone.now() + timedelta(days=7))


class MembershipFactory(factory.django.DjangoModelFactory[Membership]):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    partner = factory.SubFactory(PartnerFactory)
    role = Role.PARTNER_USER
    rights = factory.LazyFunction(lambda: sorted(r.value for r in DEFAULT_USER_RIGHTS))
