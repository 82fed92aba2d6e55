"""The quick order's forms: the upload and the column mapping."""

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from kabinet.orders.quick_order.matching import CODE_KINDS, Mapping

NO_PRICE = ""


def column_letter(index: int) -> str:
    """0 → A, 25 → Z, 26 → AA."""
    letters = ""
    index += 1
    while index:
        index, remainder = divmod(index - 1, 26)
        letters = chr(65 + remainder) + letters
    return letters


def column_labels(
    head: list[list[Any]], count: int, offset: int, *, header: bool
) -> list[tuple[str, str]]:
    """(value, label) of each column: its letter in the sheet, with the header's text."""
    names = [str(cell) for cell in head[0][1:]] if head and header else []
    labels = []
    for index in range(count):
        letter = column_letter(index + offset)
        name = names[index] if index < len(names) else ""
        labels.append((str(index), f"{letter}: {name[:40]}" if name else letter))
    return labels


class UploadForm(forms.Form):
    file = forms.FileField(
        label=_("Order file"),
        help_text=_("XLSX or CSV, up to 10 MB and 100,000 lines."),
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx,.csv"}),
    )


class MappingForm(forms.Form):
    header = forms.BooleanField(label=_("The first row holds column names"), required=False)
    code = forms.ChoiceField(label=_("Code column"))
    kind = forms.ChoiceField(label=_("The code is"), choices=list(CODE_KINDS.items()))
    quantity = forms.ChoiceField(label=_("Quantity column"))
    price = forms.ChoiceField(label=_("Expected price column (optional)"), required=False)

    def __init__(self, *args: Any, columns: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name, choices in (
            ("code", columns),
            ("quantity", columns),
            ("price", [(NO_PRICE, _("— none —")), *columns]),
        ):
            field = self.fields[name]
            assert isinstance(field, forms.ChoiceField)
            field.choices = choices

    def mapping(self) -> Mapping:
        """The chosen mapping (after is_valid())."""
        data = self.cleaned_data
        price = data.get("price")
        return Mapping(
            code=int(data["code"]),
            quantity=int(data["quantity"]),
            price=int(price) if price not in (None, NO_PRICE) else None,
            kind=data["kind"],
            header=bool(data.get("header")),
        )


def mapping_initial(mapping: Mapping) -> dict[str, Any]:
    return {
        "header": mapping.header,
        "code": str(mapping.code),
        "kind": mapping.kind,
        "quantity": str(mapping.quantity),
        "price": NO_PRICE if mapping.price is None else str(mapping.price),
    }
