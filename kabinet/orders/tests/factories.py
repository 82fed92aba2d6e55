from decimal import Decimal

import factory

from kabinet.accounts.models import User
from kabinet.catalog.models import Price, PriceList, Variant
from kabinet.catalog.tests.factories import PriceFactory, StockFactory, VariantFactory
from kabinet.orders.models import Cart, CartLine
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
