"""Creating integrations and their credentials. Secrets are shown once and stored hashed.

An integration created or activated takes over the outbox messages that were waiting for
someone to take their topic (`outbox_route_unrouted`), in the same transaction."""

import hashlib
import secrets
from datetime import timedelta

from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils import timezone

from kabinet.accounts.audit import audit_record
from kabinet.accounts.models import AuditKind, User
from kabinet.integrations.erp.relay import relay_wake
from kabinet.integrations.models import Integration, IntegrationKind, IntegrationToken
from kabinet.outbox.services import outbox_route_unrouted

TOKEN_PREFIX = "kab_"  # noqa: S105 (a marker, not a secret)
# A token's last use is written at most this often: not one UPDATE per API call.
LAST_USED_PRECISION = timedelta(minutes=1)


def token_digest(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


@transaction.atomic
def integration_create(
    *,
    name: str,
    kind: IntegrationKind,
    actor: User | None,
    login: str | None = None,
    password: str = "",
    outbound_url: str = "",
) -> Integration:
    integration = Integration.objects.create(
        name=name,
        kind=kind,
        login=login or None,
        password=make_password(password) if password else "",
        outbound_url=outbound_url,
        outbound_secret=secrets.token_urlsafe(32) if outbound_url else "",
        created_by=actor,
    )
    audit_record(
        AuditKind.INTEGRATION_CREATED,
        actor=actor,
        integration=integration.name,
        integration_kind=kind,
    )
    outbox_route_unrouted()
    return integration


@transaction.atomic
def integration_set_active(
    *, integration: Integration, is_active: bool, actor: User | None
) -> Integration:
    """Switch an integration on or off. Off: it cannot sign in, gets no new messages and is
    not delivered to; its pending messages stay pending (staff see them in the outbox) and
    go out once it is switched on again. On: it also takes the messages nobody took."""
    updated = (
        Integration.objects.filter(pk=integration.pk)
        .exclude(is_active=is_active)
        .update(is_active=is_active)
    )
    integration.is_active = is_active
    if updated:
        audit_record(
            AuditKind.INTEGRATION_CHANGED,
            actor=actor,
            integration=integration.name,
            field="is_active",
            value=is_active,
        )
        if is_active:
            outbox_route_unrouted()
            transaction.on_commit(relay_wake)  # its own pending messages, if it is pushed to
    return integration


@transaction.atomic
def integration_set_password(
    *, integration: Integration, password: str, actor: User | None
) -> None:
    integration.password = make_password(password)
    integration.save(update_fields=["password"])
    audit_record(
        AuditKind.INTEGRATION_CHANGED, actor=actor, integration=integration.name, field="password"
    )


@transaction.atomic
def integration_token_create(
    *, integration: Integration, name: str, actor: User | None
) -> tuple[IntegrationToken, str]:
    """A new token and its plain text, which is never stored: show it to the user once."""
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = IntegrationToken.objects.create(
        integration=integration,
        name=name,
        prefix=raw[: len(TOKEN_PREFIX) + 6],
        digest=token_digest(raw),
        created_by=actor,
    )
    audit_record(
        AuditKind.API_TOKEN_CREATED, actor=actor, integration=integration.name, token=token.prefix
    )
    return token, raw


@transaction.atomic
def integration_token_revoke(*, token: IntegrationToken, actor: User | None) -> None:
    updated = IntegrationToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(
        revoked_at=timezone.now()
    )
    if updated:
        audit_record(
            AuditKind.API_TOKEN_REVOKED,
            actor=actor,
            integration=token.integration.name,
            token=token.prefix,
        )


def token_authenticate(raw: str) -> Integration | None:
    """The active integration a bearer token belongs to, or None."""
    if not raw.startswith(TOKEN_PREFIX) or len(raw) > 200:
        return None
    token = (
        IntegrationToken.objects.select_related("integration")
        .filter(digest=token_digest(raw), revoked_at__isnull=True, integration__is_active=True)
        .first()
    )
    if token is None:
        return None
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at > LAST_USED_PRECISION:
        IntegrationToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.integration


def basic_authenticate(login: str, password: str) -> Integration | None:
    """The active integration with this login and password (1C's HTTP basic auth), or None."""
    integration = Integration.objects.filter(login=login, is_active=True).first()
    if integration is None:
        make_password(password)  # the same work as a real check: no timing oracle on logins
        return None
    return integration if integration.check_password(password) else None
