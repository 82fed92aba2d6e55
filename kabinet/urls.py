from django.conf import settings
from django.conf.urls.static import static
from django.contrib import admin
from django.urls import URLPattern, URLResolver, include, path
from django.utils.translation import gettext_lazy as _

from kabinet.integrations.erp import api as exchange_api
from kabinet.integrations.onec import views as onec_views

admin.site.site_header = _("Kabinet administration")
admin.site.site_title = _("Kabinet")

# The apps' paths do not overlap, so the order only sets how many patterns a request is tried
# against: the catalog and orders, a partner's most visited pages, first (P1).
urlpatterns: list[URLPattern | URLResolver] = [
    path("", include("kabinet.catalog.urls")),
    path("", include("kabinet.orders.urls")),
    path("", include("kabinet.web.urls")),
    path("", include("kabinet.accounts.urls")),
    path("", include("kabinet.partners.urls")),
    path("", include("kabinet.content.urls")),
    path("", include("kabinet.integrations.urls")),
    path("api/", include((exchange_api.urlpatterns(), "exchange_api"))),
    # 1C's «обмен с сайтом» at the path its documentation and users expect (INT2).
    path("exchange/1c/", onec_views.exchange, name="onec_exchange"),
    path("admin/", admin.site.urls),
]
# Uploaded files (product pictures) in the demo (DEBUG): signed-in users only, like every page.
# Without DEBUG, `static()` adds nothing: production serves them from its storage.
urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
