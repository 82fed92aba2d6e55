from django.urls import path

from kabinet.partners import views, views_users

app_name = "partners"

urlpatterns = [
    path("company/", views.company_profile, name="company"),
    path("company/counterparties/", views.company_counterparties, name="counterparties"),
    path("company/agreements/", views.company_agreements, name="agreements"),
    path("company/addresses/", views.company_addresses, name="addresses"),
    path("company/contacts/", views.company_contacts, name="contacts"),
    path("company/contacts/new/", views_users.company_employee_new, name="employee_new"),
    path(
        "company/contacts/<int:contact_id>/invite/",
        views_users.company_contact_invite,
        name="contact_invite",
    ),
    path("company/subsidiaries/", views.company_subsidiaries, name="subsidiaries"),
    path("company/switch/", views.partner_switch, name="switch"),
    path("company/users/", views_users.company_users, name="users"),
    path("company/users/<int:membership_id>/", views_users.company_member, name="member"),
    path(
        "company/users/<int:membership_id>/block/",
        views_users.company_member_block,
        name="member_block",
    ),
    path(
        "company/users/<int:membership_id>/unblock/",
        views_users.company_member_unblock,
        name="member_unblock",
    ),
    path(
        "company/users/<int:membership_id>/expiry/",
        views_users.company_member_expiry,
        name="member_expiry",
    ),
    path(
        "company/users/<int:membership_id>/remove/",
        views_users.company_member_remove,
        name="member_remove",
    ),
    path(
        "company/invitations/<int:invitation_id>/resend/",
        views_users.company_invitation_resend,
        name="invitation_resend",
    ),
    path(
        "company/invitations/<int:invitation_id>/revoke/",
        views_users.company_invitation_revoke,
        name="invitation_revoke",
    ),
    path("company/security/", views_users.company_security, name="security"),
    path("company/audit/", views_users.company_audit, name="audit"),
    path("invitation/<str:token>/", views_users.invitation_accept, name="invitation"),
    path("staff/partners/", views.staff_partner_list, name="staff_list"),
    path("staff/partners/<int:partner_id>/", views.staff_partner_card, name="staff_card"),
    path(
        "staff/partners/<int:partner_id>/invite/",
        views_users.staff_partner_invite,
        name="staff_invite",
    ),
    path(
        "staff/invitations/<int:invitation_id>/resend/",
        views_users.staff_invitation_resend,
        name="staff_invitation_resend",
    ),
    path(
        "staff/invitations/<int:invitation_id>/revoke/",
        views_users.staff_invitation_revoke,
        name="staff_invitation_revoke",
    ),
    path("staff/users/<int:user_id>/block/", views_users.staff_user_block, name="staff_user_block"),
    path(
        "staff/users/<int:user_id>/unblock/",
        views_users.staff_user_unblock,
        name="staff_user_unblock",
    ),
    path(
        "staff/users/<int:user_id>/expiry/", views_users.staff_user_expiry, name="staff_user_expiry"
    ),
    path(
        "staff/users/<int:user_id>/temporary-password/",
        views_users.staff_user_temporary_password,
        name="staff_user_password",
    ),
    path("staff/audit/", views_users.staff_audit, name="staff_audit"),
]
