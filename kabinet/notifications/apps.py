from typing import Any

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotificationsConfig(AppConfig):
    name = "kabinet.notifications"
    verbose_name = _("Notifications")

    def ready(self) -> None:
        # django.tasks reports finished tasks only through this signal.
        from django.tasks.signals import task_finished

        task_finished.connect(email_arguments_scrub, dispatch_uid="kabinet_email_scrub")


def email_arguments_scrub(sender: object, task_result: Any, **kwargs: Any) -> None:
    """Once a message is delivered, keep only its recipients in the queue's table: the bodies
    may hold single-use links (invitations, password resets) that must not outlive delivery
    in the database or its backups."""
    from django.tasks import TaskResultStatus
    from django_tasks_db.backend import DatabaseBackend
    from django_tasks_db.models import DBTaskResult

    from kabinet.notifications.tasks import email_send

    # The worker sends the backend itself on success and its class on failure.
    backend = sender if isinstance(sender, type) else type(sender)
    if not issubclass(backend, DatabaseBackend):
        return  # other backends keep no table of arguments
    if task_result.task.func is not email_send.func:
        return
    if task_result.status != TaskResultStatus.SUCCESSFUL:
        return
    recipients = task_result.kwargs.get("to", [])
    DBTaskResult.objects.filter(pk=task_result.id).update(
        args_kwargs={"args": [], "kwargs": {"to": recipients}}
    )
