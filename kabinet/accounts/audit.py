"""Writing the access audit log (R19). Never pass secrets (passwords, tokens, codes) here."""

from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.utils.module_loading import import_string

from kabinet.accounts.lockout import client_ip
from kabinet.accounts.models import AuditEvent, AuditKind, User


def audit_record(
    kind: AuditKind,
    *,
    request: HttpRequest | None = None,
    actor: User | None = None,
    subject: User | None = None,
    subject_email: str = "",
    partner_id: int | None = None,
    **details: Any,
) -> AuditEvent:
    """Add one event. Called inside the service's transaction, so it commits or rolls back
    with the change it describes."""
    if actor is None and request is not None and isinstance(request.user, User):
        actor = request.user
    if partner_id is None and subject is not None and not subject.is_staff:
        hook = getattr(settings, "AUDIT_PARTNER_OF", "")
        partner_id = import_string(hook)(subject) if hook else None
    return AuditEvent.objects.create(
        kind=kind,
        actor=actor,
        subject=subject,
        subject_email=subject_email or (subject.email if subject else ""),
        partner_id=partner_id,
        ip_address=client_ip(request) if request is not None else None,
        details=details,
    )
