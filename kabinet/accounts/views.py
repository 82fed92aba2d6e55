from django.conf import settings
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.utils.decorators import method_decorator
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import check_for_language
from django.views.decorators.http import require_POST

from kabinet.accounts.forms import SignInForm
from kabinet.accounts.models import User
from kabinet.accounts.services import user_language_set


def _set_language_cookie(response: HttpResponse, language: str) -> None:
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        language,
        max_age=settings.LANGUAGE_COOKIE_AGE,
        samesite="Lax",
        secure=settings.LANGUAGE_COOKIE_SECURE,
        httponly=True,
    )


@method_decorator(login_not_required, name="dispatch")
class SignInView(auth_views.LoginView):
    form_class = SignInForm
    template_name = "accounts/sign_in.html"
    redirect_authenticated_user = True

    def form_valid(self, form: SignInForm) -> HttpResponse:  # type: ignore[override]
        response = super().form_valid(form)
        user = form.get_user()
        if isinstance(user, User) and user.preferred_language:
            _set_language_cookie(response, user.preferred_language)
        return response


class SignOutView(auth_views.LogoutView):
    pass


@login_not_required
@require_POST
def language_switch(request: HttpRequest) -> HttpResponse:
    """Switch the interface language; remembered in a cookie and, when signed in, on the user."""
    language = request.POST.get("language", "")
    next_url = request.POST.get("next", "/")
    if not url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        next_url = "/"
    response = HttpResponseRedirect(next_url)
    if language in dict(settings.LANGUAGES) and check_for_language(language):
        _set_language_cookie(response, language)
        if request.user.is_authenticated and isinstance(request.user, User):
            user_language_set(user=request.user, language=language)
    return response
