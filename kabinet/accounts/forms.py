from typing import Any

from django import forms
from django.contrib.auth.forms import (
    AuthenticationForm,
    PasswordChangeForm,
    PasswordResetForm,
    SetPasswordForm,
)
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from kabinet.accounts.models import AuditKind, User
from kabinet.accounts.services import user_change_password


class SignInForm(AuthenticationForm):
    """E-mail and password. One message for every failure, so addresses cannot be probed."""

    username = forms.EmailField(
        label=_("E-mail"),
        widget=forms.EmailInput(attrs={"autofocus": True, "autocomplete": "username"}),
    )
    error_messages = {
        "invalid_login": _("The e-mail or password is incorrect."),
        "inactive": _("The e-mail or password is incorrect."),
    }


class OneTimeCodeForm(forms.Form):
    code = forms.CharField(
        label=_("Code"),
        max_length=16,
        widget=forms.TextInput(
            attrs={
                "autocomplete": "one-time-code",
                "inputmode": "numeric",
                "autofocus": True,
                "class": "form-control",
            }
        ),
        help_text=_("The 6-digit code from your authenticator app, or one of your recovery codes."),
    )


PASSWORD_HELP = _("At least 12 characters; not a common password.")


class KabinetSetPasswordForm(SetPasswordForm[User]):
    """Setting a password through a reset link; recorded in the audit log."""

    request: HttpRequest | None = None

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["new_password1"].help_text = PASSWORD_HELP

    def save(self, commit: bool = True) -> User:
        user_change_password(
            user=self.user,
            password=self.cleaned_data["new_password1"],
            request=self.request,
            kind=AuditKind.PASSWORD_RESET,
        )
        return self.user


class KabinetPasswordChangeForm(PasswordChangeForm):
    request: HttpRequest | None = None

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["new_password1"].help_text = PASSWORD_HELP

    def save(self, commit: bool = True) -> User:
        assert isinstance(self.user, User)
        user_change_password(
            user=self.user, password=self.cleaned_data["new_password1"], request=self.request
        )
        return self.user


class KabinetPasswordResetForm(PasswordResetForm):
    """Sends the reset link through the task queue, in the user's language."""

    email = forms.EmailField(
        label=_("E-mail"),
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email", "autofocus": True}),
    )

    def send_mail(
        self,
        subject_template_name: str,
        email_template_name: str,
        context: dict[str, object],
        from_email: str | None,
        to_email: str,
        html_email_template_name: str | None = None,
    ) -> None:
        from kabinet.notifications.services import email_enqueue

        user = context["user"]
        email_enqueue(
            to=[to_email],
            template="accounts/email/password_reset",
            context=context,
            language=getattr(user, "preferred_language", "") or None,
        )


class TemporaryPasswordForm(forms.Form):
    password = forms.CharField(
        label=_("Temporary password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password", "class": "form-control"}),
        help_text=_("At least 12 characters. The user must change it at the next sign-in."),
    )
