from django.contrib import admin

from kabinet.finance.models import Invoice, Payment


@admin.register(Invoice)
class InvoiceAdmin(admin.ModelAdmin):
    """Read mostly: invoices come from the ERP, which a change here would contradict."""

    list_display = ["number", "issued_on", "partner", "counterparty", "amount", "paid_amount"]
    list_display += ["currency", "status", "due_on"]
    list_filter = ["status", "currency"]
    list_select_related = ["partner", "counterparty"]
    search_fields = ["number", "erp_id", "partner__name", "counterparty__name"]
    raw_id_fields = ["partner", "counterparty", "agreement", "order"]
    date_hierarchy = "issued_on"


@admin.register(Payment)
class PaymentAdmin(admin.ModelAdmin):
    list_display = ["number", "paid_on", "partner", "counterparty", "amount", "currency"]
    list_display += ["invoice"]
    list_filter = ["currency"]
    list_select_related = ["partner", "counterparty", "invoice"]
    search_fields = ["number", "erp_id", "partner__name", "counterparty__name"]
    raw_id_fields = ["partner", "counterparty", "invoice"]
    date_hierarchy = "paid_on"
