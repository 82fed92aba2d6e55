from django import forms
from django.utils.translation import gettext_lazy as _

from kabinet.accounts.forms import PASSWORD_HELP
from kabinet.partners.rights import Right, Role


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


def _rights_field() -> forms.MultipleChoiceField:
    return forms.MultipleChoiceField(
        label=_("Section rights"),
        choices=[(right.value, right.label) for right in Right],
        widget=forms.CheckboxSelectMultiple(attrs={"class": "form-check-input"}),
        required=False,
    )


class MemberForm(forms.Form):
    """Role and section rights of one member (ACC7)."""

    role = forms.ChoiceField(
        label=_("Role"),
        choices=Role.choices,
        widget=forms.RadioSelect(attrs={"class": "form-check-input"}),
    )
    rights = _rights_field()

    def rights_value(self) -> frozenset[Right]:
        return frozenset(Right(value) for value in self.cleaned_data["rights"])


class EmployeeForm(forms.Form):
    """An employee card in Contacts; with an account, an invitation goes out (ACC6)."""

    full_name = forms.CharField(label=_("Full name"), max_length=200)
    position = forms.CharField(label=_("Position"), max_length=200, required=False)
    email = forms.EmailField(label=_("E-mail"), required=False)
    phone = forms.CharField(label=_("Phone"), max_length=32, required=False)
    give_account = forms.BooleanField(
        label=_("Give an account: send an invitation to this e-mail"), required=False
    )
    rights = _rights_field()

    def clean(self) -> dict[str, object]:
        data = super().clean() or {}
        if data.get("give_account") and not data.get("email"):
            self.add_error("email", _("An account needs an e-mail address."))
        return data

    def rights_value(self) -> frozenset[Right]:
        return frozenset(Right(value) for value in self.cleaned_data["rights"])


class KeyUserInvitationForm(forms.Form):
    """Staff invite a partner's key user (ACC5)."""

    full_name = forms.CharField(label=_("Full name"), max_length=200)
    email = forms.EmailField(label=_("E-mail"))


class AccessExpiryForm(forms.Form):
    expires_on = forms.DateField(
        label=_("Access until"),
        required=False,
        # An <input type="date"> takes ISO dates only, whatever the interface language.
        widget=forms.DateInput(
            format="%Y-%m-%d", attrs={"type": "date", "class": "form-control form-control-sm"}
        ),
        help_text=_("Leave empty for no end date."),
    )


class BlockForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=300, required=False)


class InvitationAcceptForm(forms.Form):
    """Registration through an invitation link: the person confirms name and phone and
    creates a password (ACC3, ACC5)."""

    full_name = forms.CharField(label=_("Full name"), max_length=200)
    phone = forms.CharField(label=_("Phone"), max_length=32)
    password1 = forms.CharField(
        label=_("Password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=PASSWORD_HELP,
    )
    password2 = forms.CharField(
        label=_("Password again"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def clean_phone(self) -> str:
        import phonenumbers

        raw = self.cleaned_data["phone"]
        try:
            number = phonenumbers.parse(raw, "RU")
        except phonenumbers.NumberParseException:
            number = None
        if number is None or not phonenumbers.is_valid_number(number):
            raise forms.ValidationError(_("Enter a valid phone number, e.g. +7 916 123-45-67."))
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)

    def clean(self) -> dict[str, object]:
        data = super().clean() or {}
        if data.get("password1") and data.get("password1") != data.get("password2"):
            self.add_error("password2", _("The two passwords differ."))
        return data


class ExistingAccountAcceptForm(forms.Form):
    """The invited e-mail already has an account: its password confirms it is the owner."""

    password = forms.CharField(
        label=_("Your current password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )


class MfaPolicyForm(forms.Form):
    require_mfa = forms.BooleanField(
        label=_("Every user of the company signs in with a second factor"), required=False
    )


class AuditFilterForm(forms.Form):
    kind = forms.ChoiceField(label=_("Event"), required=False)
    email = forms.CharField(label=_("E-mail"), required=False, max_length=254)
    partner = forms.IntegerField(label=_("Partner id"), required=False, min_value=1)
    since = forms.DateField(
        label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    until = forms.DateField(
        label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, *args: object, **kwargs: object) -> None:
        from kabinet.accounts.models import AuditKind

        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["kind"].choices = [("", _("All events")), *AuditKind.choices]  # type: ignore[attr-defined]
        for field in self.fields.values():
            css = "form-select" if isinstance(field, forms.ChoiceField) else "form-control"
            field.widget.attrs.setdefault("class", css)
