"""E-mail without a worker: the demo file backend, the send task, and enqueueing on commit."""

from collections.abc import Callable
from contextlib import AbstractContextManager
from email import message_from_bytes, policy
from email.message import EmailMessage as ParsedMessage
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.core import mail
from django.core.mail import EmailMessage, EmailMultiAlternatives, mailers
from django.test import override_settings
from django.utils import translation
from django_tasks_db.models import DBTaskResult

from kabinet.notifications.backends import DemoFileBackend
from kabinet.notifications.services import email_enqueue
from kabinet.notifications.tasks import email_send

type CaptureOnCommit = Callable[..., AbstractContextManager[list[Callable[[], Any]]]]


def _parse(path: Path) -> ParsedMessage:
    parsed = message_from_bytes(path.read_bytes(), policy=policy.default)
    assert isinstance(parsed, ParsedMessage)
    return parsed


def test_demo_file_backend_writes_one_eml_per_message(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # A directory that does not exist yet: a fresh demo checkout has no var/mail/.
    mail_dir = tmp_path / "mail" / "nested"
    backend = DemoFileBackend(file_path=str(mail_dir))
    plain = EmailMessage(subject="First", body="One", to=["one@example.com"])
    rich = EmailMultiAlternatives(subject="Второе письмо", body="Two", to=["two@example.com"])
    rich.attach_alternative("<p>Two</p>", "text/html")

    assert backend.send_messages([plain, rich]) == 2

    files = sorted(mail_dir.glob("*.eml"))
    assert len(files) == 2
    parsed = {str(message["Subject"]): message for message in map(_parse, files)}
    assert set(parsed) == {"First", "Второе письмо"}
    assert parsed["First"]["To"] == "one@example.com"
    html_part = parsed["Второе письмо"].get_body(("html",))
    assert html_part is not None
    assert "<p>Two</p>" in html_part.get_content()
    # The console line is what the demo user follows to find the file.
    assert "'First' to one@example.com ->" in capsys.readouterr().out


def test_demo_file_backend_never_overwrites_a_message(tmp_path: Path) -> None:
    # Two messages in the same microsecond must still get two files.
    backend = DemoFileBackend(file_path=str(tmp_path))
    messages = [EmailMessage(subject=f"N{n}", body="x", to=["a@example.com"]) for n in range(5)]

    assert backend.send_messages(messages) == 5
    assert len(list(tmp_path.glob("*.eml"))) == 5


def test_demo_file_backend_is_usable_as_a_configured_mailer(tmp_path: Path) -> None:
    # The shape settings.py uses when EMAIL_HOST is unset (Django 6.1 MAILERS with OPTIONS).
    mailer = {
        "BACKEND": "kabinet.notifications.backends.DemoFileBackend",
        "OPTIONS": {"file_path": str(tmp_path)},
    }
    with override_settings(MAILERS={"default": mailer}):
        sent = EmailMessage(subject="Configured", body="Body", to=["x@example.com"]).send()
        assert isinstance(mailers["default"], DemoFileBackend)

    assert sent == 1
    [path] = tmp_path.glob("*.eml")
    assert _parse(path)["Subject"] == "Configured"


def test_email_send_task_sends_text_and_html_through_the_mailer() -> None:
    sent = email_send.call(
        to=["anna@alpha.example"],
        subject="Заказ подтверждён",
        text_body="Plain body",
        html_body="<p>HTML body</p>",
        reply_to="manager@supplier.example",
    )

    assert sent == 1
    [message] = mail.outbox
    assert isinstance(message, EmailMultiAlternatives)
    assert message.to == ["anna@alpha.example"]
    assert message.subject == "Заказ подтверждён"
    assert message.from_email == settings.DEFAULT_FROM_EMAIL
    assert message.reply_to == ["manager@supplier.example"]
    assert message.body == "Plain body"
    # (EmailAlternative is a named tuple of content and MIME type.)
    assert message.alternatives == [("<p>HTML body</p>", "text/html")]


def test_email_send_task_without_html_sends_plain_text_only() -> None:
    assert email_send.call(to=["a@example.com"], subject="Plain", text_body="Only text") == 1

    [message] = mail.outbox
    assert isinstance(message, EmailMultiAlternatives)
    assert message.alternatives == []
    assert message.reply_to == []


@pytest.mark.django_db
def test_email_enqueue_renders_in_the_given_language_and_waits_for_commit(
    django_capture_on_commit_callbacks: CaptureOnCommit,
) -> None:
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        email_enqueue(
            to=["anna@alpha.example"],
            template="notifications/test_message",
            context={"name": "Anna & Co"},
            language="en",
        )
        # Rendered now, but nothing is queued until the transaction commits.
        assert not DBTaskResult.objects.exists()
    assert len(callbacks) == 1

    callbacks[0]()

    [queued] = DBTaskResult.objects.all()
    assert queued.task_path == "kabinet.notifications.tasks.email_send"
    kwargs = queued.args_kwargs["kwargs"]
    assert kwargs["to"] == ["anna@alpha.example"]
    # One line, and text parts are not HTML-escaped.
    assert kwargs["subject"] == "Kabinet test message for Anna & Co"
    assert "Hello, Anna & Co!" in kwargs["text_body"]
    assert "Hello, Anna &amp; Co!" in kwargs["html_body"]
    assert '<html lang="en">' in kwargs["html_body"]
    assert mail.outbox == []


@pytest.mark.django_db
def test_email_enqueue_uses_the_recipients_language_not_the_current_one(
    django_capture_on_commit_callbacks: CaptureOnCommit,
) -> None:
    source = "Kabinet test message for %(name)s"
    with translation.override("ru"):
        expected = translation.gettext(source) % {"name": "Анна"}
    assert expected != source % {"name": "Анна"}, "the Russian catalog lacks the subject"

    with translation.override("en"), django_capture_on_commit_callbacks(execute=True):
        email_enqueue(
            to=["anna@alpha.example"],
            template="notifications/test_message",
            context={"name": "Анна"},
            language="ru",
        )

    [queued] = DBTaskResult.objects.all()
    assert queued.args_kwargs["kwargs"]["subject"] == expected
    assert '<html lang="ru">' in queued.args_kwargs["kwargs"]["html_body"]


@pytest.mark.django_db(transaction=True)
def test_send_test_email_command_queues_or_sends() -> None:
    from django.core.management import call_command
    from django_tasks_db.models import DBTaskResult

    call_command("send_test_email", "ops@supplier.example")
    assert DBTaskResult.objects.count() == 1
    assert mail.outbox == []

    call_command("send_test_email", "ops@supplier.example", "--now", "--language", "en")
    assert DBTaskResult.objects.count() == 1
    assert [message.to for message in mail.outbox] == [["ops@supplier.example"]]
    assert "e-mail delivery works" in mail.outbox[0].body


def test_send_test_email_command_refuses_a_bad_address() -> None:
    from django.core.exceptions import ValidationError
    from django.core.management import call_command

    with pytest.raises(ValidationError):
        call_command("send_test_email", "not-an-address")
