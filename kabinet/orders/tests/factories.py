import uuid
from decimal import Decimal
from typing import Any

import factory

from kabinet.accounts.models import User
from kabinet.catalog.models import Price, PriceList, Variant
from kabinet.catalog.tests.factories import PriceFactory, StockFactory, VariantFactory
from kabinet.orders.checkout import OrderDetails, order_place
from kabinet.orders.models import Cart, CartLine, Order, QuickOrderImport
from kabinet.orders.services import cart_lines_add
from kabinet.partners.models import Partner


class CartFactory(factory.django.DjangoModelFactory[Cart]):
    class Meta:
        model = Cart
        django_get_or_create = ("partner", "user")


class CartLineFactory(factory.django.DjangoModelFactory[CartLine]):
    class Meta:
        model = CartLine

    variant = factory.SubFactory(VariantFactory)
    quantity = Decimal("1")


def priced_variants(price_list: PriceList, count: int, price: str = "100.00") -> list[Variant]:
    """`count` variants of one product, each priced in `price_list`, in bulk (fast for 2,000)."""
    first = VariantFactory.create(product__name="Перчатки нитриловые", size="0")
    product = first.product
    base = first.pk
    variants = [
        first,
        *Variant.objects.bulk_create(
            Variant(product=product, sku=f"BULK-{base}-{n}", size=str(n), position=n)
            for n in range(1, count)
        ),
    ]
    Price.objects.bulk_create(
        Price(price_list=price_list, variant=variant, amount=Decimal(price)) for variant in variants
    )
    return variants


def cart_line_of(
    partner: Partner, user: User, price_list: PriceList, quantity: str = "3"
) -> CartLine:
    """A line of `user`'s cart in `partner`, for a variant priced in `price_list`."""
    variant = VariantFactory.create(product__name="Бахилы")
    PriceFactory.create(price_list=price_list, variant=variant)
    StockFactory.create(variant=variant)
    cart = CartFactory.create(partner=partner, user=user)
    return CartLineFactory.create(cart=cart, variant=variant, quantity=Decimal(quantity))


def placed_order(
    partner: Partner,
    user: User,
    *,
    lines: int = 2,
    submit: bool = True,
    price: str = "100.00",
    **details: Any,
) -> Order:
    """An order of `lines` lines placed through checkout by `user` of `partner`, under the
    partner's main agreement (its price list is made when missing)."""
    from kabinet.catalog.tests.factories import price_list_of_agreement

    agreement = partner.agreements.get(is_main=True)
    price_list = price_list_of_agreement(agreement)
    variants = priced_variants(price_list, lines, price=price)
    for variant in variants:
        StockFactory.create(variant=variant)
    cart_lines_add(
        partner=partner,
        user=user,
        agreement=agreement,
        quantities={variant.pk: Decimal(n + 1) for n, variant in enumerate(variants)},
    )
    order, _created = order_place(
        partner=partner,
        user=user,
        details=OrderDetails(
            counterparty=agreement.counterparty,
            agreement=agreement,
            delivery_address=partner.delivery_addresses.first(),
            **details,
        ),
        checkout_key=uuid.uuid4(),
        submit=submit,
    )
    return order


def quick_order_import_of(
    partner: Partner, user: User, lines: int = 2, rejected: int = 1
) -> QuickOrderImport:
    """An import of `user` in `partner` with its report ready: `lines` codes on sale under
    the partner's main agreement and `rejected` unknown ones. Through the services."""
    from kabinet.catalog.tests.factories import price_list_of_agreement
    from kabinet.orders.quick_order.files import Table
    from kabinet.orders.quick_order.matching import Mapping
    from kabinet.orders.quick_order.services import quick_order_map, quick_order_upload

    agreement = partner.agreements.get(is_main=True)
    variants = priced_variants(price_list_of_agreement(agreement), lines) if lines else []
    rows: list[list[object]] = [[1, "Код", "Количество"]]
    rows += [[n + 2, variant.sku, "2"] for n, variant in enumerate(variants)]
    rows += [[len(rows) + 1 + n, f"UNKNOWN-{n}", "1"] for n in range(rejected)]
    item = quick_order_upload(
        partner=partner,
        user=user,
        agreement=agreement,
        file_name="order.xlsx",
        table=Table(format="xlsx", rows=rows),
    )
    return quick_order_map(
        partner=partner, user=user, import_id=item.pk, mapping=Mapping(code=0, quantity=1)
    )
