from django.conf import settings
from django.http import HttpRequest

from kabinet.web.menu import menu_for


def portal(request: HttpRequest) -> dict[str, object]:
    """What every page's layout needs: the menu for signed-in users, the supplier's name."""
    user = getattr(request, "user", None)
    signed_in = bool(user and user.is_authenticated)
    return {
        "supplier_name": settings.KABINET_SUPPLIER_NAME,
        "menu": menu_for(request) if signed_in else [],  # type: ignore[arg-type]
        "current_partner": getattr(request, "partner", None),
        "current_membership": getattr(request, "membership", None),
        "memberships": getattr(request, "memberships", []),
    }
