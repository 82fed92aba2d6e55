from collections.abc import Sequence
from decimal import Decimal
from typing import Any

import factory

from kabinet.accounts.models import User
from kabinet.catalog.models import (
    ArticleUpload,
    Brand,
    PartnerArticle,
    Price,
    PriceList,
    Product,
    ProductImage,
    Section,
    Stock,
    Variant,
)
from kabinet.catalog.services import listing_refresh, section_create
from kabinet.partners.models import Agreement, Partner


class SectionFactory(factory.django.DjangoModelFactory[Section]):
    """Through the service, which gives the section its materialized path."""

    class Meta:
        model = Section

    name = factory.Sequence(lambda n: f"Раздел {n}")
    parent = None
    position = 0

    @classmethod
    def _create(cls, model_class: type[Section], *args: Any, **kwargs: Any) -> Section:
        return section_create(**kwargs)


class BrandFactory(factory.django.DjangoModelFactory[Brand]):
    class Meta:
        model = Brand

    name = factory.Sequence(lambda n: f"Brand {n}")


class ProductFactory(factory.django.DjangoModelFactory[Product]):
    class Meta:
        model = Product

    section = factory.SubFactory(SectionFactory)
    brand = factory.SubFactory(BrandFactory)
    name = factory.Sequence(lambda n: f"Халат медицинский {n}")
    description = "Хлопок 100 %, плотность 160 г/м²."
    attributes = factory.LazyFunction(dict)


class ProductImageFactory(factory.django.DjangoModelFactory[ProductImage]):
    class Meta:
        model = ProductImage

    product = factory.SubFactory(ProductFactory)
    image = factory.django.ImageField(color="teal", width=60, height=80)


class VariantFactory(factory.django.DjangoModelFactory[Variant]):
    class Meta:
        model = Variant

    product = factory.SubFactory(ProductFactory)
    sku = factory.Sequence(lambda n: f"SKU-{n:06d}")
    ean = factory.Sequence(lambda n: f"460{n:010d}")
    colour = "Белый"
    size = "M"


class PriceListFactory(factory.django.DjangoModelFactory[PriceList]):
    class Meta:
        model = PriceList
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"Прайс {n}")
    name = factory.SelfAttribute("code")
    currency = "RUB"


class PriceFactory(factory.django.DjangoModelFactory[Price]):
    class Meta:
        model = Price

    price_list = factory.SubFactory(PriceListFactory)
    variant = factory.SubFactory(VariantFactory)
    amount = Decimal("1000.00")


class StockFactory(factory.django.DjangoModelFactory[Stock]):
    class Meta:
        model = Stock

    variant = factory.SubFactory(VariantFactory)
    quantity = Decimal("50")


class PartnerArticleFactory(factory.django.DjangoModelFactory[PartnerArticle]):
    class Meta:
        model = PartnerArticle

    variant = factory.SubFactory(VariantFactory)
    code = factory.Sequence(lambda n: f"ART-{n}")


def price_list_of_agreement(agreement: Agreement) -> PriceList:
    """The price list the agreement names (created when missing)."""
    return PriceListFactory.create(code=agreement.price_list)


def listed_product(
    *,
    price_lists: Sequence[PriceList],
    colours: Sequence[str] = ("Белый",),
    sizes: Sequence[str] = ("M",),
    price: Decimal | str = "1000.00",
    stock: Decimal | str | None = "50",
    refresh: bool = True,
    **product: Any,
) -> Product:
    """A product with a variant per colour × size, each priced `price` in every one of
    `price_lists` and with `stock` in store (None: no stock row); listed unless told not."""
    item = ProductFactory.create(**product)
    for colour in colours:
        for position, size in enumerate(sizes):
            variant = VariantFactory.create(
                product=item, colour=colour, size=size, position=position
            )
            for price_list in price_lists:
                PriceFactory.create(price_list=price_list, variant=variant, amount=Decimal(price))
            if stock is not None:
                StockFactory.create(variant=variant, quantity=Decimal(stock))
    if refresh:
        listing_refresh(product_ids=[item.pk])
    return item


def article_upload_of(partner: Partner, user: User, codes: int = 2) -> ArticleUpload:
    """An upload of `user` in `partner`, checked and waiting for confirmation: `codes` own
    codes for new variants and one row with an unknown SKU. Through the service."""
    from kabinet.catalog.own_codes.services import article_upload_create
    from kabinet.orders.quick_order.files import Table

    rows: list[list[Any]] = [[1, "Your code", "SKU or EAN"]]
    for n in range(codes):
        variant = VariantFactory.create()
        rows.append([n + 2, f"OWN-{partner.pk}-{variant.pk}", variant.sku])
    rows.append([codes + 2, "OWN-UNKNOWN", "NO-SUCH-SKU"])
    return article_upload_create(
        partner=partner, file_name="codes.xlsx", table=Table(format="xlsx", rows=rows), actor=user
    )
