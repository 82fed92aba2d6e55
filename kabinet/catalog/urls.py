from django.urls import path

from kabinet.catalog import views
from kabinet.catalog.own_codes import views as own_codes

app_name = "catalog"

urlpatterns = [
    path("catalog/", views.catalog_list, name="list"),
    path("catalog/<int:product_id>/", views.product_detail, name="product"),
    # The partner's own article codes (ORD2).
    path("catalog/my-codes/", own_codes.code_list, name="own_codes"),
    path("catalog/my-codes/download/", own_codes.code_export, name="own_codes_export"),
    path("catalog/my-codes/template/", own_codes.code_template, name="own_codes_template"),
    path("catalog/my-codes/upload/", own_codes.code_upload, name="own_codes_upload"),
    path(
        "catalog/my-codes/upload/<int:upload_id>/",
        own_codes.upload_report,
        name="own_codes_report",
    ),
    path(
        "catalog/my-codes/upload/<int:upload_id>/apply/",
        own_codes.upload_apply,
        name="own_codes_apply",
    ),
    path(
        "catalog/my-codes/upload/<int:upload_id>/discard/",
        own_codes.upload_discard,
        name="own_codes_discard",
    ),
    path(
        "catalog/my-codes/<int:article_id>/delete/", own_codes.code_delete, name="own_code_delete"
    ),
]
