"""Background e-mail end to end: a real `db_worker` process, the real settings, real delivery.

The worker is started the way an operator starts it (`manage.py db_worker` with
DJANGO_SETTINGS_MODULE=kabinet.settings) and pointed at this run's test database through
DATABASE_URL, so these tests see what production sees: the on-commit enqueue, the queue table
shared between processes, the MAILERS configuration chosen by the environment.
"""

import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import suppress
from email import message_from_bytes, policy
from email.message import EmailMessage
from email.utils import parseaddr
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session
from django.conf import settings
from django.core import mail
from django.db import transaction
from django.tasks import TaskResultStatus
from django.test import override_settings
from django_tasks_db.models import DBTaskResult

from kabinet.notifications.services import email_enqueue
from tests.processes import process_env, worker

WAIT_SECONDS = 30
RECIPIENT = "anna@alpha.example"
# Cyrillic on purpose: the subject must survive header encoding on the way through.
NAME = "Анна"
SUBJECT = f"Kabinet test message for {NAME}"


class _Rollback(Exception):
    """Raised inside a transaction only to roll it back."""


def _enqueue_test_message() -> None:
    # English, so the assertions do not depend on which translations are compiled.
    email_enqueue(
        to=[RECIPIENT],
        template="notifications/test_message",
        context={"name": NAME},
        language="en",
    )


def _enqueue_and_roll_back() -> None:
    with suppress(_Rollback), transaction.atomic():
        _enqueue_test_message()
        raise _Rollback


def _wait_until_polling(process: subprocess.Popen[bytes], tmp_path: Path) -> None:
    """Wait (bounded) until the worker has booted and entered its polling loop."""
    log = tmp_path / "worker.log"
    deadline = time.monotonic() + WAIT_SECONDS
    while "Starting worker" not in log.read_text(errors="replace"):
        if process.poll() is not None or time.monotonic() > deadline:
            pytest.fail(f"worker did not start:\n{log.read_text(errors='replace')}")
        time.sleep(0.05)


def _wait_for_exit(process: subprocess.Popen[bytes], tmp_path: Path) -> str:
    """Wait (bounded) for a worker started with --max-tasks to finish; return its output."""
    with suppress(subprocess.TimeoutExpired):
        process.wait(timeout=WAIT_SECONDS)
    output = (tmp_path / "worker.log").read_text(errors="replace")
    assert process.returncode == 0, f"worker did not finish its task:\n{output}"
    return output


def _assert_task_succeeded() -> None:
    [result] = DBTaskResult.objects.all()
    assert result.task_path == "kabinet.notifications.tasks.email_send"
    assert result.status == TaskResultStatus.SUCCESSFUL, result.traceback
    assert result.return_value == 1


def _assert_is_the_test_message(message: EmailMessage) -> None:
    assert message["Subject"] == SUBJECT
    assert message["To"] == RECIPIENT
    assert message["From"] == settings.DEFAULT_FROM_EMAIL
    text = message.get_body(("plain",))
    html = message.get_body(("html",))
    assert text is not None
    assert html is not None
    assert f"Hello, {NAME}!" in text.get_content()
    assert f"<p>Hello, {NAME}!</p>" in html.get_content()


def _parse(raw: bytes) -> EmailMessage:
    message = message_from_bytes(raw, policy=policy.default)
    assert isinstance(message, EmailMessage)
    return message


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_worker_sends_committed_email_to_the_demo_mail_directory(tmp_path: Path) -> None:
    mail_dir = tmp_path / "mail"
    env = process_env(tmp_path, EMAIL_FILE_PATH=str(mail_dir))

    with worker(tmp_path, env, max_tasks=1) as process:
        # As in production, the worker is already polling when the work appears.
        _wait_until_polling(process, tmp_path)
        with transaction.atomic():
            _enqueue_test_message()
            assert not DBTaskResult.objects.exists(), "enqueued before the commit"
        assert DBTaskResult.objects.count() == 1
        output = _wait_for_exit(process, tmp_path)

    _assert_task_succeeded()
    [eml] = mail_dir.glob("*.eml")
    _assert_is_the_test_message(_parse(eml.read_bytes()))
    assert f"to {RECIPIENT} -> {eml}" in output
    # Nothing was delivered in this process: the worker did the sending.
    assert mail.outbox == []


class _Inbox:
    """An aiosmtpd handler that keeps every envelope it accepts."""

    def __init__(self) -> None:
        self.envelopes: list[Envelope] = []

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        self.envelopes.append(envelope)
        return "250 Message accepted for delivery"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.fixture
def smtp_inbox() -> Iterator[tuple[_Inbox, int]]:
    inbox = _Inbox()
    port = _free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield inbox, port
    finally:
        controller.stop()


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_worker_delivers_committed_email_over_smtp(
    tmp_path: Path, smtp_inbox: tuple[_Inbox, int]
) -> None:
    inbox, port = smtp_inbox
    env = process_env(tmp_path, EMAIL_HOST="127.0.0.1", EMAIL_PORT=str(port), EMAIL_TIMEOUT="5")

    with worker(tmp_path, env, max_tasks=1) as process:
        with transaction.atomic():
            _enqueue_test_message()
        _wait_for_exit(process, tmp_path)

    _assert_task_succeeded()
    # The worker finished only after the server answered 250, so the envelope is already here.
    [envelope] = inbox.envelopes
    assert envelope.rcpt_tos == [RECIPIENT]
    assert envelope.mail_from == parseaddr(settings.DEFAULT_FROM_EMAIL)[1]
    assert isinstance(envelope.content, bytes)
    _assert_is_the_test_message(_parse(envelope.content))
    # The SMTP mailer was chosen, not the demo file backend.
    assert not (tmp_path / "var" / "mail").exists()


@pytest.mark.django_db(transaction=True)
def test_rolled_back_transaction_enqueues_nothing() -> None:
    _enqueue_and_roll_back()

    assert not DBTaskResult.objects.exists()
    # The same call committed does enqueue: the rollback, not a broken enqueue, left it empty.
    with transaction.atomic():
        _enqueue_test_message()
    assert DBTaskResult.objects.count() == 1


@pytest.mark.django_db(transaction=True)
@override_settings(
    TASKS={
        "default": {
            "BACKEND": "django.tasks.backends.immediate.ImmediateBackend",
            "QUEUES": ["default"],
        }
    }
)
def test_rolled_back_transaction_sends_nothing_even_with_an_immediate_backend() -> None:
    # With the database backend the rollback would discard the queued row anyway; a backend
    # that runs tasks at once shows that the enqueue itself waits for the commit.
    _enqueue_and_roll_back()
    assert mail.outbox == []

    with transaction.atomic():
        _enqueue_test_message()
        assert mail.outbox == [], "sent before the commit"
    [message] = mail.outbox
    assert message.subject == SUBJECT
    assert message.to == [RECIPIENT]
