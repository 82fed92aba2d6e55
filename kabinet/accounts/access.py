"""Account-level access rules applied on every request (ACC3, ACC9, R6).

Views that must stay reachable while a rule holds the user back (changing the password,
enrolling a second factor, signing out) are marked with @access_exempt.
"""

import time
from collections.abc import Callable
from datetime import datetime
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from kabinet.accounts.models import User

SIGNED_IN_AT = "kabinet_signed_in_at"
MFA_DONE = "kabinet_mfa_done"  # the session passed a second factor (or the user has none)
# When the session's idle timeout was last pushed forward (Unix seconds), see session_touch.
SEEN_AT = "kabinet_seen_at"


def access_exempt[V: Callable[..., HttpResponse]](view: V) -> V:
    view.access_exempt = True  # type: ignore[attr-defined]
    return view


def denial_message(user: User, reason: str) -> str:
    if reason == "blocked":
        return _(
            "Your access is blocked. Ask your company's administrator or your manager at "
            "the supplier to unblock it."
        )
    return _(
        "Your access expired on %(date)s. Ask your company's administrator or your manager "
        "at the supplier to extend it."
    ) % {
        "date": date_format(user.access_expires_on, "SHORT_DATE_FORMAT")
        if user.access_expires_on
        else ""
    }


def session_touch(session: Any) -> None:
    """Push the idle timeout forward (R6) at most once a SESSION_REFRESH_INTERVAL: marking
    the session modified makes SessionMiddleware save it with a new expiry and cookie. Saving
    on every request (SESSION_SAVE_EVERY_REQUEST) cost a write per page view; this way an
    idle session ends between SESSION_COOKIE_AGE minus the interval and SESSION_COOKIE_AGE
    after the last request."""
    now = int(time.time())
    seen = session.get(SEEN_AT)
    if not isinstance(seen, int) or not 0 <= now - seen < settings.SESSION_REFRESH_INTERVAL:
        session[SEEN_AT] = now


class AccessMiddleware:
    """Ends sessions of blocked or expired accounts and sessions past the absolute timeout;
    sends a user with a temporary password to change it before anything else."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(
        self, request: HttpRequest, view: Callable[..., Any], args: Any, kwargs: Any
    ) -> HttpResponse | None:
        user = request.user
        if not (user.is_authenticated and isinstance(user, User)):
            return None
        reason = user.access_denial(timezone.localdate())
        if reason is not None:
            logout(request)
            messages.error(request, denial_message(user, reason))
            return HttpResponseRedirect(reverse("accounts:login"))
        signed_in_at = request.session.get(SIGNED_IN_AT)
        if signed_in_at is not None:
            age = timezone.now() - datetime.fromisoformat(signed_in_at)
            if age.total_seconds() > settings.SESSION_ABSOLUTE_TIMEOUT:
                logout(request)
                messages.info(request, _("Your session has ended. Please sign in again."))
                return HttpResponseRedirect(reverse("accounts:login"))
        session_touch(request.session)
        if getattr(view, "access_exempt", False):
            return None
        if user.must_change_password:
            return HttpResponseRedirect(reverse("accounts:password_change"))
        return None
