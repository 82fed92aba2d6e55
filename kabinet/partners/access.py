"""Tenant resolution and access checks.

The middleware resolves, once per request, which partner the signed-in user works in
(`request.partner`, `request.membership`). Views then declare what they need:

    @require_right(Right.ORDERS)       a partner member with that section right
    @require_partner                   any member of the current partner
    @staff_required("partners.view_partner")   staff with that permission

A request that names another partner's object gets 404, the same as a missing one (ACC10);
so does a non-staff user on a staff page: nobody learns what exists elsewhere.
"""

from collections.abc import Callable
from functools import wraps
from typing import Any, Concatenate

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseNotAllowed,
    HttpResponseRedirect,
)
from django.http.response import HttpResponseBase
from django.urls import reverse
from django_htmx.middleware import HtmxDetails

from kabinet.accounts.access import MFA_DONE
from kabinet.accounts.audit import audit_record
from kabinet.accounts.models import AuditKind, User
from kabinet.partners.models import Membership, Partner
from kabinet.partners.rights import Right
from kabinet.partners.selectors import membership_list_for_user
from kabinet.partners.tenancy import TenantContext, tenant_context


class PartnerRequest(HttpRequest):
    """What views see after TenantMiddleware (for type checking)."""

    user: User
    partner: Partner | None
    membership: Membership | None
    memberships: list[Membership]
    tenant: TenantContext | None
    htmx: HtmxDetails


def partner_requires_mfa(user: User) -> bool:
    """MFA_POLICY: a partner user must use a second factor when a company of his says so."""
    return Membership.objects.filter(user=user, partner__require_mfa=True).exists()


def partner_id_for_audit(user: User) -> int | None:
    """AUDIT_PARTNER_OF: the company a partner user's own access events belong to."""
    memberships = membership_list_for_user(user=user)
    return memberships[0].partner_id if memberships else None


class TenantMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        memberships: list[Membership] = []
        context = None
        user = request.user
        if user.is_authenticated and isinstance(user, User) and user.is_active:
            context = tenant_context(user)
            memberships = context.memberships
        current = memberships[0] if memberships else None
        request.tenant = context  # type: ignore[attr-defined]
        request.memberships = memberships  # type: ignore[attr-defined]
        request.membership = current  # type: ignore[attr-defined]
        request.partner = current.partner if current else None  # type: ignore[attr-defined]
        return self.get_response(request)

    def process_view(
        self, request: HttpRequest, view: Callable[..., Any], args: Any, kwargs: Any
    ) -> HttpResponse | None:
        """Users who must use a second factor and have not set one up go to do it first."""
        user = request.user
        if not (user.is_authenticated and isinstance(user, User)):
            return None
        if request.session.get(MFA_DONE) or getattr(view, "access_exempt", False):
            return None
        memberships: list[Membership] = request.memberships  # type: ignore[attr-defined]
        required = (user.is_staff and settings.MFA_REQUIRED_FOR_STAFF) or any(
            m.partner.require_mfa for m in memberships
        )
        if required:
            return HttpResponseRedirect(reverse("accounts:mfa_setup"))
        return None


def method_refused(request: HttpRequest, *methods: str) -> HttpResponse | None:
    """405 unless the request uses one of `methods` (HEAD goes with GET). Called inside a
    view, after its access decorators: another partner's object is 404 whatever the method."""
    allowed = set(methods) | ({"HEAD"} if "GET" in methods else set())
    return None if request.method in allowed else HttpResponseNotAllowed(sorted(allowed))


# HttpResponseBase: a view may stream (a file download is not an HttpResponse).
type View[**P] = Callable[Concatenate[PartnerRequest, P], HttpResponseBase]


def _denied(request: PartnerRequest, *, needed: str) -> None:
    """R19: a refused section is an access event. (404s for other partners' objects are not
    logged: they are indistinguishable from mistyped addresses.)"""
    audit_record(
        AuditKind.ACCESS_DENIED,
        request=request,
        subject=request.user,
        partner_id=request.partner.pk if request.partner else None,
        path=request.path[:200],
        needed=needed,
    )


def require_partner[**P](view: View[P]) -> View[P]:
    @wraps(view)
    def wrapper(request: PartnerRequest, *args: P.args, **kwargs: P.kwargs) -> HttpResponseBase:
        if request.membership is None:
            raise Http404
        return view(request, *args, **kwargs)

    return wrapper


def require_right[**P](right: Right) -> Callable[[View[P]], View[P]]:
    def decorator(view: View[P]) -> View[P]:
        @wraps(view)
        def wrapper(request: PartnerRequest, *args: P.args, **kwargs: P.kwargs) -> HttpResponseBase:
            if request.membership is None:
                raise Http404
            if not request.membership.has_right(right):
                _denied(request, needed=right.value)
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapper

    return decorator


def staff_required[**P](permission: str) -> Callable[[View[P]], View[P]]:
    def decorator(view: View[P]) -> View[P]:
        @wraps(view)
        def wrapper(request: PartnerRequest, *args: P.args, **kwargs: P.kwargs) -> HttpResponseBase:
            if not request.user.is_staff:
                raise Http404
            if not request.user.has_perm(permission):
                _denied(request, needed=permission)
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapper

    return decorator
