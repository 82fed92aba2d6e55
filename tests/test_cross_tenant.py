"""The cross-tenant sweep (QUALITY.md R1, PRODUCT.md ACC10).

Every URL pattern that takes an object id is listed in OBJECT_ROUTES with a factory that gives
the URL's parameters for partner B's objects. Signed in as partner A, every one must answer
404 to GET and POST, and B's data must stay exactly as it was. A new pattern with parameters
that is not listed here fails `test_every_object_route_is_covered`: covering it is part of
adding it.
"""

from collections.abc import Callable
from typing import Any

import pytest
from django.apps import apps
from django.db import models
from django.test import Client
from django.urls import reverse

from kabinet.accounts.models import User
from kabinet.partners.models import Membership, Partner
from kabinet.partners.tests.factories import InvitationFactory
from tests.urls_inventory import Route, all_routes

type ParamsFactory = Callable[[Partner], dict[str, Any]]


def _member(b: Partner) -> dict[str, Any]:
    return {"membership_id": b.memberships.order_by("pk").first().pk}  # type: ignore[union-attr]


def _invitation(b: Partner) -> dict[str, Any]:
    return {"invitation_id": InvitationFactory.create(partner=b).pk}


def _user(b: Partner) -> dict[str, Any]:
    return {"user_id": b.memberships.order_by("pk").first().user_id}  # type: ignore[union-attr]


def _product_of_b(b: Partner) -> dict[str, Any]:
    """A product only a price list of B's agreements sells (both partners' main agreements
    share the default price list, which sells something else)."""
    from kabinet.catalog.tests.factories import PriceListFactory, listed_product
    from kabinet.partners.tests.factories import AgreementFactory

    shared = PriceListFactory.create(code=b.agreements.get(is_main=True).price_list)
    listed_product(price_lists=[shared], name="Shared gown")
    own = PriceListFactory.create(code="Beta special")
    AgreementFactory.create(counterparty=b.counterparties.get(), price_list=own.code)
    return {"product_id": listed_product(price_lists=[own], name="Beta-only gown").pk}


def _cart_line_of_b(b: Partner) -> dict[str, Any]:
    """A line of the cart of B's user (A's admin must not reach it, even by its id)."""
    from kabinet.catalog.tests.factories import price_list_of_agreement
    from kabinet.orders.tests.factories import cart_line_of

    member = b.memberships.order_by("pk").first()
    assert member is not None
    price_list = price_list_of_agreement(b.agreements.get(is_main=True))
    return {"line_id": cart_line_of(b, member.user, price_list).pk}


def _order_of_b(b: Partner) -> dict[str, Any]:
    """A submitted order of B's (staff pages show submitted ones; partner pages any)."""
    from kabinet.orders.tests.factories import placed_order

    member = b.memberships.order_by("pk").first()
    assert member is not None
    return {"order_id": placed_order(b, member.user, lines=2).pk}


def _draft_of_b(b: Partner) -> dict[str, Any]:
    from kabinet.orders.tests.factories import placed_order

    member = b.memberships.order_by("pk").first()
    assert member is not None
    return {"order_id": placed_order(b, member.user, lines=2, submit=False).pk}


def _quick_order_of_b(b: Partner) -> dict[str, Any]:
    """An order file B's user uploaded and had read (its report is ready)."""
    from kabinet.orders.tests.factories import quick_order_import_of

    member = b.memberships.order_by("pk").first()
    assert member is not None
    return {"import_id": quick_order_import_of(b, member.user).pk}


def _article_of_b(b: Partner) -> dict[str, Any]:
    """One of B's own article codes."""
    from kabinet.catalog.tests.factories import PartnerArticleFactory

    return {"article_id": PartnerArticleFactory.create(partner=b, code="BETA-OWN-1").pk}


def _article_upload_of_b(b: Partner) -> dict[str, Any]:
    """A table of own codes B's user uploaded, waiting for confirmation."""
    from kabinet.catalog.tests.factories import article_upload_of

    member = b.memberships.order_by("pk").first()
    assert member is not None
    return {"upload_id": article_upload_of(b, member.user).pk}


def _outbox_message_of_b(b: Partner) -> dict[str, Any]:
    """A message to the ERP about B's contact, failed (so its retry would act)."""
    from kabinet.outbox.models import MessageStatus, OutboxMessage
    from kabinet.partners.services import contact_create

    contact = contact_create(partner=b, full_name="Beta Outbox Contact")
    message = OutboxMessage.objects.get(object_type="contact", object_id=str(contact.pk))
    OutboxMessage.objects.filter(pk=message.pk).update(status=MessageStatus.FAILED)
    return {"message_id": message.pk}


# URL name → the parameters naming one of partner B's objects.
OBJECT_ROUTES: dict[str, ParamsFactory] = {
    "partners:staff_card": lambda b: {"partner_id": b.pk},
    "partners:staff_invite": lambda b: {"partner_id": b.pk},
    "partners:member": _member,
    "partners:member_block": _member,
    "partners:member_unblock": _member,
    "partners:member_expiry": _member,
    "partners:member_remove": _member,
    "partners:contact_invite": lambda b: {"contact_id": b.contacts.order_by("pk").first().pk},  # type: ignore[union-attr]
    "partners:invitation_resend": _invitation,
    "partners:invitation_revoke": _invitation,
    "partners:staff_invitation_resend": _invitation,
    "partners:staff_invitation_revoke": _invitation,
    "partners:staff_user_block": _user,
    "partners:staff_user_unblock": _user,
    "partners:staff_user_expiry": _user,
    "partners:staff_user_password": _user,
    "catalog:product": _product_of_b,
    "catalog:own_code_delete": _article_of_b,
    "catalog:own_codes_report": _article_upload_of_b,
    "catalog:own_codes_apply": _article_upload_of_b,
    "catalog:own_codes_discard": _article_upload_of_b,
    "orders:line_quantity": _cart_line_of_b,
    "orders:line_remove": _cart_line_of_b,
    "orders:detail": _draft_of_b,  # a draft's page is also its edit form (POST saves)
    "orders:submit": _draft_of_b,
    "orders:cancel": _order_of_b,
    "orders:copy": _order_of_b,
    "orders:staff_detail": _order_of_b,
    "orders:staff_status": _order_of_b,
    "orders:quick_order_map": _quick_order_of_b,
    "orders:quick_order_preview": _quick_order_of_b,
    "orders:quick_order_result": _quick_order_of_b,
    "orders:quick_order_progress": _quick_order_of_b,
    "orders:quick_order_apply": _quick_order_of_b,
    "orders:quick_order_report": _quick_order_of_b,
    "integrations:outbox_message": _outbox_message_of_b,
    "integrations:outbox_retry": _outbox_message_of_b,
}

# Patterns with parameters that do not name a partner's object, and why.
NOT_PARTNER_OBJECTS: dict[str, str] = {
    "content:page": "public information pages (ACC1) belong to no partner; the slug is public",
    "partners:invitation": "the secret token is the key (tests/test_invitations_flow.py: an "
    "unknown, used, revoked or expired token gets the same refusal and changes nothing)",
    "accounts:password_reset_confirm": "Django's signed reset link (uid + token), checked by "
    "Django; see kabinet/accounts/tests/test_passwords.py",
    "integrations:token_new": "integrations are the supplier's, not a partner's: staff only "
    "(kabinet/integrations/tests/test_staff_pages.py: partner users get 404)",
    "integrations:token_revoke": "an integration's token: staff only, as integrations:token_new",
    "integrations:password": "an integration's 1C password: staff only, as integrations:token_new",
    "integrations:active": "switching an integration on or off: staff only, as "
    "integrations:token_new",
}


def _is_admin(route: Route) -> bool:
    # Django's admin is for staff only: non-staff are sent to its sign-in page before any
    # object is looked up. Swept by test_admin_object_routes_refuse_partner_users.
    return route.route.startswith("admin/")


def _object_routes() -> list[Route]:
    return [route for route in all_routes() if route.params]


def test_every_object_route_is_covered() -> None:
    uncovered = [
        f"{route.name} ({route.route})"
        for route in _object_routes()
        if not _is_admin(route)
        and route.name not in OBJECT_ROUTES
        and route.name not in NOT_PARTNER_OBJECTS
    ]
    assert not uncovered, (
        "URL patterns with object ids that the cross-tenant sweep does not cover; add them "
        f"to OBJECT_ROUTES in {__file__}: {uncovered}"
    )
    stale = set(OBJECT_ROUTES) - {route.name for route in _object_routes()}
    assert not stale, f"OBJECT_ROUTES lists routes that no longer exist: {stale}"


def _has_partner(model: type[models.Model] | None) -> bool:
    return model is not None and any(f.name == "partner" for f in model._meta.get_fields())


def _partner_owned_models() -> list[tuple[type[models.Model], str]]:
    """Models with their lookup to the partner: their own `partner`, or their parent's
    (a cart line belongs to the partner of its cart)."""
    owned: list[tuple[type[models.Model], str]] = []
    for model in apps.get_models():
        if model is Partner:
            owned.append((model, "pk"))
        elif _has_partner(model):
            owned.append((model, "partner"))
        else:
            parents = [
                f.name
                for f in model._meta.get_fields()
                if f.many_to_one
                and f.concrete
                and f.related_model is not Partner
                and _has_partner(f.related_model)
            ]
            if len(parents) == 1:
                owned.append((model, f"{parents[0]}__partner"))
    return owned


def snapshot(partner: Partner) -> dict[str, list[dict[str, Any]]]:
    """Every row of every partner-owned model that belongs to `partner`, with all fields."""
    rows: dict[str, list[dict[str, Any]]] = {}
    for model, lookup in _partner_owned_models():
        queryset = model._default_manager.filter(**{lookup: partner.pk})
        rows[model._meta.label] = list(queryset.order_by("pk").values())
    members = User.objects.filter(memberships__partner=partner).order_by("pk")
    rows["accounts.User"] = [dict(row) for row in members.values()]
    return rows


@pytest.fixture
def client_a(partner_admin: User) -> Client:
    client = Client()
    client.force_login(partner_admin)
    return client


@pytest.mark.parametrize("url_name", sorted(OBJECT_ROUTES))
def test_partner_a_gets_404_for_partner_b_objects(
    url_name: str, client_a: Client, partner_b: Partner, other_partner_user: User
) -> None:
    url = reverse(url_name, kwargs=OBJECT_ROUTES[url_name](partner_b))
    before = snapshot(partner_b)
    assert any(before.values())

    for method in ("get", "post", "put", "patch", "delete"):
        response = getattr(client_a, method)(url)
        assert response.status_code == 404, f"{method.upper()} {url}"
        assert "Beta" not in response.content.decode(), f"{method.upper()} {url} leaks B's name"

    assert snapshot(partner_b) == before


def test_admin_object_routes_refuse_partner_users(
    client_a: Client, partner_b: Partner, other_partner_user: User
) -> None:
    before = snapshot(partner_b)
    admin_routes = [route for route in _object_routes() if _is_admin(route)]
    assert admin_routes, "the admin registers object routes; the sweep must see them"
    for route in admin_routes:
        kwargs = {name: str(partner_b.pk) for name in route.params}
        url = "/" + route.route
        for name, value in kwargs.items():
            url = url.replace(f"<path:{name}>", value).replace(f"<{name}>", value)
        for method in ("get", "post"):
            response = getattr(client_a, method)(url)
            assert response.status_code == 302, f"{method.upper()} {url}"
            assert response["Location"].startswith("/admin/login/"), url
    assert snapshot(partner_b) == before


def test_switching_to_a_partner_one_does_not_belong_to_is_404(
    client_a: Client, partner_admin: User, partner_b: Partner, other_partner_user: User
) -> None:
    before = list(Membership.objects.order_by("pk").values())
    response = client_a.post(reverse("partners:switch"), {"partner": partner_b.pk})
    assert response.status_code == 404
    assert list(Membership.objects.order_by("pk").values()) == before
    # Still working in A.
    page = client_a.get(reverse("partners:company")).content.decode()
    assert "Alpha Medical" in page
    assert "Beta Clinic" not in page


@pytest.mark.parametrize(
    "url_name",
    [
        "partners:company",
        "partners:counterparties",
        "partners:agreements",
        "partners:addresses",
        "partners:contacts",
        "partners:subsidiaries",
        "web:home",
    ],
)
def test_partner_pages_show_none_of_partner_b_data(
    url_name: str, client_a: Client, partner_b: Partner, other_partner_user: User
) -> None:
    """R2: B's sentinel values appear nowhere in A's pages."""
    page = client_a.get(reverse(url_name)).content.decode()
    counterparty = partner_b.counterparties.get()
    sentinels = [
        partner_b.name,
        counterparty.name,
        counterparty.tax_id,
        partner_b.agreements.get().number,
        partner_b.delivery_addresses.get().address,
        partner_b.contacts.get().full_name,
        other_partner_user.email,
    ]
    leaked = [value for value in sentinels if value in page]
    assert not leaked
