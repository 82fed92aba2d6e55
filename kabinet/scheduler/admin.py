from django.contrib import admin

from kabinet.scheduler.models import ScheduledRun


@admin.register(ScheduledRun)
class ScheduledRunAdmin(admin.ModelAdmin):
    list_display = ["job", "period", "enqueued_at", "task_result_id"]
    list_filter = ["job"]
    readonly_fields = ["job", "period", "enqueued_at", "task_result_id"]
