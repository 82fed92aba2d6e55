from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from kabinet.content.models import InfoPage


@admin.register(InfoPage)
class InfoPageAdmin(admin.ModelAdmin):
    list_display = ["title_ru", "slug", "is_published", "show_on_home", "position", "updated_at"]
    list_editable = ["is_published", "show_on_home", "position"]
    prepopulated_fields = {"slug": ["title_en"]}
    fieldsets = (
        (None, {"fields": ("slug", "is_published", "show_on_home", "position")}),
        (_("Russian"), {"fields": ("title_ru", "summary_ru", "body_ru")}),
        (_("English"), {"fields": ("title_en", "summary_en", "body_en")}),
    )
