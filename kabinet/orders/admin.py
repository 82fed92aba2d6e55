from django.contrib import admin

from kabinet.orders.models import Cart, CartLine


class CartLineInline(admin.TabularInline):
    model = CartLine
    raw_id_fields = ["variant"]
    readonly_fields = ["added_at"]
    extra = 0


@admin.register(Cart)
class CartAdmin(admin.ModelAdmin):
    list_display = ["partner", "user", "agreement", "updated_at"]
    list_select_related = ["partner", "user", "agreement"]
    raw_id_fields = ["partner", "user", "agreement"]
    search_fields = ["partner__name", "user__email"]
    inlines = [CartLineInline]
