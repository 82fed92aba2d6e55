from django.urls import path

from kabinet.accounts import views

app_name = "accounts"

urlpatterns = [
    path("sign-in/", views.SignInView.as_view(), name="login"),
    path("sign-in/code/", views.sign_in_verify, name="verify"),
    path("sign-out/", views.SignOutView.as_view(), name="logout"),
    path("language/", views.language_switch, name="language"),
    path("password/reset/", views.PasswordResetView.as_view(), name="password_reset"),
    path("password/reset/sent/", views.PasswordResetDoneView.as_view(), name="password_reset_done"),
    path(
        "password/reset/<uidb64>/<token>/",
        views.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path(
        "password/reset/done/",
        views.PasswordResetCompleteView.as_view(),
        name="password_reset_complete",
    ),
    path("account/", views.security, name="security"),
    path("account/password/", views.PasswordChangeView.as_view(), name="password_change"),
    path("account/sessions/end-others/", views.sessions_end_others, name="sessions_end_others"),
    path("account/two-factor/", views.mfa_setup, name="mfa_setup"),
    path("account/two-factor/off/", views.mfa_disable, name="mfa_disable"),
    path("account/two-factor/codes/", views.recovery_codes_regenerate, name="recovery_codes"),
]
