"""Brute-force protection (R4) on top of django-axes: client address, cool-off tiers, answer."""

import ipaddress
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

if TYPE_CHECKING:
    from kabinet.accounts.models import AuditEvent

# The n-th lockout of one username within a day lasts COOL_OFF_TIERS[n-1] (the last one
# repeats): 5 tries, 15 minutes off, 5 tries, an hour off — at most 10 guesses in any hour.
COOL_OFF_TIERS = (
    timedelta(minutes=15),
    timedelta(hours=1),
    timedelta(hours=4),
    timedelta(hours=24),
)


def client_ip(request: HttpRequest) -> str | None:
    """The client's address. X-Forwarded-For counts only when the connection comes from a
    trusted proxy (TRUSTED_PROXIES); then the right-most address that is not one of our
    proxies is the client, so a spoofed left part of the header changes nothing."""
    remote = request.META.get("REMOTE_ADDR") or None
    trusted = set(settings.TRUSTED_PROXIES)
    if not trusted or remote not in trusted:
        return remote
    forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    for candidate in reversed(forwarded):
        if candidate and candidate not in trusted:
            try:
                return str(ipaddress.ip_address(candidate))
            except ValueError:
                return remote
    return remote


def _last_lockout(username: str) -> "AuditEvent | None":
    from kabinet.accounts.models import AuditEvent, AuditKind

    return (
        AuditEvent.objects.filter(kind=AuditKind.LOCKED_OUT, subject_email=username)
        .order_by("-created_at")
        .first()
    )


def _lockout_end(event: "AuditEvent") -> datetime:
    return event.created_at + timedelta(minutes=event.details.get("minutes", 15))


def _next_tier(username: str) -> timedelta:
    from kabinet.accounts.models import AuditEvent, AuditKind

    earlier = AuditEvent.objects.filter(
        kind=AuditKind.LOCKED_OUT,
        subject_email=username,
        created_at__gte=timezone.now() - timedelta(days=1),
    ).count()
    return COOL_OFF_TIERS[min(earlier, len(COOL_OFF_TIERS) - 1)]


def _username(request: HttpRequest | None) -> str:
    if request is None:
        return ""
    return (request.POST.get(settings.AXES_USERNAME_FORM_FIELD) or "").strip().lower()


def cool_off(request: HttpRequest | None) -> timedelta:
    """How long the current (or next) lockout of the username lasts (COOL_OFF_TIERS)."""
    username = _username(request)
    if not username:
        return COOL_OFF_TIERS[0]
    last = _last_lockout(username)
    if last is not None:
        now, end = timezone.now(), _lockout_end(last)
        if now < end:
            return timedelta(minutes=last.details.get("minutes", 15))
        # Attempts made before the last lockout ended are spent: count only later ones.
        return min(_next_tier(username), now - end)
    return _next_tier(username)


def lockout_response(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
    """The same answer whether or not the account exists (no user enumeration)."""
    minutes = int(cool_off(request).total_seconds() // 60)
    response = render(request, "accounts/locked_out.html", {"minutes": minutes}, status=429)
    response["Retry-After"] = str(minutes * 60)
    return response


def lockout_recorded(
    sender: object, request: HttpRequest | None, username: str | None, **kwargs: object
) -> None:
    """django-axes' user_locked_out signal → one audit event per lockout (R19), holding its
    length; axes repeats the signal for every attempt during a lockout, those add nothing."""
    from kabinet.accounts.audit import audit_record
    from kabinet.accounts.models import AuditKind

    username = (username or "").strip().lower()
    last = _last_lockout(username)
    if last is not None and timezone.now() < _lockout_end(last):
        return
    minutes = int(_next_tier(username).total_seconds() // 60)
    audit_record(AuditKind.LOCKED_OUT, request=request, subject_email=username, minutes=minutes)


def axes_username(request: HttpRequest | None, credentials: dict[str, object] | None = None) -> str:
    """AXES_USERNAME_CALLABLE: one bucket per account, however the address is capitalised."""
    field = settings.AXES_USERNAME_FORM_FIELD
    raw = credentials.get(field) if credentials else None
    if raw is None and request is not None:
        raw = request.POST.get(field)
    return str(raw or "").strip().lower()
