"""Reading quantities typed by people: "2", "1,5", "1 000"."""

from decimal import Decimal, InvalidOperation
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from kabinet.catalog.selectors import MAX_ID
from kabinet.orders.services import quantity_error

FIELD_PREFIX = "q-"  # the product card's quantity inputs: q-<variant id>
MAX_FIELDS = 5_000


def quantity_parse(text: str) -> Decimal | None:
    """The quantity typed (decimal comma or point, spaces between thousands), 0 for an empty
    field, None when it is not a number."""
    cleaned = "".join(text.split()).replace(",", ".")
    if not cleaned:
        return Decimal(0)
    if len(cleaned) > 20:
        return None
    try:
        value = Decimal(cleaned)
    except InvalidOperation:
        return None
    return value if value.is_finite() else None


class QuantityField(forms.CharField):
    """A quantity ≥ 0 (0 or empty: none)."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("max_length", 30)
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)

    def clean(self, value: Any) -> Decimal:
        text = super().clean(value)
        quantity = quantity_parse(text)
        if quantity is None:
            raise forms.ValidationError(_("Enter a number."), code="invalid")
        if quantity < 0:
            raise forms.ValidationError(_("A quantity cannot be negative."), code="negative")
        if quantity and (error := quantity_error(quantity)):
            raise forms.ValidationError(error, code="invalid")
        return quantity


class AddToCartForm(forms.Form):
    """The product card's matrix: one field per variant, named q-<variant id>. Empty and zero
    fields are ignored; everything else a request posts (prices, partner, status) is too."""

    def __init__(self, data: Any) -> None:
        super().__init__(data)
        names = [name for name in data if name.startswith(FIELD_PREFIX)][:MAX_FIELDS]
        for name in names:
            suffix = name.removeprefix(FIELD_PREFIX)
            if suffix.isdigit() and 0 < int(suffix) <= MAX_ID:
                self.fields[name] = QuantityField()

    def quantities(self) -> dict[int, Decimal]:
        """Variant id → quantity of the fields filled in (after is_valid())."""
        return {
            int(name.removeprefix(FIELD_PREFIX)): value
            for name, value in self.cleaned_data.items()
            if value
        }

    def error_text(self) -> str:
        messages = (str(error) for errors in self.errors.values() for error in errors)
        return " ".join(dict.fromkeys(messages))


class LineQuantityForm(forms.Form):
    quantity = QuantityField(required=True)
