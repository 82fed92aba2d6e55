from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.core.validators import validate_email
from django.db import transaction

from kabinet.notifications.services import email_enqueue


class Command(BaseCommand):
    help = (
        "Send a test message to check the e-mail set-up. It goes through the task queue, so "
        "it also proves that a worker is running; --now sends it from this process instead."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("email", help="recipient address")
        parser.add_argument("--language", default="ru", choices=["ru", "en"])
        parser.add_argument("--now", action="store_true", help="send without the task queue")

    def handle(self, *args: Any, email: str, language: str, now: bool, **options: Any) -> None:
        validate_email(email)
        with transaction.atomic():
            email_enqueue(
                to=[email],
                template="notifications/test_message",
                context={"name": email},
                language=language,
                immediately=now,
            )
        if now:
            self.stdout.write(self.style.SUCCESS(f"Sent to {email}."))
        else:
            self.stdout.write(f"Queued for {email}; a running worker (db_worker) delivers it.")
