"""R8: every unsafe request without a CSRF token is refused (403), and no GET changes state.

Swept over every URL pattern of the project, so a new route is covered the day it is added.
"""

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from kabinet.accounts.models import AuditEvent, User
from kabinet.partners.models import Partner
from kabinet.partners.tests.factories import InvitationFactory
from tests.support import signed_in
from tests.urls_inventory import Route, all_routes

# Machine-to-machine endpoints: authenticated per request, never by the session cookie.
MACHINE_PREFIXES = ("/api/v1/", "/exchange/1c/")


def _own_cart_line(partner: Partner, user: User) -> int:
    from kabinet.catalog.tests.factories import price_list_of_agreement
    from kabinet.orders.tests.factories import cart_line_of

    price_list = price_list_of_agreement(partner.agreements.get(is_main=True))
    return cart_line_of(partner, user, price_list).pk


def _own_quick_order(partner: Partner, user: User) -> int:
    from kabinet.orders.tests.factories import quick_order_import_of

    return quick_order_import_of(partner, user).pk


def _own_article(partner: Partner) -> int:
    from kabinet.catalog.tests.factories import PartnerArticleFactory

    return PartnerArticleFactory.create(partner=partner).pk


def _own_article_upload(partner: Partner, user: User) -> int:
    from kabinet.catalog.tests.factories import article_upload_of

    return article_upload_of(partner, user).pk


def _own_outbox_message(partner: Partner) -> int:
    from kabinet.outbox.models import OutboxMessage
    from kabinet.partners.services import contact_create

    contact = contact_create(partner=partner, full_name="Outbox Contact")
    return OutboxMessage.objects.get(object_type="contact", object_id=str(contact.pk)).pk


def _an_integration_token() -> tuple[int, int]:
    from kabinet.integrations.models import IntegrationKind
    from kabinet.integrations.services import integration_create, integration_token_create

    integration = integration_create(name="Swept ERP", kind=IntegrationKind.ONEC, actor=None)
    token, _raw = integration_token_create(integration=integration, name="t", actor=None)
    return integration.pk, token.pk


def _urls(partner: Partner, user: User) -> list[str]:
    """Every portal URL, its parameters naming the partner's own objects so views really run.
    (Django's admin has its own CSRF-protected forms and is Django's to test.)"""
    own = {
        "partner_id": partner.pk,
        "membership_id": partner.memberships.get(user=user).pk,
        "contact_id": partner.contacts.order_by("pk").first().pk,  # type: ignore[union-attr]
        "invitation_id": InvitationFactory.create(partner=partner).pk,
        "user_id": user.pk,
        "slug": "about",
        "token": "not-a-real-token",
        "uidb64": "MQ",
        "line_id": _own_cart_line(partner, user),
        "import_id": _own_quick_order(partner, user),
        "article_id": _own_article(partner),
        "upload_id": _own_article_upload(partner, user),
        "message_id": _own_outbox_message(partner),
    }
    own["integration_id"], own["token_id"] = _an_integration_token()
    routes: list[Route] = [r for r in all_routes() if not r.route.startswith("admin/")]
    return [
        reverse(route.name, kwargs={name: own.get(name, "1") for name in route.params})
        for route in routes
    ]


def _state() -> dict[str, Any]:
    from django.apps import apps

    counts: dict[str, Any] = {}
    for model in apps.get_models():
        if model._meta.app_label in {
            "partners",
            "accounts",
            "content",
            "scheduler",
            "otp_totp",
            "otp_static",
            "orders",
            "finance",
            "catalog",
            "integrations",
            "outbox",
        }:
            rows = model._default_manager.order_by("pk").values()
            counts[model._meta.label] = [
                {k: v for k, v in row.items() if k not in {"last_login"}} for row in rows
            ]
    counts.pop("accounts.AuditEvent", None)  # reads of refused pages are logged, by design
    counts.pop("accounts.Session", None)  # session storage: the idle timeout's refresh
    return counts


@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
def test_unsafe_requests_without_a_csrf_token_are_refused(
    method: str, partner_admin: User, partner_a: Partner, staff_manager: User
) -> None:
    urls = _urls(partner_a, partner_admin)
    for user in (partner_admin, staff_manager):
        client = Client(enforce_csrf_checks=True)
        client.force_login(user)
        before = _state()
        for url in urls:
            response = getattr(client, method)(url, {"language": "en", "partner": partner_a.pk})
            # The ERP's exchange API ignores sessions (a token or nothing), so a forged
            # cross-site request carries no credentials: it is refused as unauthenticated
            # (or as a method the operation does not have).
            refused = (401, 405) if url.startswith(MACHINE_PREFIXES) else (403,)
            assert response.status_code in refused, f"{method.upper()} {url} as {user}"
        assert _state() == before


def test_get_changes_nothing_anywhere(
    partner_admin: User, partner_a: Partner, staff_manager: User
) -> None:
    urls = _urls(partner_a, partner_admin)
    for user in (partner_admin, staff_manager):
        client = signed_in(user)
        before = _state()
        events_before = AuditEvent.objects.exclude(kind="access_denied").count()
        for url in urls:
            client.get(url)
        assert _state() == before
        assert AuditEvent.objects.exclude(kind="access_denied").count() == events_before
