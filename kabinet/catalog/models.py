"""The supplier's catalog (ORD1): sections, products with colour × size variants, price lists,
prices and stock; and the listing that catalog pages read.

What a partner may buy comes from its agreements: each names a price list (by code), and a
variant is available under an agreement when that price list has a price for it.
"""

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models.functions import Now, Upper
from django.db.models.lookups import GreaterThan
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kabinet.partners.models import Partner, PartnerOwnedQuerySet


class Section(models.Model):
    """A catalog section; sections nest. `path` ("0001.0004.") makes a whole subtree one
    indexed prefix query."""

    name = models.CharField(_("name"), max_length=200)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent section"),
        related_name="children",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
    )
    path = models.CharField(max_length=255, unique=True, editable=False)
    position = models.PositiveIntegerField(_("position"), default=0)
    erp_id = models.CharField(_("ERP id"), max_length=64, unique=True, null=True, blank=True)

    class Meta:
        verbose_name = _("section")
        verbose_name_plural = _("sections")
        ordering = ["path"]

    def __str__(self) -> str:
        return self.name

    @property
    def depth(self) -> int:
        return self.path.count(".") - 1


class Brand(models.Model):
    name = models.CharField(_("name"), max_length=120, unique=True)
    erp_id = models.CharField(_("ERP id"), max_length=64, unique=True, null=True, blank=True)

    class Meta:
        verbose_name = _("brand")
        verbose_name_plural = _("brands")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Product(models.Model):
    section = models.ForeignKey(
        Section, verbose_name=_("section"), related_name="products", on_delete=models.PROTECT
    )
    brand = models.ForeignKey(
        Brand,
        verbose_name=_("brand"),
        related_name="products",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
    )
    name = models.CharField(_("name"), max_length=255)
    description = models.TextField(_("description"), blank=True)
    # Filterable properties, e.g. {"material": "хлопок", "gender": "женский"}.
    attributes = models.JSONField(_("attributes"), default=dict, blank=True)
    image = models.ImageField(_("main image"), upload_to="catalog/", blank=True)
    is_archived = models.BooleanField(_("archived"), default=False)
    erp_id = models.CharField(_("ERP id"), max_length=64, unique=True, null=True, blank=True)

    class Meta:
        verbose_name = _("product")
        verbose_name_plural = _("products")
        ordering = ["name", "pk"]

    def __str__(self) -> str:
        return self.name


class ProductImage(models.Model):
    product = models.ForeignKey(
        Product, verbose_name=_("product"), related_name="images", on_delete=models.CASCADE
    )
    image = models.ImageField(_("image"), upload_to="catalog/")
    colour = models.CharField(_("colour"), max_length=60, blank=True)
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        verbose_name = _("product image")
        verbose_name_plural = _("product images")
        ordering = ["position", "pk"]

    def __str__(self) -> str:
        return self.image.name or ""


class Variant(models.Model):
    """One SKU: a product in one colour and size."""

    product = models.ForeignKey(
        Product, verbose_name=_("product"), related_name="variants", on_delete=models.CASCADE
    )
    sku = models.CharField(_("SKU"), max_length=64, unique=True)
    ean = models.CharField(_("EAN"), max_length=14, unique=True, null=True, blank=True)
    colour = models.CharField(_("colour"), max_length=60, blank=True)
    size = models.CharField(_("size"), max_length=30, blank=True)
    position = models.PositiveSmallIntegerField(_("size order"), default=0)
    is_archived = models.BooleanField(_("archived"), default=False)
    erp_id = models.CharField(_("ERP id"), max_length=64, unique=True, null=True, blank=True)

    class Meta:
        verbose_name = _("variant")
        verbose_name_plural = _("variants")
        ordering = ["product_id", "colour", "position", "pk"]
        indexes = [
            models.Index(fields=["product", "colour", "position"]),
            # SKU search ignores case (catalog.selectors._matching_products).
            models.Index(Upper("sku"), name="catalog_variant_sku_upper"),
        ]

    def __str__(self) -> str:
        return self.sku


class PriceList(models.Model):
    """A price type of the ERP. Agreements name it by `code` (Agreement.price_list)."""

    code = models.CharField(_("code"), max_length=120, unique=True)
    name = models.CharField(_("name"), max_length=200)
    currency = models.CharField(_("currency"), max_length=3, default="RUB")

    class Meta:
        verbose_name = _("price list")
        verbose_name_plural = _("price lists")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Price(models.Model):
    price_list = models.ForeignKey(
        PriceList, verbose_name=_("price list"), related_name="prices", on_delete=models.CASCADE
    )
    variant = models.ForeignKey(
        Variant, verbose_name=_("variant"), related_name="prices", on_delete=models.CASCADE
    )
    amount = models.DecimalField(_("price"), max_digits=12, decimal_places=2)

    class Meta:
        verbose_name = _("price")
        verbose_name_plural = _("prices")
        constraints = [
            models.UniqueConstraint(fields=["price_list", "variant"], name="catalog_price_unique"),
            models.CheckConstraint(
                condition=models.Q(amount__gte=Decimal("0")), name="catalog_price_not_negative"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.variant} {self.amount}"


class Stock(models.Model):
    variant = models.OneToOneField(
        Variant, verbose_name=_("variant"), related_name="stock", on_delete=models.CASCADE
    )
    quantity = models.DecimalField(_("quantity"), max_digits=12, decimal_places=3, default=0)

    class Meta:
        verbose_name = _("stock")
        verbose_name_plural = _("stock")

    def __str__(self) -> str:
        return f"{self.variant}: {self.quantity}"


class PartnerArticle(models.Model):
    """A partner's own article code for one of our variants (ORD2 search, ORD5 import)."""

    partner = models.ForeignKey(
        Partner, verbose_name=_("partner"), related_name="articles", on_delete=models.CASCADE
    )
    variant = models.ForeignKey(
        Variant,
        verbose_name=_("variant"),
        related_name="partner_articles",
        on_delete=models.CASCADE,
    )
    code = models.CharField(_("article code"), max_length=64)

    objects = PartnerOwnedQuerySet["PartnerArticle"].as_manager()

    class Meta:
        verbose_name = _("partner's article code")
        verbose_name_plural = _("partners' article codes")
        constraints = [
            models.UniqueConstraint(fields=["partner", "code"], name="catalog_article_unique")
        ]
        indexes = [
            # Codes are matched ignoring case (quick order, the upload of own codes).
            models.Index("partner", Upper("code"), name="catalog_article_code_upper"),
        ]

    def __str__(self) -> str:
        return self.code


class ArticleUpload(models.Model):
    """A table of a partner's own article codes as uploaded and checked, waiting for the
    user to confirm it (catalog.own_codes). The file itself is not kept: `entries` holds
    the codes recognised ([row, code, variant id]), `rejected` the rows refused ([row, code,
    SKU or EAN, reason]). PartnerArticle is untouched until the upload is applied, which
    deletes it; a user has at most one upload per partner (a new one replaces it).
    """

    partner = models.ForeignKey(
        Partner, verbose_name=_("partner"), related_name="article_uploads", on_delete=models.CASCADE
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        related_name="article_uploads",
        on_delete=models.CASCADE,
    )
    file_name = models.CharField(_("file name"), max_length=120)
    rows_read = models.PositiveIntegerField(_("rows read"), default=0)
    header = models.BooleanField(default=False)  # the first row was taken as column names
    entries = models.JSONField(default=list, blank=True)
    rejected = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(_("uploaded"), default=timezone.now)

    objects = PartnerOwnedQuerySet["ArticleUpload"].as_manager()

    class Meta:
        verbose_name = _("upload of article codes")
        verbose_name_plural = _("uploads of article codes")
        indexes = [models.Index(fields=["partner", "user"], name="catalog_articleupload_owner")]

    def __str__(self) -> str:
        return self.file_name


class Listing(models.Model):
    """One product as one price list sells it: what catalog pages read.

    Derived from Price and Stock by `listing_refresh` (catalog.services) whenever they change,
    so a catalog page is one indexed range scan — keyset-paginated by name or price — instead
    of aggregating a million price rows per request (QUALITY.md P1).
    """

    # No index of its own on price_list: every composite index below starts with it, and a
    # re-priced listing is rewritten through every index it has (catalog.sync). Nor on brand:
    # the (brand, price list, section) index below serves the brand filter and a brand's
    # deletion.
    price_list = models.ForeignKey(
        PriceList, related_name="listings", on_delete=models.CASCADE, db_index=False
    )
    product = models.ForeignKey(Product, related_name="listings", on_delete=models.CASCADE)
    section_path = models.CharField(max_length=255)
    brand = models.ForeignKey(
        Brand, null=True, related_name="+", on_delete=models.SET_NULL, db_index=False
    )
    name = models.CharField(max_length=255)
    name_folded = models.CharField(max_length=255)  # lower case: sort and search key
    min_price = models.DecimalField(max_digits=12, decimal_places=2)
    max_price = models.DecimalField(max_digits=12, decimal_places=2)
    stock = models.DecimalField(max_digits=14, decimal_places=3)
    # What the search index needs of the stock (PostgreSQL, migration 0009): a change of
    # quantity that leaves a listing in stock changes no indexed column, so it stays a HOT
    # update that writes no index entry.
    in_stock = models.GeneratedField(
        expression=GreaterThan(models.F("stock"), 0),
        output_field=models.BooleanField(),
        db_persist=True,
    )
    variant_count = models.PositiveIntegerField()
    # Copies of the product's, so that a page filters and shows rows without joining products.
    attributes = models.JSONField(default=dict)
    image = models.CharField(max_length=100, blank=True, default="")

    class Meta:
        # PostgreSQL also has an index of (price list, three letters of name_folded) keys for
        # the name search (migration 0006) and one on (price_list, section_path) for prefix
        # matches (migration 0002).
        constraints = [
            models.UniqueConstraint(fields=["price_list", "product"], name="catalog_listing_unique")
        ]
        indexes = [
            models.Index(fields=["price_list", "name_folded", "product"]),
            models.Index(fields=["price_list", "min_price", "product"]),
            models.Index(fields=["price_list", "section_path", "name_folded", "product"]),
            # A brand's listings in a section, found in the index alone: the brand index
            # ANDed with the section's read all the brand's listings of the price list
            # (1.4 → 0.3 ms on data set L). The pattern ops (PostgreSQL; SQLite ignores them)
            # let `section_path LIKE 'path%'` be a range of it in any collation.
            models.Index(
                fields=["brand", "price_list", "section_path"],
                opclasses=["", "", "varchar_pattern_ops"],
                name="catalog_listing_brand_section",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.price_list_id}:{self.name}"


class ListingStale(models.Model):
    """A product whose listings wait to be recomputed after an ERP sync changed its prices
    or stock (catalog.sync): the sync only queues the product, and the background task
    `listings_refresh_stale_task`, enqueued when the sync commits, recomputes its listings
    and removes the row. One row per product however many syncs touched it, so refreshes
    coalesce. Cart and checkout read Price and Stock themselves and are never stale."""

    product = models.OneToOneField(
        Product, primary_key=True, related_name="+", on_delete=models.CASCADE
    )
    # A database default: catalog.sync queues products with INSERT … SELECT.
    queued_at = models.DateTimeField(db_default=Now())

    class Meta:
        verbose_name = _("listing to refresh")
        verbose_name_plural = _("listings to refresh")

    def __str__(self) -> str:
        return str(self.product_id)
