"""The order forms: quantities typed by people ("2", "1,5", "1 000"), checkout, drafts and
the order list filters."""

from decimal import Decimal, InvalidOperation
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from kabinet.catalog.selectors import MAX_ID
from kabinet.orders.checkout import OrderDetails
from kabinet.orders.models import OrderStatus
from kabinet.orders.selectors import OrderFilters
from kabinet.orders.services import quantity_error
from kabinet.partners.models import Agreement, Counterparty, DeliveryAddress

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


def _styled(form: forms.Form) -> None:
    for field in form.fields.values():
        css = "form-select" if isinstance(field, forms.ChoiceField) else "form-control"
        field.widget.attrs.setdefault("class", css)


def _iso_date(**kwargs: Any) -> forms.DateField:
    # An <input type="date"> takes ISO dates only, whatever the interface language.
    return forms.DateField(
        required=False,
        widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"}),
        **kwargs,
    )


class CheckoutForm(forms.Form):
    """Checkout (ORD4). The choices are the partner's own; an id of anything else is not a
    valid choice. Whatever else is posted (prices, status, partner) is not read (R3)."""

    counterparty = forms.TypedChoiceField(label=_("Counterparty"), coerce=int)
    agreement = forms.TypedChoiceField(label=_("Agreement"), coerce=int)
    delivery_address = forms.TypedChoiceField(
        label=_("Delivery address"), coerce=int, required=False, empty_value=None
    )
    desired_date = _iso_date(label=_("Desired delivery date"))
    po_number = forms.CharField(
        label=_("Your PO number"), max_length=64, required=False, strip=True
    )
    comment = forms.CharField(
        label=_("Comment"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    checkout_key = forms.UUIDField(
        widget=forms.HiddenInput,
        error_messages={
            "required": _("The checkout form is out of date. Reload the page and try again."),
            "invalid": _("The checkout form is out of date. Reload the page and try again."),
        },
    )

    def __init__(
        self,
        data: Any = None,
        *,
        counterparties: list[Counterparty],
        agreements: list[Agreement],
        addresses: list[DeliveryAddress],
        **kwargs: Any,
    ) -> None:
        super().__init__(data, **kwargs)
        self.counterparties = {item.pk: item for item in counterparties}
        self.agreements = {item.pk: item for item in agreements}
        self.addresses = {item.pk: item for item in addresses}
        self.fields["counterparty"].choices = [  # type: ignore[attr-defined]
            (item.pk, f"{item.name} ({item.tax_id})") for item in counterparties
        ]
        self.fields["agreement"].choices = [  # type: ignore[attr-defined]
            (item.pk, f"{item.number} — {item.counterparty.name}") for item in agreements
        ]
        self.fields["delivery_address"].choices = [  # type: ignore[attr-defined]
            ("", _("Pickup / agree with the manager")),
            *((item.pk, str(item)) for item in addresses),
        ]
        _styled(self)

    def details(self) -> OrderDetails:
        data = self.cleaned_data
        address_id = data.get("delivery_address")
        return OrderDetails(
            counterparty=self.counterparties[data["counterparty"]],
            agreement=self.agreements[data["agreement"]],
            delivery_address=self.addresses.get(address_id) if address_id else None,
            desired_date=data.get("desired_date"),
            comment=data.get("comment", ""),
            po_number=data.get("po_number", ""),
        )


class DraftForm(CheckoutForm):
    """A draft's details and its lines' quantities (fields q-<line id>; 0 removes a line)."""

    checkout_key = None  # type: ignore[assignment]

    def __init__(self, data: Any = None, *, line_ids: list[int], **kwargs: Any) -> None:
        super().__init__(data, **kwargs)
        for line_id in line_ids:
            self.fields[f"{FIELD_PREFIX}{line_id}"] = QuantityField(
                widget=forms.TextInput(
                    attrs={
                        "inputmode": "decimal",
                        "class": "form-control form-control-sm text-end qty-input",
                    }
                )
            )

    def quantities(self) -> dict[int, Decimal]:
        return {
            int(name.removeprefix(FIELD_PREFIX)): value
            for name, value in self.cleaned_data.items()
            if name.startswith(FIELD_PREFIX)
        }


class OrderFilterForm(forms.Form):
    """Filters of the order lists (ORD6). A wrong value is ignored, not an error page."""

    number = forms.CharField(
        label=_("Number"),
        required=False,
        max_length=64,
        widget=forms.TextInput(
            attrs={"type": "search", "placeholder": _("Order, ERP or PO number")}
        ),
    )
    status = forms.MultipleChoiceField(
        label=_("Status"),
        required=False,
        choices=OrderStatus.choices,
        widget=forms.SelectMultiple(attrs={"size": 1}),
    )
    counterparty = forms.TypedChoiceField(
        label=_("Counterparty"), required=False, coerce=int, empty_value=None
    )
    date_from = _iso_date(label=_("From"))
    date_to = _iso_date(label=_("To"))
    before = forms.CharField(required=False, max_length=200, widget=forms.HiddenInput)

    def __init__(
        self,
        data: Any = None,
        *,
        counterparties: list[tuple[int, str]] | None = None,
        statuses: list[tuple[str, Any]] | None = None,
    ) -> None:
        super().__init__(data)
        if counterparties is None:
            del self.fields["counterparty"]
        else:
            self.fields["counterparty"].choices = [  # type: ignore[attr-defined]
                ("", _("All counterparties")),
                *counterparties,
            ]
        if statuses is not None:
            self.fields["status"].choices = statuses  # type: ignore[attr-defined]
        _styled(self)

    def filters(self, **extra: Any) -> OrderFilters:
        """The filters of the valid fields (an invalid one is dropped, not an error)."""
        data: dict[str, Any] = {}
        if self.is_bound:
            self.is_valid()  # fills cleaned_data with the fields that are valid
            data = self.cleaned_data
        return OrderFilters(
            counterparty_id=data.get("counterparty"),
            statuses=tuple(data.get("status") or ()),
            date_from=data.get("date_from"),
            date_to=data.get("date_to"),
            number=data.get("number") or "",
            before=data.get("before") or "",
            **extra,
        )


class StaffStatusForm(forms.Form):
    status = forms.ChoiceField(label=_("New status"), choices=OrderStatus.choices)
    note = forms.CharField(label=_("Note"), max_length=500, required=False)

    def __init__(self, data: Any = None, *, allowed: list[str]) -> None:
        super().__init__(data)
        self.fields["status"].choices = [  # type: ignore[attr-defined]
            (value, OrderStatus(value).label) for value in allowed
        ]
        _styled(self)
