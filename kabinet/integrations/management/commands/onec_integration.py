"""`manage.py onec_integration --login 1c@example.com [--name "1C:УТ 11"]`: create the 1C
integration 1C signs in with, or set a new password for it. The password is asked for (or
read from ONEC_PASSWORD, for scripts) and stored hashed."""

import getpass
import os
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from kabinet.integrations.models import Integration, IntegrationKind
from kabinet.integrations.services import integration_create, integration_set_password

MIN_PASSWORD = 12


class Command(BaseCommand):
    help = "Create the 1C exchange integration, or set its password."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--login", required=True, help="what 1C's exchange node signs in as")
        parser.add_argument("--name", default="1C", help="the integration's name (new ones)")

    def handle(self, *args: Any, login: str, name: str, **options: Any) -> None:
        password = os.environ.get("ONEC_PASSWORD") or getpass.getpass("Password for 1C: ")
        if len(password) < MIN_PASSWORD:
            raise CommandError(f"The password needs at least {MIN_PASSWORD} characters.")
        existing = Integration.objects.filter(login=login).first()
        if existing is not None:
            if existing.kind != IntegrationKind.ONEC:
                raise CommandError(f"{login} belongs to an integration of another kind.")
            integration_set_password(integration=existing, password=password, actor=None)
            self.stdout.write(self.style.SUCCESS(f"New password set for {login}."))
            return
        integration_create(
            name=name, kind=IntegrationKind.ONEC, actor=None, login=login, password=password
        )
        self.stdout.write(self.style.SUCCESS(f"1C integration {name!r} created for {login}."))
