"""Every page runs a fixed number of SQL queries, whatever the amount of data (QUALITY.md P2).

Each page is measured twice: with the fixtures' data and after adding more rows of every
kind it lists. Both counts must equal the pinned number. A page that is added without a pin
fails `test_every_page_is_pinned`.
"""

import re
from collections.abc import Callable

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from kabinet.accounts.audit import audit_record
from kabinet.accounts.models import AuditKind, User
from kabinet.accounts.tests.factories import UserFactory
from kabinet.outbox.models import OutboxMessage
from kabinet.partners.models import Partner
from kabinet.partners.rights import Role
from kabinet.partners.tests.factories import (
    AgreementFactory,
    ContactFactory,
    CounterpartyFactory,
    DeliveryAddressFactory,
    InvitationFactory,
    MembershipFactory,
    PartnerFactory,
)
from tests.support import session_storage, signed_in
from tests.urls_inventory import all_routes

SAVEPOINT = re.compile(r"^(SAVEPOINT|RELEASE SAVEPOINT|ROLLBACK TO SAVEPOINT) ", re.IGNORECASE)

# Pinned counts, session storage aside. Partner pages share one query: the user with its
# access stamp, read in the session's statement (partners.sessions; memberships and
# agreements are read only when the stamp changes: partners.tenancy).
PARTNER_PAGES = {
    "web:home": 2,
    "partners:company": 7,
    "partners:counterparties": 2,
    "partners:agreements": 2,
    "partners:addresses": 2,
    "partners:contacts": 2,
    "partners:subsidiaries": 2,
    "partners:users": 3,
    "partners:audit": 4,
}
STAFF_PAGES = {
    "partners:staff_list": 6,
    "partners:staff_audit": 6,
}
ANONYMOUS_PAGES = {
    "web:home": 1,
    "accounts:login": 0,
}
# Routes that are not pages listing data: actions (POST), probes and the admin.
BULK_WRITE_SUFFIXES = (
    "_upsert_operation",
    "_delete_operation",
    "_archive_operation",
    "_apply_operation",
)

NOT_LIST_PAGES = {
    "onec_exchange": "1C's machine protocol; its orders query is pinned in "
    "kabinet/integrations/onec/tests/test_sale.py (test_query_counts_do_not_grow_with_orders)",
    "exchange_api:openapi-json": "the API's schema, no data",
    "exchange_api:openapi-view": "the API's docs page, no data",
    "exchange_api:api-root": "ninja's root, not a page",
    "web:healthz": "a probe, not a page; its queries are fixed (see test_healthz)",
    "accounts:logout": "POST action",
    "accounts:language": "POST action",
    "partners:switch": "POST action",
    "accounts:verify": "a one-field form",
    "accounts:password_reset": "a one-field form",
    "accounts:password_reset_done": "a message",
    "accounts:password_reset_confirm": "a form",
    "accounts:password_reset_complete": "a message",
    "accounts:password_change": "a form",
    "accounts:security": "one user's settings, no list",
    "accounts:sessions_end_others": "POST action",
    "accounts:mfa_setup": "a form",
    "accounts:mfa_disable": "POST action",
    "accounts:recovery_codes": "POST action",
    "partners:employee_new": "a form",
    "partners:security": "a form",
    "partners:member": "one member's form",
    "partners:member_block": "POST action",
    "partners:member_unblock": "POST action",
    "partners:member_expiry": "POST action",
    "partners:member_remove": "POST action",
    "partners:contact_invite": "POST action",
    "partners:invitation_resend": "POST action",
    "partners:invitation_revoke": "POST action",
    "partners:invitation": "a form",
    "partners:staff_invite": "POST action",
    "partners:staff_invitation_resend": "POST action",
    "partners:staff_invitation_revoke": "POST action",
    "partners:staff_user_block": "POST action",
    "partners:staff_user_unblock": "POST action",
    "partners:staff_user_expiry": "POST action",
    "partners:staff_user_password": "POST action",
    "orders:cart_add": "POST action",
    "orders:cart_clear": "POST action",
    "orders:line_quantity": "POST action (its htmx answer is pinned below)",
    "orders:line_remove": "POST action",
    "orders:submit": "POST action",
    "orders:cancel": "POST action",
    "orders:copy": "POST action",
    "orders:staff_status": "POST action",
    "orders:export": "a download: one streamed query (kabinet/orders/tests/test_order_views.py)",
    "orders:staff_export": "a download: one streamed query, as orders:export",
    "orders:quick_order_template_xlsx": "a download of a constant file, no query of its own",
    "orders:quick_order_template_csv": "a download of a constant file, no query of its own",
    "orders:quick_order_apply": "POST action",
    "integrations:token_new": "POST action (renders the integrations page, pinned below)",
    "integrations:token_revoke": "POST action",
    "integrations:password": "POST action",
    "integrations:active": "POST action",
    "integrations:outbox_retry": "POST action",
    "integrations:outbox_retry_all": "POST action",
    "exchange_api:events_poll": "an API list: pinned in kabinet/integrations/tests/"
    "test_events_api.py",
    "exchange_api:events_ack": "API action",
    "catalog:own_codes_upload": "a form",
    "catalog:own_codes_export": "a download: one streamed query",
    "catalog:own_codes_template": "a download of a constant file, no query of its own",
    "catalog:own_codes_apply": "POST action",
    "catalog:own_codes_discard": "POST action",
    "catalog:own_code_delete": "POST action",
}


def test_every_page_is_pinned() -> None:
    pinned = set(PARTNER_PAGES) | set(STAFF_PAGES) | set(ANONYMOUS_PAGES) | set(NOT_LIST_PAGES)
    pinned |= {"partners:staff_card"}  # pinned below with its own growth
    pinned |= {"catalog:list", "catalog:product"}  # pinned below with the catalog's growth
    pinned |= {"orders:cart"}  # pinned below with the cart's growth
    pinned |= {"orders:checkout", "orders:list", "orders:detail"}  # below, with orders
    pinned |= {"orders:staff_list", "orders:staff_detail"}
    pinned |= set(QUICK_ORDER_PAGES) | {"orders:quick_order"}  # pinned below, with growth
    pinned |= {"catalog:own_codes", "catalog:own_codes_report"}  # below, with growth
    pinned |= set(NOT_LIST_PAGES)
    pinned |= {"integrations:staff_list", "integrations:outbox", "integrations:outbox_message"}
    # The exchange API's bulk writes (POST only) cost per batch, not per page: P5 and the
    # inbound tests measure them. A read operation (a list) must be pinned like a page.
    pinned |= {
        route.name
        for route in all_routes()
        if route.name.startswith("exchange_api:") and route.name.endswith(BULK_WRITE_SUFFIXES)
    }
    missing = [
        route.name
        for route in all_routes()
        if not route.route.startswith("admin/") and not route.params and route.name not in pinned
    ]
    missing += [
        route.name
        for route in all_routes()
        if route.params
        and not route.route.startswith("admin/")
        and route.name not in pinned | {"content:page"}
    ]
    assert not missing, f"pages without a query-count pin in {__file__}: {missing}"


def _grow_partner(partner: Partner, times: int = 5) -> None:
    for _ in range(times):
        counterparty = CounterpartyFactory.create(partner=partner)
        AgreementFactory.create(counterparty=counterparty)
        DeliveryAddressFactory.create(partner=partner, counterparty=counterparty)
        ContactFactory.create(partner=partner, user=UserFactory.create())
        child = PartnerFactory.create(parent=partner)
        CounterpartyFactory.create(partner=child)
        MembershipFactory.create(partner=child, role=Role.PARTNER_ADMIN)
        member = MembershipFactory.create(partner=partner)
        InvitationFactory.create(partner=partner, invited_by=member.user)
        audit_record(
            AuditKind.SIGN_IN, actor=member.user, subject=member.user, partner_id=partner.pk
        )


def _session_storage(sql: str) -> bool:
    """Session storage (tests.support.session_storage) or a savepoint around its save."""
    return bool(SAVEPOINT.match(sql)) or session_storage(sql)


def _count(client: Client, url: str) -> int:
    """Queries of one request, session storage left out."""
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, url
    return sum(not _session_storage(query["sql"]) for query in queries.captured_queries)


def _assert_fixed(client: Client, url: str, pinned: int, grow: Callable[[], None]) -> None:
    grow()  # some rows of every kind, so that no list is empty (an empty one skips queries)
    client.get(url)  # warm caches that are per process, not per request (content types)
    before = _count(client, url)
    grow()
    # Again: the user's memberships and agreements are read once after they change and then
    # kept (partners.tenancy); the pin is the page's steady state.
    client.get(url)
    after = _count(client, url)
    assert (before, after) == (pinned, pinned), f"{url}: {before} then {after}, pinned {pinned}"


@pytest.mark.parametrize(("url_name", "pinned"), sorted(PARTNER_PAGES.items()))
def test_partner_pages(url_name: str, pinned: int, partner_admin: User, partner_a: Partner) -> None:
    _assert_fixed(
        signed_in(partner_admin), reverse(url_name), pinned, lambda: _grow_partner(partner_a)
    )


def _grow_everything() -> None:
    manager = UserFactory.create(is_staff=True)
    for _ in range(5):
        partner = PartnerFactory.create(manager=manager)
        _grow_partner(partner, times=1)


@pytest.mark.parametrize(("url_name", "pinned"), sorted(STAFF_PAGES.items()))
def test_staff_pages(url_name: str, pinned: int, staff_manager: User, partner_a: Partner) -> None:
    _assert_fixed(signed_in(staff_manager), reverse(url_name), pinned, _grow_everything)


def test_staff_partner_list_filtered(staff_manager: User, partner_a: Partner) -> None:
    url = reverse("partners:staff_list") + "?q=Part&active=yes&manager=1"
    _assert_fixed(signed_in(staff_manager), url, 6, _grow_everything)


def test_staff_partner_card(staff_manager: User, partner_a: Partner) -> None:
    url = reverse("partners:staff_card", kwargs={"partner_id": partner_a.pk})
    _assert_fixed(signed_in(staff_manager), url, 11, lambda: _grow_partner(partner_a))


@pytest.mark.parametrize(("url_name", "pinned"), sorted(ANONYMOUS_PAGES.items()))
def test_anonymous_pages(url_name: str, pinned: int, db: None) -> None:
    from kabinet.content.services import info_page_upsert

    def grow() -> None:
        for n in range(5):
            info_page_upsert(slug=f"page-{n}", title_ru=f"Страница {n}", body_ru="Текст")

    _assert_fixed(Client(), reverse(url_name), pinned, grow)


# The catalog: the user with its access stamp (memberships and agreements are kept in
# memory until it changes: partners.tenancy), listings (a search finds names, SKUs, EANs and
# article codes in the same statement). The price list, and the section tree, brands and attribute
# values the full page offers, are cached per price list until listings are refreshed (four
# more queries then); a section filter finds its section there.
CATALOG_PAGES = {
    "tiles": ("?view=tiles", 2),
    "list": ("?view=list", 2),
    "filtered": ("?q=халат&brand=1&in_stock=on&attr_material=хлопок&sort=-price", 2),
    "section": ("?section={section}&view=list&sort=price", 2),
    "results over htmx": ("?q=халат&sort=price", 2),
}


def _grow_catalog(partner: Partner, times: int = 6) -> None:
    from kabinet.catalog.tests.factories import (
        ProductImageFactory,
        SectionFactory,
        listed_product,
        price_list_of_agreement,
    )

    price_list = price_list_of_agreement(partner.agreements.get(is_main=True))
    parent = SectionFactory.create()
    for n in range(times):
        section = SectionFactory.create(parent=parent)
        product = listed_product(
            price_lists=[price_list],
            section=section,
            name=f"Халат {n}",
            colours=("Белый", "Синий"),
            sizes=("S", "M", "L"),
            attributes={"material": "хлопок", "gender": f"g{n}"},
        )
        ProductImageFactory.create(product=product)


@pytest.mark.parametrize("case", sorted(CATALOG_PAGES))
def test_catalog(case: str, partner_user: User, partner_a: Partner) -> None:
    from kabinet.catalog.models import Section
    from kabinet.catalog.selectors import listings_changed

    _grow_catalog(partner_a)
    query, pinned = CATALOG_PAGES[case]
    url = reverse("catalog:list") + query.format(section=Section.objects.order_by("pk")[0].pk)
    client = signed_in(partner_user)
    if case == "results over htmx":
        client.defaults.update(HTTP_HX_REQUEST="true", HTTP_HX_TARGET="catalog-results")

    def grow() -> None:  # then a page view, as pages are read many times between refreshes
        _grow_catalog(partner_a)
        client.get(url)

    _assert_fixed(client, url, pinned, grow)
    if case != "results over htmx":  # the first full page after a refresh reads the facets
        listings_changed()
        assert _count(client, url) == pinned + 4


def test_catalog_next_page(partner_user: User, partner_a: Partner) -> None:
    from kabinet.catalog.models import PriceList
    from kabinet.catalog.selectors import CatalogQuery, catalog_page

    _grow_catalog(partner_a)
    price_list = PriceList.objects.get(code=partner_a.agreements.get(is_main=True).price_list)
    query = CatalogQuery(sort="price")
    cursor = catalog_page(partner=partner_a, price_list=price_list, query=query, limit=3)
    url = reverse("catalog:list") + f"?sort=price&after={cursor.next_cursor}"
    client = signed_in(partner_user)

    def grow() -> None:
        _grow_catalog(partner_a)
        client.get(url)

    _assert_fixed(client, url, 2, grow)
    client.defaults.update(HTTP_HX_REQUEST="true", HTTP_HX_TARGET="catalog-more")
    _assert_fixed(client, url, 2, grow)


def test_product_card(partner_user: User, partner_a: Partner) -> None:
    from kabinet.catalog.models import Product, ProductImage, Variant
    from kabinet.catalog.tests.factories import (
        PriceFactory,
        ProductImageFactory,
        StockFactory,
        VariantFactory,
        price_list_of_agreement,
    )

    _grow_catalog(partner_a, times=1)
    product = Product.objects.get()
    price_list = price_list_of_agreement(partner_a.agreements.get(is_main=True))

    def grow() -> None:  # more colours, sizes and pictures of the same product
        n = Variant.objects.count()
        for colour in (f"Цвет {n}", f"Цвет {n + 1}"):
            variant = VariantFactory.create(product=product, colour=colour, size=f"X{n}")
            PriceFactory.create(price_list=price_list, variant=variant)
            StockFactory.create(variant=variant)
        ProductImageFactory.create(product=product, colour=f"Цвет {n}")

    url = reverse("catalog:product", kwargs={"product_id": product.pk})
    _assert_fixed(signed_in(partner_user), url, 6, grow)
    assert ProductImage.objects.count() > 2


def test_cart(partner_user: User, partner_a: Partner) -> None:
    """The cart: the user (with its access stamp), price list, prices, lines (with variants and
    products), whatever the number of lines; changing a line over htmx is fixed too."""
    from decimal import Decimal

    from kabinet.catalog.models import PriceList
    from kabinet.catalog.tests.factories import price_list_of_agreement
    from kabinet.orders.models import CartLine
    from kabinet.orders.services import cart_lines_add
    from kabinet.orders.tests.factories import priced_variants

    agreement = partner_a.agreements.get(is_main=True)
    price_list: PriceList = price_list_of_agreement(agreement)

    def grow(count: int) -> Callable[[], None]:
        def add() -> None:
            variants = priced_variants(price_list, count)
            cart_lines_add(
                partner=partner_a,
                user=partner_user,
                agreement=agreement,
                quantities={variant.pk: Decimal("1") for variant in variants},
            )

        return add

    client = signed_in(partner_user)
    grow(5)()
    client.get(reverse("orders:cart"))
    before = _count(client, reverse("orders:cart"))
    grow(50)()
    after = _count(client, reverse("orders:cart"))
    assert (before, after) == (4, 4), (before, after)
    assert CartLine.objects.count() == 55

    line = CartLine.objects.order_by("pk")[10]
    url = reverse("orders:line_quantity", kwargs={"line_id": line.pk})
    with CaptureQueriesContext(connection) as queries:
        response = client.post(url, {"quantity": "3"}, headers={"HX-Request": "true"})
    assert response.status_code == 200
    statements = [q["sql"] for q in queries.captured_queries if not _session_storage(q["sql"])]
    # the user (with its access stamp); the service: line, update, cart; the answer: price
    # list, prices, line values, the line
    assert len(statements) == 8, statements


def _grow_orders(partner: Partner, user: User, times: int = 3, lines: int = 3) -> None:
    from kabinet.orders.tests.factories import placed_order

    for n in range(times):
        counterparty = CounterpartyFactory.create(partner=partner)
        AgreementFactory.create(counterparty=counterparty)
        DeliveryAddressFactory.create(partner=partner, counterparty=counterparty)
        placed_order(partner, user, lines=lines, submit=n % 2 == 0)


# The order lists: the user (with its access stamp); counterparties (the filter), orders with their
# counterparty. Staff: the user (with its access stamp), permissions (2), orders with partner and
# counterparty. A number search counts its matches first (a bounded count: selectors'
# `_page_order`).
ORDER_PAGES = {
    "orders:list": ("", 3),
    "orders:list filtered": ("?status=submitted&number=K&date_from=2020-01-01&counterparty=1", 4),
    "orders:staff_list": ("", 4),
    "orders:staff_list filtered": ("?status=submitted&partner=1&date_to=2100-01-01", 4),
    "orders:staff_list by number": ("?number=k-&status=closed&status=submitted", 5),
}


@pytest.mark.parametrize("case", sorted(ORDER_PAGES))
def test_order_lists(
    case: str, partner_user: User, partner_a: Partner, staff_manager: User
) -> None:
    query, pinned = ORDER_PAGES[case]
    client = signed_in(staff_manager if "staff" in case else partner_user)
    url = reverse(case.split()[0]) + query
    _assert_fixed(client, url, pinned, lambda: _grow_orders(partner_a, partner_user))


def test_order_list_next_page(partner_user: User, partner_a: Partner) -> None:
    from kabinet.orders.selectors import OrderFilters, order_list

    _grow_orders(partner_a, partner_user, times=4)
    cursor = order_list(partner=partner_a, filters=OrderFilters()).orders[1]
    from kabinet.orders.selectors import _order_cursor

    url = reverse("orders:list") + f"?before={_order_cursor(cursor)}"
    _assert_fixed(signed_in(partner_user), url, 3, lambda: _grow_orders(partner_a, partner_user))


@pytest.mark.parametrize("staff", [False, True], ids=["partner", "staff"])
def test_order_page(
    staff: bool, partner_user: User, partner_a: Partner, staff_manager: User
) -> None:
    """One order with more and more lines and history: a fixed number of queries. A draft's
    page also reads the checkout choices (counterparties, agreements, addresses)."""
    from decimal import Decimal

    from kabinet.catalog.tests.factories import price_list_of_agreement
    from kabinet.orders.models import OrderLine
    from kabinet.orders.statuses import order_accept
    from kabinet.orders.tests.factories import placed_order, priced_variants

    order = placed_order(partner_a, partner_user, lines=2, submit=staff)
    price_list = price_list_of_agreement(partner_a.agreements.get(is_main=True))

    def grow() -> None:
        variants = priced_variants(price_list, 5)
        OrderLine.objects.bulk_create(
            OrderLine(
                order=order,
                variant=v,
                sku=v.sku,
                name="x",
                quantity=Decimal(1),
                price=Decimal(1),
                amount=Decimal(1),
            )
            for v in variants
        )
        _grow_partner(partner_a, times=1)

    if staff:
        order_accept(order_id=order.pk, actor=staff_manager)
        url = reverse("orders:staff_detail", kwargs={"order_id": order.pk})
        _assert_fixed(signed_in(staff_manager), url, 7, grow)  # 7: + its sync state
    else:
        url = reverse("orders:detail", kwargs={"order_id": order.pk})
        _assert_fixed(signed_in(partner_user), url, 7, grow)


def test_checkout_page(partner_user: User, partner_a: Partner) -> None:
    from decimal import Decimal

    from kabinet.catalog.tests.factories import price_list_of_agreement
    from kabinet.orders.services import cart_lines_add
    from kabinet.orders.tests.factories import priced_variants

    agreement = partner_a.agreements.get(is_main=True)
    price_list = price_list_of_agreement(agreement)

    def grow() -> None:
        variants = priced_variants(price_list, 5)
        cart_lines_add(
            partner=partner_a,
            user=partner_user,
            agreement=agreement,
            quantities={v.pk: Decimal(1) for v in variants},
        )
        _grow_partner(partner_a, times=1)

    # the user (with its access stamp), counterparties, agreements, addresses; the
    # cart: price list, prices, lines.
    _assert_fixed(signed_in(partner_user), reverse("orders:checkout"), 7, grow)


# The quick order (ORD5): the user (with its access stamp), the import (with its
# agreement); the columns page and its htmx preview match the first rows: price list, SKUs,
# EANs, own codes, prices; the report page and download add the SKUs and names of the
# lines. Whatever the size of the file and its report.
QUICK_ORDER_PAGES = {
    "orders:quick_order_map": 8,
    "orders:quick_order_preview": 8,
    "orders:quick_order_result": 3,
    "orders:quick_order_progress": 2,
    "orders:quick_order_report": 3,
}


@pytest.mark.parametrize(("url_name", "pinned"), sorted(QUICK_ORDER_PAGES.items()))
def test_quick_order_pages(
    url_name: str, pinned: int, partner_user: User, partner_a: Partner
) -> None:
    from kabinet.orders.tests.factories import quick_order_import_of

    client = signed_in(partner_user)
    small = quick_order_import_of(partner_a, partner_user, lines=2, rejected=1)
    big = quick_order_import_of(partner_a, partner_user, lines=60, rejected=40)
    query = "?code=0&quantity=1&kind=any&header=on" if url_name.endswith("preview") else ""
    counts = []
    for item in (small, big):
        url = reverse(url_name, kwargs={"import_id": item.pk}) + query
        client.get(url)  # per-process caches warmed
        counts.append(_count(client, url))
    assert counts == [pinned, pinned], counts


def test_quick_order_upload_page(partner_user: User, partner_a: Partner) -> None:
    """The user (with its access stamp), the count of the partner's own article codes."""
    from kabinet.catalog.tests.factories import PartnerArticleFactory

    def grow() -> None:
        for _ in range(3):
            PartnerArticleFactory.create(partner=partner_a)

    _assert_fixed(signed_in(partner_user), reverse("orders:quick_order"), 2, grow)


def _grow_outbox(partner: Partner) -> None:
    """Messages of every status, with attempts, from a partner's service calls."""
    from kabinet.outbox.models import AttemptOutcome, DeliveryAttempt, MessageStatus
    from kabinet.partners.services import contact_create

    for n in range(3):
        contact = contact_create(partner=partner, full_name=f"Contact {n}")
        # One message per integration that takes contacts.
        copies = OutboxMessage.objects.filter(object_type="contact", object_id=str(contact.pk))
        DeliveryAttempt.objects.bulk_create(
            DeliveryAttempt(message=message, outcome=AttemptOutcome.ERROR, error="x")
            for message in copies
        )
        copies.update(
            status=[MessageStatus.PENDING, MessageStatus.DELIVERED, MessageStatus.FAILED][n],
            attempts=1,
        )


def test_outbox_pages(partner_a: Partner, partner_b: Partner, staff_manager: User) -> None:
    from kabinet.integrations.models import Integration, IntegrationKind
    from kabinet.integrations.services import integration_create

    client = signed_in(staff_manager)
    url = reverse("integrations:outbox")
    first = integration_create(name="ERP 0", kind=IntegrationKind.ERP_API, actor=None)

    def grow() -> None:
        # Another integration each time: each gets its copy of the messages that follow,
        # and the filter lists it.
        count = Integration.objects.count()
        integration_create(name=f"ERP {count}", kind=IntegrationKind.ERP_API, actor=None)
        _grow_outbox(partner_a)
        _grow_outbox(partner_b)

    # 7: the filter's list of integrations is one query, however many there are.
    _assert_fixed(client, url, 6, grow)
    _assert_fixed(client, url + "?status=failed&topic=partner.contact_changed", 6, grow)
    oldest = OutboxMessage.objects.order_by("-pk")[2]
    _assert_fixed(client, url + f"?before={oldest.pk}&partner={partner_a.pk}", 6, grow)
    _assert_fixed(client, url + f"?integration={first.pk}", 6, grow)
    message = OutboxMessage.objects.order_by("pk").first()
    assert message is not None

    def more_attempts() -> None:
        from kabinet.outbox.models import AttemptOutcome, DeliveryAttempt

        DeliveryAttempt.objects.bulk_create(
            DeliveryAttempt(message=message, outcome=AttemptOutcome.ERROR) for _ in range(5)
        )

    url = reverse("integrations:outbox_message", kwargs={"message_id": message.pk})
    _assert_fixed(client, url, 5, more_attempts)


def test_integrations_page(db: None) -> None:
    from kabinet.accounts.roles import StaffRole
    from kabinet.accounts.tests.factories import StaffUserFactory
    from kabinet.integrations.models import IntegrationKind
    from kabinet.integrations.services import integration_create, integration_token_create

    admin = StaffUserFactory.create(roles=[StaffRole.ADMINISTRATOR])
    made: list[int] = []

    def grow() -> None:
        for kind in (IntegrationKind.ERP_API, IntegrationKind.ONEC):
            made.append(len(made))
            integration = integration_create(name=f"ERP {len(made)}", kind=kind, actor=None)
            for _ in range(2):
                integration_token_create(integration=integration, name="t", actor=None)

    _assert_fixed(signed_in(admin), reverse("integrations:staff_list"), 5, grow)


# A partner's own article codes (ORD2). The list: the user (with its access stamp), the
# count and the page of codes (with SKU, EAN and product name joined), searched or not, at any page.
OWN_CODE_PAGES = {"first": ("", 3), "search": ("?q=ART", 3), "deep": ("?page=2", 3)}


@pytest.mark.parametrize("case", sorted(OWN_CODE_PAGES))
def test_own_codes_list(case: str, partner_user: User, partner_a: Partner) -> None:
    from kabinet.catalog.tests.factories import PartnerArticleFactory

    def grow() -> None:
        PartnerArticleFactory.create_batch(60, partner=partner_a)

    query, pinned = OWN_CODE_PAGES[case]
    url = reverse("catalog:own_codes") + query
    _assert_fixed(signed_in(partner_user), url, pinned, grow)


def test_own_codes_report(partner_user: User, partner_a: Partner) -> None:
    """The user (with its access stamp), the upload, the stored rows of its codes, the
    partner's count, the SKUs and names of the codes shown: whatever the size of the file."""
    from kabinet.catalog.tests.factories import article_upload_of

    client = signed_in(partner_user)
    counts = []
    for size in (2, 80):
        upload = article_upload_of(partner_a, partner_user, codes=size)
        url = reverse("catalog:own_codes_report", kwargs={"upload_id": upload.pk})
        client.get(url)  # per-process caches warmed
        counts.append(_count(client, url))
    assert counts == [5, 5], counts
