from datetime import timedelta

from django.tasks import TaskResultStatus, task
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from kabinet.accounts.models import Session

KEEP_SUCCESSFUL = timedelta(days=7)
KEEP_FAILED = timedelta(days=30)


@task(queue_name="default")
def task_results_prune() -> dict[str, int]:
    """Daily: drop finished task rows — a week for successes, a month for failures (kept
    longer so staff can look into them)."""
    now = timezone.now()
    successful, _ = DBTaskResult.objects.filter(
        status=TaskResultStatus.SUCCESSFUL, finished_at__lt=now - KEEP_SUCCESSFUL
    ).delete()
    failed, _ = DBTaskResult.objects.filter(
        status=TaskResultStatus.FAILED, finished_at__lt=now - KEEP_FAILED
    ).delete()
    return {"successful": successful, "failed": failed}


@task(queue_name="default")
def sessions_prune() -> dict[str, int]:
    """Daily: drop expired sessions (what Django's `clearsessions` does), which would pile up
    in the session table otherwise: a session that is not used again is never deleted."""
    expired, _ = Session.objects.filter(expire_date__lt=timezone.now()).delete()
    return {"expired": expired}
