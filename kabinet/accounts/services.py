from datetime import date
from typing import Any

from django.contrib.auth.models import Group, Permission
from django.contrib.auth.password_validation import validate_password
from django.db import transaction
from django.db.models import Q
from django.http import HttpRequest
from django.utils import timezone

from kabinet.accounts.audit import audit_record
from kabinet.accounts.models import AuditKind, User
from kabinet.accounts.roles import STAFF_ROLE_PERMISSIONS, StaffRole


@transaction.atomic
def staff_roles_sync() -> None:
    """Create the staff role groups and give each the permissions listed in roles.py."""
    for role, perm_names in STAFF_ROLE_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=role.value)
        wanted = Q(pk__in=[])
        for name in perm_names:
            app_label, codename = name.split(".")
            wanted |= Q(content_type__app_label=app_label, codename=codename)
        group.permissions.add(*Permission.objects.filter(wanted))


def staff_roles_sync_after_migrate(**kwargs: Any) -> None:
    staff_roles_sync()


@transaction.atomic
def staff_user_create(
    *, email: str, full_name: str, password: str | None, roles: list[StaffRole]
) -> User:
    """A member of the supplier's staff with the given roles (groups)."""
    user = User.objects.create_user(
        email=email, password=password, full_name=full_name, is_staff=True
    )
    user.groups.set(Group.objects.filter(name__in=[role.value for role in roles]))
    if StaffRole.ADMINISTRATOR in roles:
        user.is_superuser = True
        user.save(update_fields=["is_superuser"])
    return user


@transaction.atomic
def user_create(
    *, email: str, full_name: str = "", phone: str = "", password: str | None = None
) -> User:
    """A partner-side person. Without a password the account cannot sign in until one is set."""
    return User.objects.create_user(
        email=email, password=password, full_name=full_name, phone=phone
    )


def user_language_set(*, user: User, language: str) -> None:
    """Kept for the next sign-in on another device (the cookie covers this one)."""
    if user.preferred_language != language:
        user.preferred_language = language
        user.save(update_fields=["preferred_language"])


def _end_sessions(user: User) -> None:
    # Every session stores a hash that includes session_generation; bumping it makes Django
    # drop them all at their next request, whatever the session backend.
    user.session_generation += 1


@transaction.atomic
def user_block(
    *,
    user: User,
    reason: str,
    actor: User | None,
    request: HttpRequest | None = None,
    partner_id: int | None = None,
) -> None:
    """Block an account: it cannot sign in and its open sessions end at once (ACC9, R6)."""
    user = User.objects.select_for_update().get(pk=user.pk)
    if user.blocked_at is not None:
        return
    user.blocked_at = timezone.now()
    user.blocked_reason = reason
    _end_sessions(user)
    user.save(update_fields=["blocked_at", "blocked_reason", "session_generation"])
    audit_record(
        AuditKind.BLOCKED,
        request=request,
        actor=actor,
        subject=user,
        partner_id=partner_id,
        reason=reason,
    )


@transaction.atomic
def user_unblock(
    *,
    user: User,
    actor: User | None,
    request: HttpRequest | None = None,
    partner_id: int | None = None,
) -> None:
    user = User.objects.select_for_update().get(pk=user.pk)
    if user.blocked_at is None:
        return
    user.blocked_at = None
    user.blocked_reason = ""
    user.save(update_fields=["blocked_at", "blocked_reason"])
    audit_record(
        AuditKind.UNBLOCKED, request=request, actor=actor, subject=user, partner_id=partner_id
    )


@transaction.atomic
def user_set_access_expiry(
    *,
    user: User,
    expires_on: date | None,
    actor: User | None,
    request: HttpRequest | None = None,
    partner_id: int | None = None,
) -> None:
    """Set, extend or clear the date after which the account cannot sign in (ACC9)."""
    user = User.objects.select_for_update().get(pk=user.pk)
    user.access_expires_on = expires_on
    user.expiry_warned_on = None  # a new date deserves a new warning
    user.save(update_fields=["access_expires_on", "expiry_warned_on"])
    audit_record(
        AuditKind.EXPIRY_SET,
        request=request,
        actor=actor,
        subject=user,
        partner_id=partner_id,
        expires_on=expires_on.isoformat() if expires_on else None,
    )


@transaction.atomic
def user_expire(*, user: User, today: date) -> bool:
    """Block an account whose access date has passed (the daily job). True if it did."""
    user = User.objects.select_for_update().get(pk=user.pk)
    if user.access_denial(today) != "expired" or user.blocked_at is not None:
        return False
    user.blocked_at = timezone.now()
    user.blocked_reason = "expired"
    _end_sessions(user)
    user.save(update_fields=["blocked_at", "blocked_reason", "session_generation"])
    audit_record(AuditKind.EXPIRED, subject=user, expired_on=str(user.access_expires_on))
    return True


@transaction.atomic
def user_set_temporary_password(
    *, user: User, password: str, actor: User, request: HttpRequest | None = None
) -> None:
    """Staff give a temporary password; it must be changed at the next sign-in (ACC3)."""
    validate_password(password, user)
    user = User.objects.select_for_update().get(pk=user.pk)
    user.set_password(password)
    user.must_change_password = True
    _end_sessions(user)
    user.save(update_fields=["password", "must_change_password", "session_generation"])
    audit_record(AuditKind.TEMPORARY_PASSWORD, request=request, actor=actor, subject=user)


@transaction.atomic
def user_change_password(
    *,
    user: User,
    password: str,
    request: HttpRequest | None = None,
    kind: AuditKind = AuditKind.PASSWORD_CHANGED,
) -> None:
    """A new password ends every other session (R6); the caller keeps the current one with
    update_session_auth_hash."""
    validate_password(password, user)
    user.set_password(password)
    user.must_change_password = False
    _end_sessions(user)
    user.save(update_fields=["password", "must_change_password", "session_generation"])
    audit_record(kind, request=request, actor=user, subject=user)


@transaction.atomic
def user_end_other_sessions(*, user: User, request: HttpRequest) -> None:
    """ "Sign out my other sessions": the caller keeps this one with update_session_auth_hash."""
    user = User.objects.select_for_update().get(pk=user.pk)
    _end_sessions(user)
    user.save(update_fields=["session_generation"])
    audit_record(AuditKind.SESSIONS_ENDED, request=request, actor=user, subject=user)
