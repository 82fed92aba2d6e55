from django.urls import path

from kabinet.orders import views, views_orders, views_staff

app_name = "orders"

urlpatterns = [
    path("cart/", views.cart, name="cart"),
    path("cart/add/", views.cart_add, name="cart_add"),
    path("cart/clear/", views.cart_clear_view, name="cart_clear"),
    path("cart/lines/<int:line_id>/quantity/", views.line_quantity, name="line_quantity"),
    path("cart/lines/<int:line_id>/remove/", views.line_remove, name="line_remove"),
    path("checkout/", views_orders.checkout, name="checkout"),
    path("orders/", views_orders.order_list_view, name="list"),
    path("orders/export.xlsx", views_orders.order_export, name="export"),
    path("orders/<int:order_id>/", views_orders.order_detail_view, name="detail"),
    path("orders/<int:order_id>/submit/", views_orders.order_submit_view, name="submit"),
    path("orders/<int:order_id>/cancel/", views_orders.order_cancel_view, name="cancel"),
    path("orders/<int:order_id>/copy/", views_orders.order_copy_view, name="copy"),
    path("staff/orders/", views_staff.staff_order_list_view, name="staff_list"),
    path("staff/orders/export.xlsx", views_staff.staff_order_export, name="staff_export"),
    path("staff/orders/<int:order_id>/", views_staff.staff_order_detail_view, name="staff_detail"),
    path(
        "staff/orders/<int:order_id>/status/", views_staff.staff_order_status, name="staff_status"
    ),
]
