"""Money and stock as the catalog shows them, formatted for the current language."""

from decimal import Decimal
from typing import Any

from django import template
from django.conf import settings
from django.utils import formats

register = template.Library()

CURRENCY_SIGNS = {"RUB": "₽", "USD": "$", "EUR": "€", "KZT": "₸", "BYN": "Br", "CNY": "¥"}


@register.filter
def money(amount: Decimal | None, currency: str = "RUB") -> str:
    """1234.5, "RUB" → "1 234,50 ₽" in Russian, "1,234.50 ₽" in English."""
    if amount is None:
        return ""
    number = formats.number_format(amount, 2, use_l10n=True, force_grouping=True)
    return f"{number}\N{NO-BREAK SPACE}{CURRENCY_SIGNS.get(currency, currency)}"


def stock_level(quantity: Decimal) -> str:
    if quantity <= 0:
        return "none"
    return "many" if quantity >= settings.CATALOG_STOCK_MANY else "few"


@register.inclusion_tag("catalog/_stock.html")
def stock(quantity: Decimal | None) -> dict[str, Any]:
    """Stock as a level (many / few / none) or as a number, per CATALOG_STOCK_DISPLAY."""
    quantity = quantity if quantity is not None else Decimal(0)
    return {
        "level": stock_level(quantity),
        "show_quantity": settings.CATALOG_STOCK_DISPLAY == "quantity",
        "quantity": formats.number_format(
            quantity.normalize() if quantity > 0 else Decimal(0), use_l10n=True, force_grouping=True
        ),
    }
