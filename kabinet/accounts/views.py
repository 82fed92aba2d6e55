from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login, update_session_auth_hash
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.contrib.auth.signals import user_login_failed
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import check_for_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kabinet.accounts import mfa
from kabinet.accounts.access import MFA_DONE, SIGNED_IN_AT, access_exempt, denial_message
from kabinet.accounts.audit import audit_record
from kabinet.accounts.forms import (
    KabinetPasswordChangeForm,
    KabinetPasswordResetForm,
    KabinetSetPasswordForm,
    OneTimeCodeForm,
    SignInForm,
)
from kabinet.accounts.models import AuditKind, User
from kabinet.accounts.policy import mfa_required
from kabinet.accounts.services import user_end_other_sessions, user_language_set

PENDING_SIGN_IN = "kabinet_pending_sign_in"  # password checked, second factor not yet
PENDING_TOTP_KEY = "kabinet_pending_totp_key"  # shown on the set-up page, not yet confirmed
PENDING_TTL = timedelta(minutes=5)
MAX_CODE_ATTEMPTS = 5


def _set_language_cookie(response: HttpResponse, language: str) -> None:
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        language,
        max_age=settings.LANGUAGE_COOKIE_AGE,
        samesite="Lax",
        secure=settings.LANGUAGE_COOKIE_SECURE,
        httponly=True,
    )


def _safe_next(request: HttpRequest, url: str | None) -> str:
    if url and url_has_allowed_host_and_scheme(
        url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return url
    return reverse(settings.LOGIN_REDIRECT_URL)


def _complete_sign_in(
    request: HttpRequest, user: User, *, backend: str, next_url: str, mfa_done: bool
) -> HttpResponse:
    """Start the session (a new id, R6) once every factor has passed."""
    login(request, user, backend=backend)
    request.session[SIGNED_IN_AT] = timezone.now().isoformat()
    request.session[MFA_DONE] = mfa_done
    audit_record(AuditKind.SIGN_IN, request=request, actor=user, subject=user, mfa=mfa_done)
    response = HttpResponseRedirect(next_url)
    if user.preferred_language:
        _set_language_cookie(response, user.preferred_language)
    return response


@method_decorator(login_not_required, name="dispatch")
class SignInView(auth_views.LoginView):
    form_class = SignInForm
    template_name = "accounts/sign_in.html"
    redirect_authenticated_user = True

    def form_valid(self, form: SignInForm) -> HttpResponse:  # type: ignore[override]
        user = form.get_user()
        assert isinstance(user, User)
        reason = user.access_denial(timezone.localdate())
        if reason is not None:
            # The password was right, so saying why cannot reveal that the account exists.
            audit_record(AuditKind.SIGN_IN_DENIED, request=self.request, subject=user, why=reason)
            form.add_error(None, denial_message(user, reason))
            return self.render_to_response(self.get_context_data(form=form))
        backend = getattr(user, "backend", settings.AUTHENTICATION_BACKENDS[-1])
        next_url = _safe_next(self.request, self.get_redirect_url())
        if mfa.mfa_enabled(user):
            self.request.session.cycle_key()
            self.request.session[PENDING_SIGN_IN] = {
                "user": user.pk,
                "backend": backend,
                "at": timezone.now().isoformat(),
                "next": next_url,
                "attempts": 0,
            }
            return redirect("accounts:verify")
        return _complete_sign_in(
            self.request, user, backend=backend, next_url=next_url, mfa_done=False
        )

    def form_invalid(self, form: SignInForm) -> HttpResponse:  # type: ignore[override]
        typed = (self.request.POST.get("username") or "").strip().lower()[:254]
        locked = bool(getattr(self.request, "axes_locked_out", False))
        audit_record(
            AuditKind.SIGN_IN_FAILED, request=self.request, subject_email=typed, locked=locked
        )
        return super().form_invalid(form)


@login_not_required
@access_exempt
def sign_in_verify(request: HttpRequest) -> HttpResponse:
    """The second step of sign-in for users with two-factor sign-in."""
    pending: dict[str, Any] | None = request.session.get(PENDING_SIGN_IN)
    started = datetime.fromisoformat(pending["at"]) if pending else None
    if pending is None or started is None or timezone.now() - started > PENDING_TTL:
        request.session.pop(PENDING_SIGN_IN, None)
        messages.info(request, _("Please sign in again."))
        return redirect("accounts:login")
    user = User.objects.get(pk=pending["user"])
    form = OneTimeCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if mfa.mfa_verify(user=user, token=form.cleaned_data["code"], request=request):
            request.session.pop(PENDING_SIGN_IN)
            return _complete_sign_in(
                request, user, backend=pending["backend"], next_url=pending["next"], mfa_done=True
            )
        # A wrong code counts as a failed sign-in for the lockout, like a wrong password:
        # otherwise someone holding the password could guess codes five at a time forever.
        user_login_failed.send(
            sender=__name__, credentials={"username": user.email}, request=request
        )
        pending["attempts"] += 1
        if pending["attempts"] >= MAX_CODE_ATTEMPTS:
            request.session.pop(PENDING_SIGN_IN)
            messages.error(request, _("Too many wrong codes. Please sign in again."))
            return redirect("accounts:login")
        request.session[PENDING_SIGN_IN] = pending
        form.add_error("code", _("The code is not valid. Try the next one from your app."))
    return render(request, "accounts/sign_in_verify.html", {"form": form})


@method_decorator(access_exempt, name="dispatch")
class SignOutView(auth_views.LogoutView):
    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if isinstance(request.user, User):
            audit_record(AuditKind.SIGN_OUT, request=request, subject=request.user)
        return super().post(request, *args, **kwargs)


@login_not_required
@access_exempt
@require_POST
def language_switch(request: HttpRequest) -> HttpResponse:
    """Switch the interface language; remembered in a cookie and, when signed in, on the user."""
    language = request.POST.get("language", "")
    response = HttpResponseRedirect(_safe_next(request, request.POST.get("next")))
    if language in dict(settings.LANGUAGES) and check_for_language(language):
        _set_language_cookie(response, language)
        if request.user.is_authenticated and isinstance(request.user, User):
            user_language_set(user=request.user, language=language)
    return response


# --- Passwords (ACC3, ACC4) -------------------------------------------------------------------


def _site() -> tuple[str, bool]:
    url = urlsplit(settings.SITE_URL)
    return url.netloc, url.scheme == "https"


@method_decorator(login_not_required, name="dispatch")
class PasswordResetView(auth_views.PasswordResetView):
    """The same answer for known and unknown addresses; the link is valid for an hour."""

    form_class = KabinetPasswordResetForm
    template_name = "accounts/password_reset.html"
    success_url = reverse_lazy("accounts:password_reset_done")

    def form_valid(self, form: KabinetPasswordResetForm) -> HttpResponse:  # type: ignore[override]
        domain, https = _site()
        form.save(
            domain_override=domain,
            use_https=https,
            request=self.request,
            subject_template_name="accounts/email/password_reset_subject.txt",
            email_template_name="accounts/email/password_reset.txt",
        )
        audit_record(
            AuditKind.PASSWORD_RESET_REQUESTED,
            request=self.request,
            subject_email=form.cleaned_data["email"].lower(),
        )
        return HttpResponseRedirect(self.get_success_url())


@method_decorator(login_not_required, name="dispatch")
class PasswordResetDoneView(auth_views.PasswordResetDoneView):
    template_name = "accounts/password_reset_done.html"


@method_decorator(login_not_required, name="dispatch")
class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    form_class = KabinetSetPasswordForm
    template_name = "accounts/password_reset_confirm.html"
    success_url = reverse_lazy("accounts:password_reset_complete")

    def get_form(self, form_class: Any = None) -> KabinetSetPasswordForm:
        form = super().get_form(form_class)
        assert isinstance(form, KabinetSetPasswordForm)
        form.request = self.request
        return form


@method_decorator(login_not_required, name="dispatch")
class PasswordResetCompleteView(auth_views.PasswordResetCompleteView):
    template_name = "accounts/password_reset_complete.html"


@method_decorator(access_exempt, name="dispatch")
class PasswordChangeView(auth_views.PasswordChangeView):
    form_class = KabinetPasswordChangeForm
    template_name = "accounts/password_change.html"
    success_url = reverse_lazy("accounts:security")

    def get_form(self, form_class: Any = None) -> KabinetPasswordChangeForm:
        form = super().get_form(form_class)
        assert isinstance(form, KabinetPasswordChangeForm)
        form.request = self.request
        return form

    def form_valid(self, form: KabinetPasswordChangeForm) -> HttpResponse:  # type: ignore[override]
        form.save()
        update_session_auth_hash(self.request, form.user)  # this session stays; others end
        messages.success(self.request, _("Your password has been changed."))
        return HttpResponseRedirect(self.get_success_url())


# --- Security page: sessions, two-factor sign-in (ACC11, R6, R7) ------------------------------


def _user(request: HttpRequest) -> User:
    assert isinstance(request.user, User)
    return request.user


def security(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    context = {
        "mfa_enabled": mfa.mfa_enabled(user),
        "mfa_required": mfa_required(user),
        "signed_in_at": request.session.get(SIGNED_IN_AT),
    }
    return render(request, "accounts/security.html", context)


@require_POST
def sessions_end_others(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    user_end_other_sessions(user=user, request=request)
    user.refresh_from_db()
    update_session_auth_hash(request, user)
    messages.success(request, _("Your other sessions have been signed out."))
    return redirect("accounts:security")


@access_exempt
def mfa_setup(request: HttpRequest) -> HttpResponse:
    """Enrol an authenticator app: scan, type a code, keep the recovery codes."""
    user = _user(request)
    if mfa.mfa_enabled(user) and request.method != "POST":
        return redirect("accounts:security")
    key = request.session.get(PENDING_TOTP_KEY) or mfa.totp_key_new()
    request.session[PENDING_TOTP_KEY] = key
    form = OneTimeCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        codes = mfa.totp_enrolment_confirm(
            user=user, key=key, token=form.cleaned_data["code"], request=request
        )
        if codes is not None:
            request.session.pop(PENDING_TOTP_KEY)
            request.session[MFA_DONE] = True
            return render(request, "accounts/recovery_codes.html", {"codes": codes})
        form.add_error("code", _("The code is not valid. Check the time on your phone and retry."))
    enrolment = mfa.totp_enrolment(user=user, key=key)
    context = {"form": form, "enrolment": enrolment, "required": mfa_required(user)}
    return render(request, "accounts/mfa_setup.html", context)


@require_POST
def mfa_disable(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    if mfa_required(user):
        messages.error(request, _("Two-factor sign-in is required for your account."))
    else:
        mfa.mfa_disable(user=user, actor=user, request=request)
        messages.success(request, _("Two-factor sign-in is off."))
    return redirect("accounts:security")


@require_POST
def recovery_codes_regenerate(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    if not mfa.mfa_enabled(user):
        return redirect("accounts:security")
    codes = mfa.recovery_codes_regenerate(user=user)
    return render(request, "accounts/recovery_codes.html", {"codes": codes})
