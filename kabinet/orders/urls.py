from django.urls import path

from kabinet.orders import views

app_name = "orders"

urlpatterns = [
    path("cart/", views.cart, name="cart"),
    path("cart/add/", views.cart_add, name="cart_add"),
    path("cart/clear/", views.cart_clear_view, name="cart_clear"),
    path("cart/lines/<int:line_id>/quantity/", views.line_quantity, name="line_quantity"),
    path("cart/lines/<int:line_id>/remove/", views.line_remove, name="line_remove"),
]
