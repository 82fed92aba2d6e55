"""Brute-force protection (R4) on top of django-axes: client address, cool-off tiers, answer."""

import ipaddress
from datetime import timedelta

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

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


def cool_off(request: HttpRequest | None) -> timedelta:
    """How long the current lockout lasts (see COOL_OFF_TIERS)."""
    from kabinet.accounts.models import AuditEvent, AuditKind

    username = ""
    if request is not None:
        username = (request.POST.get(settings.AXES_USERNAME_FORM_FIELD) or "").strip().lower()
    if not username:
        return COOL_OFF_TIERS[0]
    recent = AuditEvent.objects.filter(
        kind=AuditKind.LOCKED_OUT,
        subject_email=username,
        created_at__gte=timezone.now() - timedelta(days=1),
    ).count()
    return COOL_OFF_TIERS[min(max(recent - 1, 0), len(COOL_OFF_TIERS) - 1)]


def lockout_response(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
    """The same answer whether or not the account exists (no user enumeration)."""
    minutes = int(cool_off(request).total_seconds() // 60)
    response = render(request, "accounts/locked_out.html", {"minutes": minutes}, status=429)
    response["Retry-After"] = str(minutes * 60)
    return response
