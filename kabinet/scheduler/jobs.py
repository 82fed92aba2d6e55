"""Scheduled jobs without an external cron.

`manage.py scheduler` (started by `make run`; one or more in production) wakes up every
minute and enqueues each job that is due into the task queue, where the workers run it. A job
runs once per period (a local day, or a minute): the first scheduler to record (job, period)
enqueues it, the others find the row taken.
"""

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta

from django.db import IntegrityError, transaction
from django.tasks import Task
from django.utils import timezone
from django.utils.module_loading import import_string

from kabinet.scheduler.models import ScheduledRun


@dataclass(frozen=True)
class DailyJob:
    name: str
    task_path: str  # dotted path of a django.tasks Task taking no arguments
    at: time  # local time of day after which the day's run is due

    def period(self, now: datetime) -> str | None:
        """The period due at `now`, or None before today's time."""
        local = timezone.localtime(now)
        return local.date().isoformat() if local.time() >= self.at else None


@dataclass(frozen=True)
class MinuteJob:
    """A job due every minute (e.g. the outbox relay's retries). Its run records are kept
    for an hour only: enough to keep two schedulers from both enqueueing a minute."""

    name: str
    task_path: str
    keep = timedelta(hours=1)

    def period(self, now: datetime) -> str | None:
        return now.astimezone(UTC).strftime("%Y-%m-%dT%H:%M")


type Job = DailyJob | MinuteJob

JOBS: tuple[Job, ...] = (
    DailyJob("access_expiry", "kabinet.partners.tasks.access_expiry_daily", time(6, 0)),
    DailyJob("task_results_prune", "kabinet.scheduler.tasks.task_results_prune", time(3, 30)),
    DailyJob(
        "quick_order_prune", "kabinet.orders.quick_order.tasks.quick_order_prune_daily", time(3, 45)
    ),
    DailyJob("sessions_prune", "kabinet.scheduler.tasks.sessions_prune", time(3, 50)),
    MinuteJob("outbox_relay", "kabinet.integrations.erp.relay.outbox_relay"),
    # The safety net of the listings queued by price and stock syncs, should the after-commit
    # enqueue have been lost (a crash between commit and enqueue).
    MinuteJob("listings_refresh", "kabinet.catalog.tasks.listings_refresh_stale_task"),
)


def jobs_enqueue_due(*, now: datetime, jobs: tuple[Job, ...] = JOBS) -> list[str]:
    """Enqueue every job due at `now` that has not run for its period. Returns their names."""
    enqueued = []
    for job in jobs:
        period = job.period(now)
        if period is None:
            continue
        try:
            with transaction.atomic():
                run = ScheduledRun.objects.create(job=job.name, period=period)
                task: Task[[], object] = import_string(job.task_path)
                result = task.enqueue()
                run.task_result_id = str(result.id)
                run.save(update_fields=["task_result_id"])
        except IntegrityError:
            continue  # another scheduler got there first
        if isinstance(job, MinuteJob):
            oldest = job.period(now - job.keep)  # periods are ISO strings: they sort as time
            ScheduledRun.objects.filter(job=job.name, period__lt=oldest).delete()
        enqueued.append(job.name)
    return enqueued
