from django import forms
from django.utils.translation import gettext_lazy as _


class StaffPartnerFilterForm(forms.Form):
    """Search and filters of the staff partner list. Unknown values are ignored, not errors."""

    ACTIVE_CHOICES = [("", _("All")), ("yes", _("Active")), ("no", _("Inactive"))]

    q = forms.CharField(
        label=_("Search"),
        required=False,
        max_length=100,
        widget=forms.TextInput(
            attrs={
                "placeholder": _("Name, tax ID or city"),
                "type": "search",
                "class": "form-control",
            }
        ),
    )
    active = forms.ChoiceField(
        label=_("Status"),
        choices=ACTIVE_CHOICES,
        required=False,
        widget=forms.Select(attrs={"class": "form-select"}),
    )
    manager = forms.TypedChoiceField(
        label=_("Manager"),
        required=False,
        coerce=int,
        empty_value=None,
        widget=forms.Select(attrs={"class": "form-select"}),
    )

    def __init__(self, *args: object, managers: list[tuple[int, str]], **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["manager"].choices = [("", _("Any manager")), *managers]  # type: ignore[attr-defined]

    def active_value(self) -> bool | None:
        return {"yes": True, "no": False}.get(self.cleaned_data.get("active") or "")
