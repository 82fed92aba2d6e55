"""Section rights of partner users and the roles that carry them (ACC7)."""

from enum import StrEnum

from django.db import models
from django.utils.translation import gettext_lazy as _


class Right(StrEnum):
    ORDERS = "orders"
    FINANCE = "finance"
    REPORTS = "reports"
    REQUESTS = "requests"
    MATERIALS = "materials"
    SUPPORT = "support"
    USERS = "users"

    @property
    def label(self) -> str:
        return str(RIGHT_LABELS[self])


RIGHT_LABELS = {
    Right.ORDERS: _("Orders"),
    Right.FINANCE: _("Finance"),
    Right.REPORTS: _("Reports"),
    Right.REQUESTS: _("Requests"),
    Right.MATERIALS: _("Materials"),
    Right.SUPPORT: _("Support"),
    Right.USERS: _("Users"),
}


class Role(models.TextChoices):
    PARTNER_ADMIN = "partner_admin", _("Partner admin")
    PARTNER_USER = "partner_user", _("Partner user")


# A partner admin (the "key user") holds every right; a partner user holds those granted.
ALL_RIGHTS: frozenset[Right] = frozenset(Right)
DEFAULT_USER_RIGHTS: frozenset[Right] = frozenset({Right.ORDERS, Right.MATERIALS, Right.SUPPORT})
