from typing import Any, cast

from django import forms
from django.contrib.auth.password_validation import validate_password
from django.utils.translation import gettext_lazy as _

from kabinet.integrations.models import Integration, IntegrationKind
from kabinet.outbox.models import MessageStatus, Topic
from kabinet.outbox.selectors import UNROUTED

MAX_ID = 2**63 - 1


class IntegrationCreateForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=120)
    kind = forms.ChoiceField(label=_("Kind"), choices=IntegrationKind.choices)
    outbound_url = forms.URLField(
        label=_("Delivery URL"),
        required=False,
        assume_scheme="https",
        help_text=_("Where Kabinet sends messages to the ERP; empty: the ERP polls for them."),
    )
    login = forms.CharField(
        label=_("1C login"), max_length=150, required=False, help_text=_("For 1C only.")
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            field.widget.attrs.setdefault(
                "class", "form-select" if isinstance(field, forms.ChoiceField) else "form-control"
            )

    def clean_name(self) -> str:
        name: str = self.cleaned_data["name"].strip()
        if Integration.objects.filter(name__iexact=name).exists():
            raise forms.ValidationError(_("An integration with this name exists."))
        return name

    def clean_login(self) -> str:
        login: str = self.cleaned_data["login"].strip()
        if login and Integration.objects.filter(login=login).exists():
            raise forms.ValidationError(_("This login is taken."))
        return login


class TokenCreateForm(forms.Form):
    name = forms.CharField(
        label=_("Token name"),
        max_length=120,
        required=False,
        widget=forms.TextInput(attrs={"class": "form-control form-control-sm"}),
    )


class IntegrationPasswordForm(forms.Form):
    password = forms.CharField(
        label=_("New 1C password"),
        strip=False,
        widget=forms.PasswordInput(
            attrs={"class": "form-control form-control-sm", "autocomplete": "new-password"}
        ),
    )

    def clean_password(self) -> str:
        password: str = self.cleaned_data["password"]
        validate_password(password)
        return password


class OutboxFilterForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[("", _("Any status")), *MessageStatus.choices],
        widget=forms.Select(attrs={"class": "form-select"}),
    )
    topic = forms.ChoiceField(
        label=_("Topic"),
        required=False,
        choices=[("", _("Any topic")), *Topic.choices],
        widget=forms.Select(attrs={"class": "form-select"}),
    )
    integration = forms.TypedChoiceField(
        label=_("Integration"),
        required=False,
        coerce=int,
        empty_value=None,
        widget=forms.Select(attrs={"class": "form-select"}),
    )
    partner = forms.IntegerField(
        label=_("Partner id"),
        required=False,
        min_value=1,
        max_value=MAX_ID,
        widget=forms.NumberInput(attrs={"class": "form-control"}),
    )
    before = forms.IntegerField(
        required=False, min_value=1, max_value=MAX_ID, widget=forms.HiddenInput
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = cast(forms.TypedChoiceField, self.fields["integration"])
        field.choices = [
            ("", _("Any integration")),
            *Integration.objects.order_by("name").values_list("pk", "name"),
            (UNROUTED, _("Not routed yet")),
        ]
