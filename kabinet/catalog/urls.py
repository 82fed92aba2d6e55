from django.urls import path

from kabinet.catalog import views

app_name = "catalog"

urlpatterns = [
    path("catalog/", views.catalog_list, name="list"),
    path("catalog/<int:product_id>/", views.product_detail, name="product"),
]
