"""/healthz: what load balancers and monitoring see, without signing in."""

from datetime import timedelta

import pytest
from django.core.cache import caches
from django.db import connection
from django.tasks import TaskResultStatus
from django.test import Client, override_settings
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from kabinet.notifications.tasks import email_send

# Nothing listens on port 1, so every cache call fails fast with a refused connection.
UNREACHABLE_REDIS = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": "redis://127.0.0.1:1/0",
    }
}


def _enqueue_email(subject: str) -> DBTaskResult:
    result = email_send.enqueue(to=["a@example.com"], subject=subject, text_body="x")
    return DBTaskResult.objects.get(id=result.id)


@pytest.mark.django_db
def test_healthz_is_ok_for_an_anonymous_client() -> None:
    response = Client().get("/healthz")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    # A cached "ok" would hide an outage from the load balancer.
    assert "no-cache" in response["Cache-Control"]
    body = response.json()
    assert body["status"] == "ok"
    assert body["database"]["ok"] is True
    assert body["database"]["vendor"] == connection.vendor
    assert body["cache"]["ok"] is True
    assert body["tasks"] == {
        "ok": True,
        "queued": 0,
        "failed": 0,
        "oldest_queued_seconds": 0,
        "ms": body["tasks"]["ms"],
    }


@pytest.mark.django_db
def test_healthz_names_the_cache_backend() -> None:
    body = Client().get("/healthz").json()

    assert body["cache"]["backend"] == caches["default"].__class__.__name__


@pytest.mark.django_db
def test_healthz_reports_queued_and_failed_tasks() -> None:
    oldest = _enqueue_email("old")
    _enqueue_email("new")
    failed = _enqueue_email("broken")
    DBTaskResult.objects.filter(id=oldest.id).update(
        enqueued_at=timezone.now() - timedelta(minutes=5)
    )
    DBTaskResult.objects.filter(id=failed.id).update(status=TaskResultStatus.FAILED)

    response = Client().get("/healthz")

    # A backlog is reported, not treated as an outage: the site itself still works.
    assert response.status_code == 200
    tasks = response.json()["tasks"]
    assert tasks["ok"] is True
    assert tasks["queued"] == 2
    assert tasks["failed"] == 1
    assert 300 <= tasks["oldest_queued_seconds"] < 360


@pytest.mark.django_db
@override_settings(CACHES=UNREACHABLE_REDIS)
def test_healthz_answers_503_when_the_cache_is_down() -> None:
    response = Client().get("/healthz")

    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "error"
    assert body["cache"]["ok"] is False
    assert body["cache"]["error"] == "ConnectionError"
    # The failing check is named; the healthy ones still say they are fine.
    assert body["database"]["ok"] is True
    assert body["tasks"]["ok"] is True
