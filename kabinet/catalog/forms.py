from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from kabinet.catalog.selectors import FILTER_ATTRIBUTES, MAX_ID, CatalogQuery

SORT_CHOICES = [
    ("name", _("By name")),
    ("price", _("Price: low to high")),
    ("-price", _("Price: high to low")),
]
VIEW_CHOICES = [("tiles", _("Tiles")), ("list", _("List"))]


class IdListField(forms.Field):
    """Ids from repeated parameters (?brand=1&brand=2); what is not an id is left out."""

    widget = forms.MultipleHiddenInput

    def to_python(self, value: Any) -> list[int]:
        ids = []
        for item in value or []:
            try:
                number = int(item)
            except (TypeError, ValueError):
                continue
            if 0 < number <= MAX_ID and number not in ids:
                ids.append(number)
        return ids[:50]


class CatalogFilterForm(forms.Form):
    """Reads the catalog's query string. Nothing in it is an error: a value that does not
    parse is dropped and its default used (a hand-edited address still shows the catalog)."""

    q = forms.CharField(required=False, max_length=100)
    section = forms.IntegerField(required=False, min_value=1, max_value=MAX_ID)
    brand = IdListField(required=False)
    in_stock = forms.BooleanField(required=False)
    sort = forms.ChoiceField(choices=SORT_CHOICES, required=False)
    view = forms.ChoiceField(choices=VIEW_CHOICES, required=False)
    after = forms.CharField(required=False, max_length=200)
    agreement = forms.IntegerField(required=False, min_value=1, max_value=MAX_ID)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for key in FILTER_ATTRIBUTES:
            self.fields[f"attr_{key}"] = forms.CharField(required=False, max_length=100)
        self.is_valid()

    def value(self, name: str, default: Any = None) -> Any:
        """The field's clean value, or `default` when it is missing, empty or invalid."""
        return self.cleaned_data.get(name) or default

    def catalog_query(self) -> CatalogQuery:
        attributes = {
            key: self.value(f"attr_{key}") for key in FILTER_ATTRIBUTES if self.value(f"attr_{key}")
        }
        return CatalogQuery(
            section_id=self.value("section"),
            brand_ids=self.value("brand", []),
            in_stock=bool(self.value("in_stock")),
            search=self.value("q", ""),
            attributes=attributes,
            sort=self.value("sort", "name"),
            after=self.value("after", ""),
        )
