"""The supplier's integration and outbox pages, and the sync state on the order pages:
real requests through the whole stack. R20: with the ERP down every page still serves."""

import pytest
from django.test import Client
from django.urls import reverse

from kabinet.accounts.models import AuditEvent, AuditKind, User
from kabinet.accounts.roles import StaffRole
from kabinet.accounts.tests.factories import StaffUserFactory
from kabinet.integrations.erp.relay import relay_run
from kabinet.integrations.models import Integration, IntegrationKind, IntegrationToken
from kabinet.integrations.services import (
    integration_create,
    integration_set_active,
    integration_token_create,
    token_authenticate,
)
from kabinet.orders.models import Order
from kabinet.orders.tests.factories import placed_order
from kabinet.outbox.models import MessageStatus, OutboxMessage
from kabinet.partners.models import Partner
from kabinet.partners.services import contact_create
from tests.processes import free_port
from tests.support import signed_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin() -> User:
    return StaffUserFactory.create(email="admin@supplier.example", roles=[StaffRole.ADMINISTRATOR])


def _message_of(order: Order) -> OutboxMessage:
    return OutboxMessage.objects.get(object_type="order", object_id=str(order.pk))


def _staff_urls(message: OutboxMessage, integration: Integration) -> list[str]:
    token, _raw = integration_token_create(integration=integration, name="x", actor=None)
    return [
        reverse("integrations:staff_list"),
        reverse("integrations:token_new", args=[integration.pk]),
        reverse("integrations:token_revoke", args=[token.pk]),
        reverse("integrations:password", args=[integration.pk]),
        reverse("integrations:active", args=[integration.pk]),
        reverse("integrations:outbox"),
        reverse("integrations:outbox_retry_all"),
        reverse("integrations:outbox_message", args=[message.pk]),
        reverse("integrations:outbox_retry", args=[message.pk]),
    ]


def test_partner_users_get_404_and_staff_without_the_right_403(
    partner_a: Partner, partner_admin: User, staff_editor: User
) -> None:
    message = _message_of(placed_order(partner_a, partner_admin, lines=1))
    integration = integration_create(name="ERP", kind=IntegrationKind.ONEC, actor=None)
    urls = _staff_urls(message, integration)
    partner, editor = signed_in(partner_admin), signed_in(staff_editor)
    for url in urls:
        for method in ("get", "post"):
            assert getattr(partner, method)(url).status_code == 404, url
            assert getattr(editor, method)(url).status_code == 403, url
    assert not IntegrationToken.objects.filter(name="").exists()
    assert not AuditEvent.objects.filter(kind=AuditKind.OUTBOX_RETRIED).exists()
    integration.refresh_from_db()
    assert integration.is_active, "not switched off"


def test_staff_create_an_integration_and_a_token_shown_once(admin: User) -> None:
    client = signed_in(admin)
    page = client.get(reverse("integrations:staff_list"))
    assert page.status_code == 200
    assert f'href="{reverse("integrations:outbox")}"' in page.content.decode()  # the menu

    created = client.post(
        reverse("integrations:staff_list"),
        {"name": "Main ERP", "kind": "erp_api", "outbound_url": "https://erp.example/in"},
    )
    assert created.status_code == 303
    integration = Integration.objects.get(name="Main ERP")
    assert integration.outbound_secret, "a pushed-to integration gets a signing secret"
    assert AuditEvent.objects.filter(kind=AuditKind.INTEGRATION_CREATED, actor=admin).exists()
    again = client.post(reverse("integrations:staff_list"), {"name": "main erp", "kind": "onec"})
    assert again.status_code == 400

    shown = client.post(reverse("integrations:token_new", args=[integration.pk]), {"name": "1"})
    assert shown.status_code == 200
    assert shown["Cache-Control"] == "no-store"
    raw = shown.context["new_token"][1]
    assert raw in shown.content.decode()
    assert token_authenticate(raw) == integration
    token = IntegrationToken.objects.get(integration=integration)
    assert raw not in token.digest
    assert raw not in client.get(reverse("integrations:staff_list")).content.decode()

    revoked = client.post(reverse("integrations:token_revoke", args=[token.pk]))
    assert revoked.status_code == 303
    assert token_authenticate(raw) is None


def test_staff_set_the_1c_password(admin: User) -> None:
    onec = integration_create(name="1C", kind=IntegrationKind.ONEC, actor=None, login="site")
    client = signed_in(admin)
    url = reverse("integrations:password", args=[onec.pk])
    assert client.post(url, {"password": "short"}).status_code == 303
    onec.refresh_from_db()
    assert not onec.check_password("short"), "a weak password is refused"
    assert client.post(url, {"password": "Exchange-with-1C-2026"}).status_code == 303
    onec.refresh_from_db()
    assert onec.check_password("Exchange-with-1C-2026")
    assert AuditEvent.objects.filter(kind=AuditKind.INTEGRATION_CHANGED, actor=admin).exists()


def test_the_outbox_list_filters_and_pages(
    partner_a: Partner, partner_b: Partner, staff_manager: User
) -> None:
    for n in range(60):
        contact_create(partner=partner_a if n % 2 else partner_b, full_name=f"Contact {n}")
    failed = OutboxMessage.objects.order_by("pk").first()
    assert failed is not None
    OutboxMessage.objects.filter(pk=failed.pk).update(status=MessageStatus.FAILED)
    client = signed_in(staff_manager)
    url = reverse("integrations:outbox")

    first = client.get(url)
    assert first.status_code == 200
    page = first.context["page"]
    assert len(page.messages) == 50
    second = client.get(url, {"before": page.next_before})
    assert len(second.context["page"].messages) == 10
    seen = {m.pk for m in page.messages} | {m.pk for m in second.context["page"].messages}
    assert len(seen) == 60
    only_failed = client.get(url, {"status": "failed"}).context["page"].messages
    assert [m.pk for m in only_failed] == [failed.pk]
    of_a = client.get(url, {"partner": partner_a.pk}).context["page"].messages
    assert {m.partner_id for m in of_a} == {partner_a.pk}
    assert client.get(url, {"topic": "order.submitted"}).context["page"].messages == []
    assert client.get(url, {"before": "nonsense"}).status_code == 200


def test_a_failed_message_shows_its_error_and_staff_retry_it(
    partner_a: Partner, partner_user: User, staff_manager: User, settings: object
) -> None:
    settings.OUTBOX_MAX_ATTEMPTS = 1  # type: ignore[attr-defined]
    integration_create(
        name="Down",
        kind=IntegrationKind.ERP_API,
        actor=None,
        outbound_url=f"http://127.0.0.1:{free_port()}/",
    )
    order = placed_order(partner_a, partner_user, lines=1)
    relay_run()
    message = _message_of(order)
    assert message.status == MessageStatus.FAILED
    client = signed_in(staff_manager)
    page = client.get(reverse("integrations:outbox_message", args=[message.pk])).content.decode()
    assert "unreachable: ConnectError" in page
    assert 'data-testid="message-retry"' in page
    staff_order = client.get(reverse("orders:staff_detail", args=[order.pk])).content.decode()
    assert 'data-sync="failed"' in staff_order
    partner_page = signed_in(partner_user).get(reverse("orders:detail", args=[order.pk]))
    assert 'data-sync="failed"' in partner_page.content.decode()

    retried = client.post(reverse("integrations:outbox_retry", args=[message.pk]))
    assert retried.status_code == 303
    message.refresh_from_db()
    assert (message.status, message.attempts) == (MessageStatus.PENDING, 0)
    assert (
        AuditEvent.objects.filter(kind=AuditKind.OUTBOX_RETRIED, actor=staff_manager).count() == 1
    )
    client.post(reverse("integrations:outbox_retry", args=[message.pk]))  # not failed: no-op
    assert AuditEvent.objects.filter(kind=AuditKind.OUTBOX_RETRIED).count() == 1

    relay_run()
    OutboxMessage.objects.update(status=MessageStatus.FAILED)
    assert client.post(reverse("integrations:outbox_retry_all")).status_code == 303
    assert not OutboxMessage.objects.filter(status=MessageStatus.FAILED).exists()


def test_r20_with_the_erp_down_the_pages_serve_and_show_pending(
    partner_a: Partner, partner_user: User, staff_manager: User
) -> None:
    integration_create(
        name="Down",
        kind=IntegrationKind.ERP_API,
        actor=None,
        outbound_url=f"http://127.0.0.1:{free_port()}/",
    )
    orders = [placed_order(partner_a, partner_user, lines=1) for _ in range(3)]
    relay_run()  # every attempt fails to connect
    assert not OutboxMessage.objects.exclude(status=MessageStatus.PENDING).exists()
    partner, staff = signed_in(partner_user), signed_in(staff_manager)
    pages = [
        (partner, reverse("orders:detail", args=[orders[0].pk])),
        (partner, reverse("orders:list")),
        (staff, reverse("orders:staff_detail", args=[orders[0].pk])),
        (staff, reverse("orders:staff_list")),
        (staff, reverse("integrations:outbox")),
        (staff, reverse("integrations:outbox_message", args=[_message_of(orders[0]).pk])),
    ]
    for client, url in pages:
        response = client.get(url)
        assert response.status_code == 200, url
    detail = partner.get(reverse("orders:detail", args=[orders[0].pk])).content.decode()
    assert 'data-sync="waiting"' in detail
    outbox = staff.get(reverse("integrations:outbox")).content.decode()
    assert outbox.count('data-status="pending"') == 3


def test_the_sync_state_follows_the_message_and_is_the_partners_own(
    partner_a: Partner, partner_user: User, partner_b: Partner, other_partner_user: User
) -> None:
    mine = placed_order(partner_a, partner_user, lines=1)
    theirs = placed_order(partner_b, other_partner_user, lines=1)
    OutboxMessage.objects.filter(object_id=str(theirs.pk)).update(status=MessageStatus.FAILED)
    client: Client = signed_in(partner_user)
    url = reverse("orders:detail", args=[mine.pk])
    assert 'data-sync="waiting"' in client.get(url).content.decode()
    OutboxMessage.objects.filter(object_id=str(mine.pk)).update(status=MessageStatus.DELIVERED)
    assert 'data-sync="sent"' in client.get(url).content.decode()
    Order.objects.filter(pk=mine.pk).update(erp_number="ЗК-00042")
    page = client.get(url).content.decode()
    assert 'data-sync="accepted"' in page
    assert "ЗК-00042" in page
    assert client.get(reverse("orders:detail", args=[theirs.pk])).status_code == 404
    draft = placed_order(partner_a, partner_user, lines=1, submit=False)
    assert (
        'data-testid="order-sync"'
        not in client.get(reverse("orders:detail", args=[draft.pk])).content.decode()
    )


def test_the_outbox_list_shows_and_filters_by_integration(
    partner_a: Partner, partner_user: User, staff_manager: User
) -> None:
    early = placed_order(partner_a, partner_user, lines=1)  # before any integration: unrouted
    contact_create(partner=partner_a, full_name="Waits for an ERP")
    onec = integration_create(name="1C", kind=IntegrationKind.ONEC, actor=None, login="1c")
    erp = integration_create(name="Main ERP", kind=IntegrationKind.ERP_API, actor=None)
    integration_set_active(integration=erp, is_active=False, actor=None)
    contact_create(partner=partner_a, full_name="Nobody active takes it")
    both = placed_order(partner_a, partner_user, lines=1)
    client = signed_in(staff_manager)
    url = reverse("integrations:outbox")

    def listed(**query: int) -> list[OutboxMessage]:
        response = client.get(url, query)
        assert response.status_code == 200
        return list(response.context["page"].messages)

    of_1c = listed(integration=onec.pk)
    assert {m.object_id for m in of_1c} == {str(early.pk), str(both.pk)}
    assert {m.integration_id for m in of_1c} == {onec.pk}
    of_erp = listed(integration=erp.pk)
    # It took the contacts waiting for it, and was off when the second order was placed.
    assert of_erp[0].payload["contact"]["full_name"] == "Waits for an ERP"
    assert {m.object_type for m in of_erp} == {"contact"}
    unrouted = listed(integration=0)
    assert [m.payload["contact"]["full_name"] for m in unrouted] == ["Nobody active takes it"]
    assert listed(integration=999_999) == listed()  # not a choice: the filter is ignored

    page = client.get(url).content.decode()
    assert f'data-integration="{onec.pk}"' in page
    assert f'href="?integration={erp.pk}"' in page
    detail = client.get(reverse("integrations:outbox_message", args=[of_erp[0].pk]))
    assert "Main ERP" in detail.content.decode()


def test_staff_switch_an_integration_off_and_on(
    admin: User, staff_manager: User, partner_a: Partner
) -> None:
    erp = integration_create(name="Main ERP", kind=IntegrationKind.ERP_API, actor=None)
    contact_create(partner=partner_a, full_name="Anna")
    client = signed_in(admin)
    page = client.get(reverse("integrations:staff_list")).content.decode()
    assert f'href="{reverse("integrations:outbox")}?integration={erp.pk}"' in page
    assert 'data-testid="integration-deactivate"' in page
    url = reverse("integrations:active", args=[erp.pk])

    assert signed_in(staff_manager).post(url, {"is_active": "0"}).status_code == 403
    erp.refresh_from_db()
    assert erp.is_active, "refused: nothing changed"

    assert client.post(url, {"is_active": "0"}).status_code == 303
    erp.refresh_from_db()
    assert not erp.is_active
    assert AuditEvent.objects.filter(kind=AuditKind.INTEGRATION_CHANGED, actor=admin).count() == 1
    assert OutboxMessage.objects.filter(integration=erp, status=MessageStatus.PENDING).exists()
    page = client.get(reverse("integrations:staff_list")).content.decode()
    assert 'data-testid="integration-activate"' in page
    assert client.post(url, {"is_active": "1"}).status_code == 303
    erp.refresh_from_db()
    assert erp.is_active


def test_the_staff_order_page_shows_each_integrations_delivery(
    partner_a: Partner, partner_user: User, staff_manager: User
) -> None:
    onec = integration_create(name="1C", kind=IntegrationKind.ONEC, actor=None, login="1c")
    erp = integration_create(name="Main ERP", kind=IntegrationKind.ERP_API, actor=None)
    order = placed_order(partner_a, partner_user, lines=1)
    OutboxMessage.objects.filter(integration=erp).update(status=MessageStatus.DELIVERED)
    staff_page = signed_in(staff_manager).get(reverse("orders:staff_detail", args=[order.pk]))
    html = staff_page.content.decode()
    assert 'data-sync="sent"' in html, "the ERP has it (1C has not asked yet)"
    assert html.count('data-testid="order-delivery"') == 2
    assert 'data-status="delivered"' in html
    assert 'data-status="pending"' in html
    assert onec.name in html
    assert erp.name in html
    partner_page = signed_in(partner_user).get(reverse("orders:detail", args=[order.pk]))
    assert 'data-sync="sent"' in partner_page.content.decode()
    assert 'data-testid="order-delivery"' not in partner_page.content.decode()
