"""Every page's header and sidebar, rendered once per distinct content and then reused (P1);
the static files' tags, rendered once per process; the page's CSRF token, masked once.

The two templates cost ~2 ms a page, a sixth of a catalog page, and for one user they come out
the same on every page but for the CSRF token, the address in the "next" fields and the
current menu item. So each is rendered from plain values only (`HeaderInputs`,
`SidebarInputs`): those values are the memo's key, and the token and the address go in
afterwards in place of placeholders. Nothing is invalidated: a renamed company, a changed
right or another language are different inputs, so a fresh rendering, on the very request
that first shows them. The memo is per process and bounded (least recently used out).
"""

from functools import lru_cache
from html import escape
from typing import NamedTuple

from django.conf import settings
from django.http import HttpRequest
from django.middleware.csrf import get_token
from django.template.loader import get_template
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language

from kabinet.accounts.models import User
from kabinet.partners.access import PartnerRequest
from kabinet.web.menu import menu_for, url_of

# Plain ASCII letters: escaping leaves them as they are; replaced by escaped values only.
CSRF_PLACEHOLDER = "kabinetCsrfTokenPlaceholder"
NEXT_PLACEHOLDER = "kabinetNextAddressPlaceholder"
CSRF_TOKEN_ATTRIBUTE = "_kabinet_csrf_token"  # noqa: S105 (an attribute name: the masked token)
MEMO_SIZE = 2048  # distinct (user, company, language, page section) combinations per process


class HeaderInputs(NamedTuple):
    language: str
    supplier_name: str
    signed_in: bool
    full_name: str
    email: str
    partners: tuple[tuple[int, str], ...]  # the switcher's companies: (id, name)
    current_partner: tuple[int, str] | None
    sign_in_link: bool  # anonymous, not on the home or sign-in page


class SidebarInputs(NamedTuple):
    language: str
    home_active: bool
    # (section label, active, ((item label, url, active), ...)), as menu_for shows them
    sections: tuple[tuple[str, bool, tuple[tuple[str, str, bool], ...]], ...]


def _url_name(request: PartnerRequest) -> str | None:
    match = getattr(request, "resolver_match", None)
    return match.url_name if match else None


def header_inputs(request: PartnerRequest) -> HeaderInputs:
    user = request.user
    signed_in = bool(user.is_authenticated)
    memberships = getattr(request, "memberships", [])
    partner = getattr(request, "partner", None)
    return HeaderInputs(
        language=get_language(),
        supplier_name=settings.KABINET_SUPPLIER_NAME,
        signed_in=signed_in,
        full_name=user.get_full_name() if isinstance(user, User) else "",
        email=user.email if isinstance(user, User) else "",
        partners=tuple((m.partner_id, m.partner.name) for m in memberships)
        if len(memberships) > 1
        else (),
        current_partner=(partner.pk, partner.name) if partner is not None else None,
        sign_in_link=not signed_in and _url_name(request) not in ("home", "login"),
    )


def sidebar_inputs(request: PartnerRequest) -> SidebarInputs:
    return SidebarInputs(
        language=get_language(),
        home_active=_url_name(request) == "home",
        sections=tuple(
            (
                str(section.label),
                section.active,
                tuple((str(item.label), item.url, item.active) for item in section.items),
            )
            for section in menu_for(request)
        ),
    )


@lru_cache(maxsize=MEMO_SIZE)
def _header_html(inputs: HeaderInputs) -> str:
    return get_template("components/header.html").render(
        {
            "header": inputs,
            "csrf_token": CSRF_PLACEHOLDER,
            "next_path": NEXT_PLACEHOLDER,
            "home_url": url_of("web:home"),
            "switch_url": url_of("partners:switch"),
            "logout_url": url_of("accounts:logout"),
            "login_url": url_of("accounts:login"),
            "language_url": url_of("accounts:language"),
            "initial": inputs.full_name[:1].upper(),
        }
    )


@lru_cache(maxsize=MEMO_SIZE)
def _sidebar_html(inputs: SidebarInputs) -> str:
    return get_template("components/sidebar.html").render(
        {"sidebar": inputs, "home_url": url_of("web:home")}
    )


def csrf_token_of(request: HttpRequest) -> str:
    """The request's CSRF token, masked once: the header, the page's forms and its htmx
    headers carry the same one (`csrf_token` of context_processors.portal). Each `get_token`
    masks anew, with 32 draws from the system's random source (~50 µs)."""
    token: str | None = getattr(request, CSRF_TOKEN_ATTRIBUTE, None)
    if token is None:
        token = get_token(request)
        setattr(request, CSRF_TOKEN_ATTRIBUTE, token)
    return token


def header_html(request: PartnerRequest) -> SafeString:
    html = _header_html(header_inputs(request))
    html = html.replace(CSRF_PLACEHOLDER, escape(csrf_token_of(request)))
    html = html.replace(NEXT_PLACEHOLDER, escape(request.get_full_path()))
    return mark_safe(html)  # noqa: S308 (the template escaped its values; so are the two put in)


def sidebar_html(request: PartnerRequest) -> SafeString:
    return mark_safe(_sidebar_html(sidebar_inputs(request)))  # noqa: S308 (the template escaped)


@lru_cache(maxsize=8)
def _assets_html(static_url: str | None) -> str:
    # `static_url` in the key: a test that changes STATIC_URL gets its own rendering. The
    # files' names (hashed by the manifest storage) are fixed for the process's life.
    return get_template("components/assets.html").render({})


def assets_html() -> SafeString:
    """The <head>'s stylesheets and scripts: six {% static %} tags were ~2% of a page."""
    return mark_safe(_assets_html(settings.STATIC_URL))  # noqa: S308 (the template escaped)
