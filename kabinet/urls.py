from django.contrib import admin
from django.urls import include, path
from django.utils.translation import gettext_lazy as _

admin.site.site_header = _("Kabinet administration")
admin.site.site_title = _("Kabinet")

urlpatterns = [
    path("", include("kabinet.web.urls")),
    path("", include("kabinet.accounts.urls")),
    path("", include("kabinet.partners.urls")),
    path("", include("kabinet.content.urls")),
    path("admin/", admin.site.urls),
]
