from django.urls import path

from kabinet.partners import views

app_name = "partners"

urlpatterns = [
    path("company/", views.company_profile, name="company"),
    path("company/counterparties/", views.company_counterparties, name="counterparties"),
    path("company/agreements/", views.company_agreements, name="agreements"),
    path("company/addresses/", views.company_addresses, name="addresses"),
    path("company/contacts/", views.company_contacts, name="contacts"),
    path("company/subsidiaries/", views.company_subsidiaries, name="subsidiaries"),
    path("company/switch/", views.partner_switch, name="switch"),
    path("staff/partners/", views.staff_partner_list, name="staff_list"),
    path("staff/partners/<int:partner_id>/", views.staff_partner_card, name="staff_card"),
]
