"""Staff roles of the supplier. Each role is a Django group holding these permissions.

Groups are kept in step with this table on every `migrate` (see services.staff_roles_sync);
an administrator may add permissions to a group by hand, but those listed here always stay.
"""

from enum import StrEnum

from django.utils.translation import gettext_lazy as _


class StaffRole(StrEnum):
    ADMINISTRATOR = "administrator"
    MANAGER = "manager"
    APPROVER = "approver"
    CONTENT_EDITOR = "content_editor"
    SUPPORT = "support"

    @property
    def label(self) -> str:
        return str(STAFF_ROLE_LABELS[self])


STAFF_ROLE_LABELS = {
    StaffRole.ADMINISTRATOR: _("Administrator"),
    StaffRole.MANAGER: _("Manager"),
    StaffRole.APPROVER: _("Approver"),
    StaffRole.CONTENT_EDITOR: _("Content editor"),
    StaffRole.SUPPORT: _("Support"),
}

_PARTNER_READ = [
    "partners.view_partner",
    "partners.view_counterparty",
    "partners.view_agreement",
    "partners.view_deliveryaddress",
    "partners.view_contact",
    "partners.view_membership",
]
_PARTNER_WRITE = [
    "partners.change_partner",
    "partners.change_contact",
    "partners.change_deliveryaddress",
    "partners.add_contact",
    "partners.add_deliveryaddress",
]
_CONTENT = [
    "content.view_infopage",
    "content.add_infopage",
    "content.change_infopage",
    "content.delete_infopage",
]

_ORDERS_READ = ["orders.view_order"]
_ORDERS_WRITE = ["orders.change_order"]

_OUTBOX_READ = ["outbox.view_outboxmessage", "integrations.view_integration"]
_OUTBOX_RETRY = ["outbox.change_outboxmessage"]
_INTEGRATIONS = ["integrations.add_integration", "integrations.change_integration"]

_ACCESS = ["partners.add_invitation", "accounts.change_user", "accounts.view_auditevent"]

STAFF_ROLE_PERMISSIONS: dict[StaffRole, list[str]] = {
    StaffRole.ADMINISTRATOR: [
        *_PARTNER_READ,
        *_PARTNER_WRITE,
        *_CONTENT,
        *_ACCESS,
        *_ORDERS_READ,
        *_ORDERS_WRITE,
        *_OUTBOX_READ,
        *_OUTBOX_RETRY,
        *_INTEGRATIONS,
        "partners.add_partner",
        "partners.add_membership",
        "partners.change_membership",
        "partners.delete_membership",
        "partners.add_counterparty",
        "partners.change_counterparty",
        "partners.add_agreement",
        "partners.change_agreement",
        "accounts.view_user",
        "accounts.add_user",
        "accounts.change_user",
    ],
    StaffRole.MANAGER: [
        *_PARTNER_READ,
        *_PARTNER_WRITE,
        *_ACCESS,
        *_ORDERS_READ,
        *_ORDERS_WRITE,
        *_OUTBOX_READ,
        *_OUTBOX_RETRY,
        "accounts.view_user",
    ],
    StaffRole.APPROVER: [*_PARTNER_READ, *_ORDERS_READ],
    StaffRole.CONTENT_EDITOR: [*_CONTENT],
    StaffRole.SUPPORT: [
        *_PARTNER_READ,
        *_ORDERS_READ,
        *_OUTBOX_READ,
        "accounts.view_user",
        "accounts.view_auditevent",
    ],
}
