"""Shared fixtures: named personas of two partner companies and the supplier's staff.

A is the partner the signed-in user belongs to; B is the other company whose data must never
leak to A (ACC10). External services the suite needs (PostgreSQL, Redis, Chromium) are found
through the environment; under CI=true a missing one fails the run instead of skipping it.
"""

import shutil

import pytest
from django.test import Client

from kabinet.accounts.models import User
from kabinet.accounts.roles import StaffRole
from kabinet.accounts.tests.factories import StaffUserFactory, UserFactory
from kabinet.partners.models import Partner
from kabinet.partners.rights import Right, Role
from kabinet.partners.tests.factories import (
    AgreementFactory,
    ContactFactory,
    CounterpartyFactory,
    DeliveryAddressFactory,
    MembershipFactory,
    PartnerFactory,
)
from tests.support import CHROMIUM, require_service, signed_in


@pytest.fixture(autouse=True)
def _fresh_catalog_cache() -> None:
    """Facets cached by an earlier test must not be read back: on SQLite a rolled-back
    price list's id is given again to the next test's."""
    from kabinet.catalog.selectors import listings_changed

    listings_changed()


@pytest.fixture
def chromium_path() -> str:
    require_service(shutil.which(CHROMIUM) is not None, f"Chromium ({CHROMIUM})")
    return CHROMIUM


def _full_partner(name: str) -> Partner:
    partner = PartnerFactory.create(name=name)
    counterparty = CounterpartyFactory.create(partner=partner, name=f"{name} LLC")
    AgreementFactory.create(counterparty=counterparty, is_main=True)
    DeliveryAddressFactory.create(partner=partner, counterparty=counterparty, is_default=True)
    ContactFactory.create(partner=partner, full_name=f"{name} Contact")
    return partner


@pytest.fixture
def partner_a(db: None) -> Partner:
    return _full_partner("Alpha Medical")


@pytest.fixture
def partner_b(db: None) -> Partner:
    return _full_partner("Beta Clinic")


@pytest.fixture
def partner_admin(partner_a: Partner) -> User:
    user = UserFactory.create(email="admin@alpha.example", full_name="Anna Admin")
    MembershipFactory.create(user=user, partner=partner_a, role=Role.PARTNER_ADMIN, rights=[])
    return user


@pytest.fixture
def partner_user(partner_a: Partner, partner_admin: User) -> User:
    user = UserFactory.create(email="user@alpha.example", full_name="Ulyana User")
    MembershipFactory.create(user=user, partner=partner_a, rights=[Right.ORDERS.value])
    return user


@pytest.fixture
def other_partner_user(partner_b: Partner) -> User:
    user = UserFactory.create(email="admin@beta.example", full_name="Boris Beta")
    MembershipFactory.create(user=user, partner=partner_b, role=Role.PARTNER_ADMIN, rights=[])
    return user


@pytest.fixture
def staff_manager(db: None) -> User:
    return StaffUserFactory.create(
        email="manager@supplier.example", full_name="Mikhail Manager", roles=[StaffRole.MANAGER]
    )


@pytest.fixture
def staff_editor(db: None) -> User:
    return StaffUserFactory.create(
        email="editor@supplier.example", full_name="Elena Editor", roles=[StaffRole.CONTENT_EDITOR]
    )


@pytest.fixture
def admin_client_a(partner_admin: User) -> Client:
    return signed_in(partner_admin)


@pytest.fixture
def user_client_a(partner_user: User) -> Client:
    return signed_in(partner_user)


@pytest.fixture
def manager_client(staff_manager: User) -> Client:
    return signed_in(staff_manager)
