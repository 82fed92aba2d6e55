"""The header and sidebar are rendered once per content and reused (web.chrome): what
changes must still show on the very next page, and each page keeps its own CSRF token and
address."""

import re

from django.test import Client
from django.urls import reverse
from django.utils.translation import gettext, override

from kabinet.accounts.models import User
from kabinet.partners.models import Membership, Partner
from kabinet.partners.rights import Right
from kabinet.partners.services import membership_select
from kabinet.partners.tests.factories import MembershipFactory
from tests.support import signed_in

COMPANY = "/company/"


def ru(text: str) -> str:
    """As the pages show it (Russian is the default language)."""
    with override("ru"):
        return gettext(text)


def _sidebar_links(html: str) -> list[str]:
    sidebar = html.split('data-testid="sidebar"', 1)[1].split("</nav>", 1)[0]
    return re.findall(r'class="sidebar-link[^"]*"[^>]*>([^<]+)</a>', sidebar)


def test_a_right_taken_away_leaves_the_menu_on_the_next_page(
    partner_user: User, partner_a: Partner
) -> None:
    client = signed_in(partner_user)
    assert ru("Catalog") in _sidebar_links(client.get(COMPANY).content.decode())
    # Written around the services on purpose: the memo is keyed by what the menu shows,
    # so no write path has to remember to invalidate it.
    Membership.objects.filter(user=partner_user).update(rights=[])
    assert ru("Catalog") not in _sidebar_links(client.get(COMPANY).content.decode())
    Membership.objects.filter(user=partner_user).update(rights=[Right.ORDERS.value])
    assert ru("Catalog") in _sidebar_links(client.get(COMPANY).content.decode())


def test_the_current_item_follows_the_page(partner_user: User) -> None:
    client = signed_in(partner_user)
    page = client.get(reverse("partners:contacts")).content.decode()
    active = r'class="sidebar-link active"\s+aria-current="page">{}<'
    assert re.search(active.format(ru("Contacts")), page)
    page = client.get(COMPANY).content.decode()
    assert re.search(active.format(ru("Profile")), page)
    assert not re.search(active.format(ru("Contacts")), page)


def test_the_switcher_shows_a_rename_and_a_switch_at_once(
    partner_user: User, partner_a: Partner, partner_b: Partner
) -> None:
    MembershipFactory.create(user=partner_user, partner=partner_b, rights=[Right.ORDERS.value])
    membership_select(user=partner_user, partner_id=partner_a.pk)
    client = signed_in(partner_user)
    page = client.get(COMPANY).content.decode()
    assert 'data-testid="partner-switcher"' in page
    assert re.search(rf'value="{partner_a.pk}"\s+class="dropdown-item active"', page)

    Partner.objects.filter(pk=partner_b.pk).update(name="Beta <Renamed>")
    page = client.get(COMPANY).content.decode()
    assert "Beta &lt;Renamed&gt;" in page
    assert "Beta <Renamed>" not in page

    response = client.post(reverse("partners:switch"), {"partner": partner_b.pk, "next": COMPANY})
    assert response.status_code == 302
    page = client.get(COMPANY).content.decode()
    assert re.search(rf'value="{partner_b.pk}"\s+class="dropdown-item active"', page)
    assert not re.search(rf'value="{partner_a.pk}"\s+class="dropdown-item active"', page)


def test_each_page_has_its_own_token_and_address(partner_user: User, partner_admin: User) -> None:
    """Two users with the same header content (the same company, no name shown twice) share
    the memo, yet each form carries the requester's own CSRF token and address."""
    for user in (partner_user, partner_admin):
        client = signed_in(user)
        client.handler.enforce_csrf_checks = True
        page = client.get(COMPANY + "?a=1&b=<2>").content.decode()
        assert 'name="next" value="/company/?a=1&amp;b=%3C2%3E"' in page
        assert "Placeholder" not in page
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
        assert token is not None
        response = client.post(
            reverse("accounts:language"),
            {"language": "en", "next": COMPANY, "csrfmiddlewaretoken": token.group(1)},
        )
        assert response.status_code == 302  # the token is this session's: accepted


def test_the_header_of_an_anonymous_visitor(client: Client, db: None) -> None:
    login = client.get(reverse("accounts:login")).content.decode()
    assert f"{ru('Sign in')}</a>" not in login  # no sign-in button on the sign-in page itself
    assert 'data-testid="user-menu"' not in login
    assert 'data-testid="sidebar"' not in login


def test_the_htmx_headers_carry_the_header_forms_token_and_it_is_accepted(
    partner_user: User,
) -> None:
    """The token is masked once per page (web.chrome.csrf_token_of): the htmx requests'
    header and the header's forms carry the same one, and an htmx POST with it passes."""
    client = signed_in(partner_user)
    client.handler.enforce_csrf_checks = True
    page = client.get(COMPANY).content.decode()
    htmx = re.search(r"""hx-headers='\{"X-CSRFToken": "([^"]+)"\}'""", page)
    forms = set(re.findall(r'name="csrfmiddlewaretoken" value="([^"]+)"', page))
    assert htmx is not None
    assert forms == {htmx.group(1)}
    response = client.post(
        reverse("accounts:language"),
        {"language": "en", "next": COMPANY},
        headers={"X-CSRFToken": htmx.group(1)},
    )
    assert response.status_code == 302
    assert client.get(COMPANY).wsgi_request.LANGUAGE_CODE == "en"


def test_every_page_links_its_stylesheets_and_scripts(client: Client, db: None) -> None:
    page = client.get(reverse("accounts:login")).content.decode()
    for name in ("bootstrap/css/bootstrap.min.css", "kabinet/kabinet.css", "kabinet/kabinet.js"):
        assert f"/static/{name}" in page
    assert "{%" not in page
