from django.urls import path

from kabinet.integrations import views_staff

app_name = "integrations"

urlpatterns = [
    path("staff/integrations/", views_staff.integration_list, name="staff_list"),
    path(
        "staff/integrations/<int:integration_id>/tokens/",
        views_staff.integration_token_new,
        name="token_new",
    ),
    path(
        "staff/integrations/tokens/<int:token_id>/revoke/",
        views_staff.integration_token_revoke_view,
        name="token_revoke",
    ),
    path(
        "staff/integrations/<int:integration_id>/password/",
        views_staff.integration_password,
        name="password",
    ),
    path(
        "staff/integrations/<int:integration_id>/active/",
        views_staff.integration_active,
        name="active",
    ),
    path("staff/outbox/", views_staff.outbox_list, name="outbox"),
    path("staff/outbox/retry-failed/", views_staff.outbox_retry_all, name="outbox_retry_all"),
    path("staff/outbox/<int:message_id>/", views_staff.outbox_message, name="outbox_message"),
    path(
        "staff/outbox/<int:message_id>/retry/",
        views_staff.outbox_message_retry,
        name="outbox_retry",
    ),
]
