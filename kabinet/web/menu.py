"""The sidebar menu (ACC2): two levels, each item shown only to users who may open it.

Later features add their sections here; an item names the URL and what it requires.
"""

from dataclasses import dataclass, field
from functools import lru_cache

from django.conf import settings
from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from kabinet.partners.access import PartnerRequest
from kabinet.partners.rights import Right


@dataclass(frozen=True)
class MenuItem:
    label: str | Promise
    url_name: str
    right: Right | None = None  # a partner section right
    partner: bool = False  # needs a current partner
    permission: str | None = None  # a staff permission
    head_company: bool = False  # only for the head company of a holding

    def visible_to(self, request: PartnerRequest) -> bool:
        membership = request.membership
        if (self.partner or self.right or self.head_company) and membership is None:
            return False
        if self.right and membership and not membership.has_right(self.right):
            return False
        if self.head_company and not getattr(membership, "partner_has_subsidiaries", False):
            return False
        return not (
            self.permission
            and not (request.user.is_staff and request.user.has_perm(self.permission))
        )


@dataclass(frozen=True)
class MenuSection:
    label: str | Promise
    items: tuple[MenuItem, ...]


@dataclass
class VisibleItem:
    label: str | Promise
    url: str
    active: bool


@dataclass
class VisibleSection:
    label: str | Promise
    items: list[VisibleItem] = field(default_factory=list)

    @property
    def active(self) -> bool:
        return any(item.active for item in self.items)


MENU: tuple[MenuSection, ...] = (
    MenuSection(
        _("Orders"),
        (
            MenuItem(_("Catalog"), "catalog:list", right=Right.ORDERS),
            MenuItem(_("My article codes"), "catalog:own_codes", right=Right.ORDERS),
            MenuItem(_("Cart"), "orders:cart", right=Right.ORDERS),
            MenuItem(_("My orders"), "orders:list", right=Right.ORDERS),
        ),
    ),
    MenuSection(
        _("Company"),
        (
            MenuItem(_("Profile"), "partners:company", partner=True),
            MenuItem(_("Counterparties"), "partners:counterparties", partner=True),
            MenuItem(_("Agreements"), "partners:agreements", partner=True),
            MenuItem(_("Delivery addresses"), "partners:addresses", partner=True),
            MenuItem(_("Contacts"), "partners:contacts", partner=True),
            MenuItem(_("Subsidiaries"), "partners:subsidiaries", head_company=True),
        ),
    ),
    MenuSection(
        _("Access"),
        (
            MenuItem(_("Users"), "partners:users", right=Right.USERS),
            MenuItem(_("Security policy"), "partners:security", right=Right.USERS),
            MenuItem(_("Audit log"), "partners:audit", right=Right.USERS),
            MenuItem(_("My account"), "accounts:security"),
        ),
    ),
    MenuSection(
        _("Supplier"),
        (
            MenuItem(_("Partners"), "partners:staff_list", permission="partners.view_partner"),
            MenuItem(_("Orders"), "orders:staff_list", permission="orders.view_order"),
            MenuItem(_("Audit log"), "partners:staff_audit", permission="accounts.view_auditevent"),
            MenuItem(
                _("Integrations"),
                "integrations:staff_list",
                permission="integrations.view_integration",
            ),
            MenuItem(
                _("Messages to the ERP"),
                "integrations:outbox",
                permission="outbox.view_outboxmessage",
            ),
            MenuItem(
                _("Information pages"),
                "admin:content_infopage_changelist",
                permission="content.change_infopage",
            ),
            MenuItem(_("Administration"), "admin:index", permission="accounts.view_user"),
        ),
    ),
)


@lru_cache(maxsize=256)
def _reversed(url_name: str, urlconf: str, prefix: str) -> str:
    return reverse(url_name, urlconf=urlconf)


def url_of(url_name: str) -> str:
    """`reverse(url_name)` of a URL without arguments, looked up once per URLconf and script
    prefix: every page's menu and header need a dozen of them (a reverse costs ~50 µs)."""
    return _reversed(url_name, get_urlconf() or settings.ROOT_URLCONF, get_script_prefix())


def menu_for(request: PartnerRequest) -> list[VisibleSection]:
    sections = []
    for section in MENU:
        visible = VisibleSection(section.label)
        for item in section.items:
            if item.visible_to(request):
                visible.items.append(VisibleItem(item.label, url_of(item.url_name), False))
        if visible.items:
            sections.append(visible)
    # The current page is the item whose address is the longest prefix of the path:
    # /company/contacts/ marks "Contacts", not "Profile" at /company/.
    matches = [
        item for section in sections for item in section.items if request.path.startswith(item.url)
    ]
    if matches:
        max(matches, key=lambda item: len(item.url)).active = True
    return sections
