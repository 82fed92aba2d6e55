from django.conf import settings
from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from kabinet.web.chrome import assets_html, csrf_token_of, header_html, sidebar_html


def portal(request: HttpRequest) -> dict[str, object]:
    """What every page's layout needs: the static files' tags; the CSRF token, masked once
    for the header, the forms and htmx (in place of the built-in processor's, which masked it
    again); the header and, for signed-in users, the sidebar (as callables: the template calls
    them only on full pages, not on htmx fragments); the supplier's name, the current company
    and membership."""
    user = getattr(request, "user", None)
    signed_in = bool(user and user.is_authenticated)
    return {
        "supplier_name": settings.KABINET_SUPPLIER_NAME,
        "page_assets": assets_html,
        "csrf_token": SimpleLazyObject(lambda: csrf_token_of(request)),
        "page_header": lambda: header_html(request),  # type: ignore[arg-type]
        "page_sidebar": (lambda: sidebar_html(request)) if signed_in else "",  # type: ignore[arg-type]
        "current_partner": getattr(request, "partner", None),
        "current_membership": getattr(request, "membership", None),
        "memberships": getattr(request, "memberships", []),
    }
