"""The cart (ORD4): one persisted cart per user and partner, a line per variant.

Lines hold quantities only. Prices are never stored in the cart: they are read from the
price list of the agreement every time the cart is shown, so a price change or a variant
taken off sale shows at once (the line is flagged unavailable, not silently dropped).
"""

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kabinet.catalog.models import Variant
from kabinet.partners.models import Agreement, Partner, PartnerOwnedQuerySet


class Cart(models.Model):
    partner = models.ForeignKey(
        Partner, verbose_name=_("partner"), related_name="carts", on_delete=models.CASCADE
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        related_name="carts",
        on_delete=models.CASCADE,
    )
    # The agreement the lines were last added under (the catalog's current one then).
    agreement = models.ForeignKey(
        Agreement,
        verbose_name=_("agreement"),
        related_name="+",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
    )
    updated_at = models.DateTimeField(_("updated"), default=timezone.now)

    objects = PartnerOwnedQuerySet["Cart"].as_manager()

    class Meta:
        verbose_name = _("cart")
        verbose_name_plural = _("carts")
        constraints = [
            models.UniqueConstraint(fields=["partner", "user"], name="orders_cart_unique")
        ]

    def __str__(self) -> str:
        return f"{self.partner_id}/{self.user_id}"


class CartLineQuerySet(models.QuerySet["CartLine"]):
    def of_cart(self, *, partner: Partner, user_id: int) -> "CartLineQuerySet":
        """The lines of one user's cart in one partner: nobody else's line is ever found."""
        return self.filter(cart__partner=partner, cart__user_id=user_id)


class CartLine(models.Model):
    cart = models.ForeignKey(
        Cart, verbose_name=_("cart"), related_name="lines", on_delete=models.CASCADE
    )
    variant = models.ForeignKey(
        Variant, verbose_name=_("variant"), related_name="cart_lines", on_delete=models.CASCADE
    )
    quantity = models.DecimalField(_("quantity"), max_digits=12, decimal_places=3)
    added_at = models.DateTimeField(_("added"), default=timezone.now)

    objects = CartLineQuerySet.as_manager()

    class Meta:
        verbose_name = _("cart line")
        verbose_name_plural = _("cart lines")
        ordering = ["added_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["cart", "variant"], name="orders_cartline_unique"),
            models.CheckConstraint(
                condition=models.Q(quantity__gt=Decimal("0")),
                name="orders_cartline_quantity_positive",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.variant_id} × {self.quantity}"
