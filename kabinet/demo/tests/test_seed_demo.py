from pathlib import Path

import pytest
from django.contrib.auth import authenticate
from django.core.management import call_command
from django.db.models import Model
from django.test import RequestFactory

from kabinet.accounts.models import User
from kabinet.accounts.roles import StaffRole
from kabinet.content.models import InfoPage
from kabinet.demo import data
from kabinet.partners.models import (
    Agreement,
    Contact,
    Counterparty,
    DeliveryAddress,
    Membership,
    Partner,
)

README = Path(__file__).resolve().parents[3] / "README.md"
MODELS: list[type[Model]] = [
    User,
    Partner,
    Counterparty,
    Agreement,
    DeliveryAddress,
    Contact,
    Membership,
    InfoPage,
]

pytestmark = pytest.mark.django_db


def _counts() -> dict[str, int]:
    return {model.__name__: model._default_manager.count() for model in MODELS}


def test_seed_demo_is_idempotent(capsys: pytest.CaptureFixture[str]) -> None:
    call_command("seed_demo", "--catalog-products", "60")
    first = _counts()
    call_command("seed_demo", "--catalog-products", "60")
    assert _counts() == first
    output = capsys.readouterr().out
    assert "already loaded" in output
    for sign_in in data.sign_ins() + data.integration_sign_ins():
        assert sign_in.email in output


def test_demo_has_the_promised_shape() -> None:
    call_command("seed_demo", "--catalog-products", "60")
    partners = Partner.objects.with_activity()
    assert partners.count() >= 4
    heads = [p for p in partners if p.subsidiaries.count() >= 2]
    assert heads, "a holding with two subsidiaries"
    for partner in partners:
        assert partner.counterparties.exists(), partner
        assert partner.agreements.exists(), partner
        assert partner.delivery_addresses.exists(), partner
        assert partner.contacts.exists(), partner
    assert any(not p.is_active for p in partners), "one partner waits for its key user (PRT2)"
    staff_groups = set(User.objects.filter(is_staff=True).values_list("groups__name", flat=True))
    assert {role.value for role in StaffRole} <= staff_groups
    roles = set(Membership.objects.values_list("role", flat=True))
    assert roles == {"partner_admin", "partner_user"}
    assert User.objects.filter(memberships__isnull=False).annotate().distinct().count() >= 4


def test_every_demo_sign_in_works() -> None:
    call_command("seed_demo", "--catalog-products", "60")
    request = RequestFactory().post("/sign-in/")
    for sign_in in data.sign_ins():
        user = authenticate(request, username=sign_in.email, password=data.DEMO_PASSWORD)
        assert user is not None, sign_in.email


def test_readme_lists_every_demo_sign_in() -> None:
    readme = README.read_text()
    assert "| role | company | e-mail | password |" in readme
    for sign_in in data.sign_ins() + data.integration_sign_ins():
        row = f"| {sign_in.role} | {sign_in.company} | {sign_in.email} | {data.DEMO_PASSWORD} |"
        assert row in readme, f"README.md lacks the row: {row}"


def test_a_demo_loaded_before_the_catalog_gets_it_on_the_next_run() -> None:
    from kabinet.catalog.models import Brand, Listing, PriceList, Product, Section

    call_command("seed_demo", "--catalog-products", "60")
    # As a database from before the catalog: every catalog table empty.
    Listing.objects.all().delete()
    Product.objects.all().delete()  # cascades to variants, prices, stock, images, articles
    for section in Section.objects.order_by("-path"):  # leaves first: parents are protected
        section.delete()
    Brand.objects.all().delete()
    PriceList.objects.all().delete()
    call_command("seed_demo", "--catalog-products", "60")
    assert Product.objects.count() == 60
    assert Listing.objects.exists()


def test_the_demo_1c_integration_signs_in_to_the_exchange() -> None:
    from kabinet.integrations.models import IntegrationKind
    from kabinet.integrations.services import basic_authenticate

    call_command("seed_demo", "--catalog-products", "60")
    integration = basic_authenticate(data.ONEC_LOGIN, data.DEMO_PASSWORD)
    assert integration is not None
    assert integration.kind == IntegrationKind.ONEC


def test_the_demo_orders_go_to_both_the_fake_erp_and_1c() -> None:
    from kabinet.demo.erp import DEMO_ERP_NAME
    from kabinet.integrations.models import Integration
    from kabinet.integrations.onec.sale import orders_query
    from kabinet.orders.models import Order
    from kabinet.outbox.models import OutboxMessage, Topic

    call_command("seed_demo", "--catalog-products", "60")
    erp = Integration.objects.get(name=DEMO_ERP_NAME)
    onec = Integration.objects.get(login=data.ONEC_LOGIN)
    submitted = OutboxMessage.objects.filter(topic=Topic.ORDER_SUBMITTED)
    assert submitted.exists()
    assert not submitted.filter(integration__isnull=True).exists()
    for order_id in submitted.values_list("object_id", flat=True):
        copies = submitted.filter(object_id=order_id)
        assert set(copies.values_list("integration_id", flat=True)) == {erp.pk, onec.pk}
    # The fake ERP taking its copies leaves 1C's for its query.
    submitted.filter(integration=erp).update(status="delivered")
    body, message_ids = orders_query(integration=onec)
    assert set(message_ids) == set(submitted.filter(integration=onec).values_list("pk", flat=True))
    order_ids = [int(order_id) for order_id in submitted.values_list("object_id", flat=True)]
    for order in Order.objects.filter(pk__in=order_ids):
        assert order.number.encode() in body
    assert (
        not OutboxMessage.objects.filter(integration=onec)
        .exclude(topic__startswith="order.")
        .exists()
    )
