from typing import Any

from django.contrib.auth.models import Group, Permission
from django.db import transaction
from django.db.models import Q

from kabinet.accounts.models import User
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
