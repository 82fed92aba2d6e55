"""Scheduled jobs without cron: a daily job is enqueued once per local day, after its time of
day, however many schedulers call (unit tests with an explicit `now`); and end to end, the real
`manage.py scheduler --once` and `manage.py db_worker` processes block an expired account."""

import subprocess
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.db.models import QuerySet
from django.tasks import TaskResultStatus
from django.test import Client
from django.utils import timezone
from django_tasks_db.models import DBTaskResult
from pytest_django import Settings

from kabinet.accounts.models import AuditEvent, AuditKind, Session, User
from kabinet.accounts.tests.factories import UserFactory
from kabinet.partners.models import Partner
from kabinet.partners.tests.factories import MembershipFactory
from kabinet.scheduler.jobs import JOBS, DailyJob, jobs_enqueue_due
from kabinet.scheduler.models import ScheduledRun
from tests.processes import manage, process_env, worker

TASK_PATH = "kabinet.partners.tasks.access_expiry_daily"
MOSCOW = ZoneInfo("Europe/Moscow")
WAIT_SECONDS = 60
# The access-expiry job alone, so that adding other daily jobs does not change these tests.
EXPIRY = tuple(job for job in JOBS if isinstance(job, DailyJob) and job.name == "access_expiry")


@pytest.fixture(autouse=True)
def moscow_and_database_queue(settings: Settings) -> None:
    """The production defaults, whatever the environment running the tests says."""
    settings.TIME_ZONE = "Europe/Moscow"
    settings.TASKS = {
        "default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}
    }


def _moscow(day: int, hour: int, minute: int = 0, second: int = 0) -> datetime:
    return datetime(2030, 3, day, hour, minute, second, tzinfo=MOSCOW)


def _runs() -> list[tuple[str, str]]:
    return list(ScheduledRun.objects.order_by("period").values_list("job", "period"))


DAILY_JOBS = [job for job in JOBS if isinstance(job, DailyJob)]


def _daily_runs() -> "QuerySet[ScheduledRun]":
    return ScheduledRun.objects.filter(job__in=[job.name for job in DAILY_JOBS])


def _queued() -> list[DBTaskResult]:
    return list(DBTaskResult.objects.filter(task_path=TASK_PATH).order_by("enqueued_at"))


def test_the_daily_job_is_at_six_in_the_morning() -> None:
    [job] = EXPIRY
    assert (job.name, job.task_path, job.at.isoformat()) == ("access_expiry", TASK_PATH, "06:00:00")


@pytest.mark.django_db
def test_a_due_job_is_enqueued_once_per_period_however_often_it_is_asked() -> None:
    now = _moscow(10, 6, 30)
    assert jobs_enqueue_due(jobs=EXPIRY, now=now) == ["access_expiry"]
    # A second scheduler (or the same one a minute later) finds the period taken.
    assert jobs_enqueue_due(jobs=EXPIRY, now=now) == []
    assert jobs_enqueue_due(jobs=EXPIRY, now=now + timedelta(minutes=1)) == []
    assert jobs_enqueue_due(jobs=EXPIRY, now=_moscow(10, 23, 59, 59)) == []

    assert _runs() == [("access_expiry", "2030-03-10")]
    [queued] = _queued()
    assert queued.status == TaskResultStatus.READY
    assert ScheduledRun.objects.get().task_result_id == str(queued.id)


@pytest.mark.django_db
def test_a_job_is_not_due_before_its_local_time_of_day() -> None:
    assert jobs_enqueue_due(jobs=EXPIRY, now=_moscow(10, 5, 59, 59)) == []
    # 21:30 UTC is past six in UTC, but already 00:30 of the next day in Moscow.
    assert jobs_enqueue_due(jobs=EXPIRY, now=datetime(2030, 3, 10, 21, 30, tzinfo=UTC)) == []
    assert _runs() == []
    assert _queued() == []

    assert jobs_enqueue_due(jobs=EXPIRY, now=_moscow(10, 6, 0)) == ["access_expiry"]
    assert _runs() == [("access_expiry", "2030-03-10")]


@pytest.mark.django_db
def test_the_job_runs_again_the_next_day() -> None:
    assert jobs_enqueue_due(jobs=EXPIRY, now=_moscow(10, 7, 0)) == ["access_expiry"]
    assert jobs_enqueue_due(jobs=EXPIRY, now=_moscow(11, 5, 0)) == []
    assert jobs_enqueue_due(jobs=EXPIRY, now=_moscow(11, 6, 1)) == ["access_expiry"]
    assert jobs_enqueue_due(jobs=EXPIRY, now=_moscow(11, 12, 0)) == []
    # 03:00 UTC on the 12th is 06:00 in Moscow.
    assert jobs_enqueue_due(jobs=EXPIRY, now=datetime(2030, 3, 12, 3, 0, tzinfo=UTC)) == [
        "access_expiry"
    ]

    assert _runs() == [
        ("access_expiry", "2030-03-10"),
        ("access_expiry", "2030-03-11"),
        ("access_expiry", "2030-03-12"),
    ]
    assert len(_queued()) == 3


@pytest.mark.django_db(transaction=True)
def test_schedulers_racing_at_the_same_moment_enqueue_the_job_once() -> None:
    now = _moscow(10, 6, 0, 30)
    barrier = threading.Barrier(4)
    results: list[list[str]] = []
    errors: list[BaseException] = []

    def scheduler() -> None:
        try:
            barrier.wait(timeout=10)
            results.append(jobs_enqueue_due(jobs=EXPIRY, now=now))
        except BaseException as error:
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=scheduler) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=WAIT_SECONDS)
    assert not any(thread.is_alive() for thread in threads)
    assert errors == []
    assert sorted(results) == [[], [], [], ["access_expiry"]]
    assert _runs() == [("access_expiry", "2030-03-10")]
    assert len(_queued()) == 1


# --- End to end: no cron, just the two commands -------------------------------------------


def _zone_where_it_is_about_noon(now: datetime) -> str:
    """The jobs' time of day is fixed (06:00 local); a fixed-offset zone in which it is about
    noon now makes the job due whenever this test runs. (Etc/GMT signs are reversed.)"""
    offset = 12 - now.astimezone(UTC).hour  # -11 … +12 hours
    return f"Etc/GMT{-offset:+d}"


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_scheduler_and_worker_block_an_expired_account_without_cron(
    tmp_path: Path, partner_a: Partner
) -> None:
    now = timezone.now()
    time_zone = _zone_where_it_is_about_noon(now)
    local_today = now.astimezone(ZoneInfo(time_zone)).date()
    # Days clear of any time zone's idea of "today", so the worker's date cannot matter.
    expired = UserFactory.create(
        email="expired@alpha.example", access_expires_on=local_today - timedelta(days=5)
    )
    valid = UserFactory.create(
        email="valid@alpha.example", access_expires_on=local_today + timedelta(days=60)
    )
    for person in (expired, valid):
        MembershipFactory.create(user=person, partner=partner_a)
    valid_before = User.objects.filter(pk=valid.pk).values().get()
    env = process_env(tmp_path, TIME_ZONE=time_zone, EMAIL_FILE_PATH=str(tmp_path / "mail"))

    scheduler = manage(env, "scheduler", "--once")
    assert scheduler.returncode == 0, scheduler.stdout + scheduler.stderr
    # Every daily job is due at noon (and the minute job at any minute).
    assert _daily_runs().count() == len(DAILY_JOBS)
    run = ScheduledRun.objects.get(job="access_expiry")
    assert run.period == local_today.isoformat()
    [queued] = _queued()
    assert queued.status == TaskResultStatus.READY
    assert str(queued.id) == run.task_result_id
    expired.refresh_from_db()
    assert expired.blocked_at is None, "blocked before any worker ran"

    with worker(tmp_path, env, max_tasks=len(JOBS)) as process:
        try:
            process.wait(timeout=WAIT_SECONDS)
        except subprocess.TimeoutExpired:
            pytest.fail("the worker did not finish the job in time")
    output = (tmp_path / "worker.log").read_text(errors="replace")
    assert process.returncode == 0, output

    queued.refresh_from_db()
    assert queued.status == TaskResultStatus.SUCCESSFUL, queued.traceback
    assert queued.return_value == {"warned": 0, "expired": 1}
    expired.refresh_from_db()
    assert expired.blocked_at is not None
    assert expired.blocked_reason == "expired"
    assert AuditEvent.objects.filter(kind=AuditKind.EXPIRED, subject=expired).count() == 1
    assert User.objects.filter(pk=valid.pk).values().get() == valid_before

    # Another scheduler process the same day finds the period taken.
    again = manage(env, "scheduler", "--once")
    assert again.returncode == 0, again.stdout + again.stderr
    assert _daily_runs().count() == len(DAILY_JOBS)
    assert len(_queued()) == 1


def test_the_chosen_zone_makes_the_job_due_at_any_hour() -> None:
    """The end-to-end test relies on this: at any hour, the zone it picks is past 06:00."""
    [job] = EXPIRY
    for hour in range(24):
        now = datetime(2030, 3, 10, hour, 17, tzinfo=UTC)
        zone = ZoneInfo(_zone_where_it_is_about_noon(now))
        assert 11 <= now.astimezone(zone).hour <= 13, (hour, zone)
        with timezone.override(zone):
            assert job.period(now) == now.astimezone(zone).date().isoformat(), (hour, zone)


@pytest.mark.django_db
def test_old_task_results_are_pruned() -> None:
    from kabinet.notifications.tasks import email_send
    from kabinet.scheduler.tasks import task_results_prune

    old = timezone.now() - timedelta(days=8)
    kept = email_send.enqueue(to=["a@b.example"], subject="s", text_body="t")
    done = email_send.enqueue(to=["a@b.example"], subject="s", text_body="t")
    failed = email_send.enqueue(to=["a@b.example"], subject="s", text_body="t")
    DBTaskResult.objects.filter(pk=done.id).update(
        status=TaskResultStatus.SUCCESSFUL, finished_at=old
    )
    DBTaskResult.objects.filter(pk=failed.id).update(
        status=TaskResultStatus.FAILED, finished_at=old
    )
    assert task_results_prune.call() == {"successful": 1, "failed": 0}
    remaining = {str(pk) for pk in DBTaskResult.objects.values_list("id", flat=True)}
    assert remaining == {str(kept.id), str(failed.id)}


@pytest.mark.django_db
def test_expired_sessions_are_pruned_daily_and_live_ones_kept(client: Client) -> None:
    from kabinet.scheduler.tasks import sessions_prune

    assert any(job.name == "sessions_prune" for job in DAILY_JOBS)
    user = UserFactory.create()
    client.force_login(user)
    live = client.session.session_key
    Session.objects.create(
        session_key="expired-yesterday", session_data="", user=user,
        expire_date=timezone.now() - timedelta(days=1),
    )  # fmt: skip
    Session.objects.create(
        session_key="expired-anonymous", session_data="",
        expire_date=timezone.now() - timedelta(seconds=1),
    )  # fmt: skip
    assert sessions_prune.call() == {"expired": 2}
    assert list(Session.objects.values_list("session_key", flat=True)) == [live]
    assert client.get("/").wsgi_request.user == user  # the live session still signs in


def test_a_minute_job_runs_once_per_minute_and_keeps_an_hour_of_records(db: None) -> None:
    relay = tuple(job for job in JOBS if job.name == "outbox_relay")
    assert relay, "the outbox relay retries every minute"
    now = datetime(2030, 3, 10, 12, 0, 5, tzinfo=UTC)
    assert jobs_enqueue_due(jobs=relay, now=now) == ["outbox_relay"]
    assert jobs_enqueue_due(jobs=relay, now=now + timedelta(seconds=50)) == []
    assert jobs_enqueue_due(jobs=relay, now=now + timedelta(seconds=60)) == ["outbox_relay"]
    assert DBTaskResult.objects.filter(task_path=relay[0].task_path).count() == 2
    later = now + timedelta(hours=1, minutes=1)
    assert jobs_enqueue_due(jobs=relay, now=later) == ["outbox_relay"]
    assert list(ScheduledRun.objects.values_list("period", flat=True).order_by("period")) == [
        "2030-03-10T12:01",
        "2030-03-10T13:01",
    ]
