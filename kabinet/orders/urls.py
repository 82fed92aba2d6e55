from django.urls import path

from kabinet.orders import views, views_orders, views_staff
from kabinet.orders.quick_order import views as quick_order

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
    # Quick order from a file (ORD5)
    path("cart/quick-order/", quick_order.upload, name="quick_order"),
    path(
        "cart/quick-order/template.xlsx",
        quick_order.template_xlsx,
        name="quick_order_template_xlsx",
    ),
    path(
        "cart/quick-order/template.csv", quick_order.template_csv, name="quick_order_template_csv"
    ),
    path("cart/quick-order/<int:import_id>/", quick_order.mapping, name="quick_order_map"),
    path(
        "cart/quick-order/<int:import_id>/preview/",
        quick_order.preview,
        name="quick_order_preview",
    ),
    path("cart/quick-order/<int:import_id>/report/", quick_order.result, name="quick_order_result"),
    path(
        "cart/quick-order/<int:import_id>/progress/",
        quick_order.progress,
        name="quick_order_progress",
    ),
    path("cart/quick-order/<int:import_id>/apply/", quick_order.apply, name="quick_order_apply"),
    path(
        "cart/quick-order/<int:import_id>/report.xlsx",
        quick_order.report_download,
        name="quick_order_report",
    ),
]
