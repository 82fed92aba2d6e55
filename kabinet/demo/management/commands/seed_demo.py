from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.db import transaction

from kabinet.accounts.models import User
from kabinet.accounts.roles import StaffRole
from kabinet.accounts.services import staff_user_create, user_create
from kabinet.catalog.models import Product
from kabinet.content.services import info_page_upsert
from kabinet.demo import data
from kabinet.demo.catalog import catalog_seed
from kabinet.demo.erp import demo_erp_ensure
from kabinet.demo.orders import demo_orders_exist, orders_seed
from kabinet.integrations.models import Integration, IntegrationKind
from kabinet.integrations.services import integration_create
from kabinet.partners.invitations import invitation_create
from kabinet.partners.models import Counterparty, Partner
from kabinet.partners.rights import Right, Role
from kabinet.partners.services import (
    agreement_create,
    contact_create,
    counterparty_create,
    delivery_address_create,
    membership_create,
    partner_create,
)


class Command(BaseCommand):
    help = "Load the demo data set (a medical-goods supplier). Safe to run again."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--catalog-products",
            type=int,
            default=2000,
            help="how many products the demo catalog has (default 2000)",
        )

    def handle(self, *args: Any, catalog_products: int, **options: Any) -> None:
        if Partner.objects.filter(erp_id=_erp_id("zdorovie")).exists():
            self.stdout.write("Demo data is already loaded.")
            if not Product.objects.exists():
                # A demo loaded before the catalog existed gets its catalog now.
                with transaction.atomic():
                    catalog_seed(products=catalog_products)
                self.stdout.write(self.style.SUCCESS("Demo catalog loaded."))
            if not demo_orders_exist():
                # A demo loaded before the orders existed gets its year of orders now.
                orders_seed()
                self.stdout.write(self.style.SUCCESS("Demo orders loaded."))
            if onec_integration_seed():
                # A demo loaded before the 1C exchange existed gets its integration now.
                self.stdout.write(self.style.SUCCESS("Demo 1C integration created."))
        else:
            seed(catalog_products=catalog_products)
            self.stdout.write(self.style.SUCCESS("Demo data loaded."))
        erp = demo_erp_ensure()
        self.stdout.write(f"Messages to the ERP go to the fake ERP at {erp.outbound_url}.")
        self.stdout.write(sign_in_table())


def _erp_id(key: str) -> str:
    return f"DEMO-{key}"


@transaction.atomic
def seed(*, catalog_products: int = 2000) -> None:
    """All or nothing: a half-loaded demo would be skipped by the check above forever."""
    # The ERPs first: every message the demo's data writes goes to each that takes it (the
    # fake ERP all of them, 1C the orders), as it would in a portal connected from day one.
    demo_erp_ensure()
    onec_integration_seed()
    staff: dict[str, User] = {}
    for email, full_name, roles in data.STAFF:
        staff[email] = staff_user_create(
            email=email,
            full_name=full_name,
            password=data.DEMO_PASSWORD,
            roles=[StaffRole(role) for role in roles],
        )

    partners: dict[str, Partner] = {}
    for key, name, city, parent_key, manager_email in data.PARTNERS:
        partners[key] = partner_create(
            name=name,
            city=city,
            parent=partners[parent_key] if parent_key else None,
            manager=staff[manager_email],
            erp_id=_erp_id(key),
        )

    counterparties: dict[str, Counterparty] = {}
    for key, name, country, tax_id, kpp_or_reg, address in data.COUNTERPARTIES:
        counterparties[tax_id] = counterparty_create(
            partner=partners[key],
            name=name,
            country=country,
            tax_id=tax_id,
            kpp=kpp_or_reg if country == "RU" else "",
            registration_number=kpp_or_reg if country != "RU" else "",
            legal_address=address,
            erp_id=_erp_id(tax_id),
        )

    for tax_id, number, currency, price_list, deferral, is_main in data.AGREEMENTS:
        agreement_create(
            counterparty=counterparties[tax_id],
            number=number,
            currency=currency,
            price_list=price_list,
            payment_deferral_days=deferral,
            is_main=is_main,
        )

    for key, title, postal_code, city, address, is_default in data.ADDRESSES:
        delivery_address_create(
            partner=partners[key],
            title=title,
            postal_code=postal_code,
            city=city,
            address=address,
            is_default=is_default,
        )

    for key, full_name, position, email, phone in data.CONTACTS:
        contact_create(
            partner=partners[key], full_name=full_name, position=position, email=email, phone=phone
        )

    for email, full_name, phone, memberships in data.PARTNER_USERS:
        user = user_create(
            email=email, full_name=full_name, phone=phone, password=data.DEMO_PASSWORD
        )
        for key, role, rights in memberships:
            membership_create(
                partner=partners[key],
                user=user,
                role=Role(role),
                rights=frozenset(Right(right) for right in rights),
            )
            contact_create(
                partner=partners[key], full_name=full_name, email=email, phone=phone, user=user
            )

    for page in data.INFO_PAGES:
        info_page_upsert(**page)

    # The partner without a key user has one invited: the e-mail (var/mail/ once the worker
    # runs) carries the registration link, so the whole ACC5 flow can be tried in the demo.
    key, full_name, email = data.PENDING_INVITATION
    invitation_create(
        partner=partners[key],
        email=email,
        full_name=full_name,
        role=Role.PARTNER_ADMIN,
        actor=staff[data.STAFF[1][0]],
    )

    # After the partners: the catalog gives one of them its own article codes (ORD2).
    catalog_seed(products=catalog_products)
    # After the catalog: a year of orders at its prices.
    orders_seed()


def onec_integration_seed() -> bool:
    """The demo's 1C integration (INT2), unless it exists; whether it was created."""
    if Integration.objects.filter(login=data.ONEC_LOGIN).exists():
        return False
    integration_create(
        name=data.ONEC_INTEGRATION_NAME,
        kind=IntegrationKind.ONEC,
        actor=None,
        login=data.ONEC_LOGIN,
        password=data.DEMO_PASSWORD,
    )
    return True


def sign_in_table() -> str:
    rows = data.sign_ins() + data.integration_sign_ins()
    width = max(len(row.email) for row in rows)
    lines = ["", "Demo sign-ins (password for all: " + data.DEMO_PASSWORD + "):"]
    for row in rows:
        lines.append(f"  {row.email.ljust(width)}  {row.role:<24} {row.company}")
    return "\n".join(lines)
