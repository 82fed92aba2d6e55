from django.db import models
from django.utils.translation import gettext_lazy as _


class ScheduledRun(models.Model):
    """One run of a scheduled job for one period. The unique pair is what makes a job run
    once per period however many schedulers are running."""

    job = models.CharField(_("job"), max_length=100)
    period = models.CharField(_("period"), max_length=32)
    enqueued_at = models.DateTimeField(_("enqueued"), auto_now_add=True)
    task_result_id = models.CharField(_("task"), max_length=64, blank=True)

    class Meta:
        verbose_name = _("scheduled run")
        verbose_name_plural = _("scheduled runs")
        ordering = ["-enqueued_at"]
        constraints = [models.UniqueConstraint(fields=["job", "period"], name="scheduler_run_once")]

    def __str__(self) -> str:
        return f"{self.job} {self.period}"
