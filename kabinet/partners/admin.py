from django import forms
from django.contrib import admin

from kabinet.partners.models import (
    Agreement,
    Contact,
    Counterparty,
    DeliveryAddress,
    Membership,
    Partner,
)
from kabinet.partners.rights import Right


class MembershipAdminForm(forms.ModelForm):
    rights = forms.MultipleChoiceField(
        choices=[(right.value, right.label) for right in Right],
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )

    class Meta:
        model = Membership
        fields = ["user", "partner", "role", "rights"]


class MembershipInline(admin.TabularInline):
    model = Membership
    form = MembershipAdminForm
    extra = 0
    autocomplete_fields = ["user"]


class CounterpartyInline(admin.TabularInline):
    model = Counterparty
    extra = 0


@admin.register(Partner)
class PartnerAdmin(admin.ModelAdmin):
    list_display = ["name", "city", "parent", "manager", "erp_id"]
    list_filter = ["manager"]
    search_fields = ["name", "city", "erp_id", "counterparties__tax_id"]
    autocomplete_fields = ["parent", "manager"]
    inlines = [CounterpartyInline, MembershipInline]


@admin.register(Counterparty)
class CounterpartyAdmin(admin.ModelAdmin):
    list_display = ["name", "tax_id", "kpp", "country", "partner"]
    search_fields = ["name", "tax_id", "partner__name"]
    autocomplete_fields = ["partner"]


@admin.register(Agreement)
class AgreementAdmin(admin.ModelAdmin):
    list_display = ["number", "counterparty", "currency", "price_list", "is_main"]
    search_fields = ["number", "partner__name"]
    autocomplete_fields = ["partner", "counterparty"]


@admin.register(DeliveryAddress)
class DeliveryAddressAdmin(admin.ModelAdmin):
    list_display = ["__str__", "partner", "is_default"]
    search_fields = ["city", "address", "partner__name"]
    autocomplete_fields = ["partner", "counterparty"]


@admin.register(Contact)
class ContactAdmin(admin.ModelAdmin):
    list_display = ["full_name", "position", "email", "phone", "partner"]
    search_fields = ["full_name", "email", "partner__name"]
    autocomplete_fields = ["partner", "user"]


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    form = MembershipAdminForm
    list_display = ["user", "partner", "role"]
    list_filter = ["role"]
    search_fields = ["user__email", "partner__name"]
    autocomplete_fields = ["user", "partner"]
