import sys
from collections.abc import Sequence
from typing import Any

from django.core.mail import EmailMessage
from django.core.mail.backends.filebased import EmailBackend as FileBackend


class DemoFileBackend(FileBackend):
    """The demo's mail: each message is written to its own file under EMAIL_FILE_PATH
    (var/mail/) and echoed to the console, so links in it can be followed without SMTP."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.echo = sys.stdout

    def send_messages(self, email_messages: Sequence[EmailMessage]) -> int:
        sent = 0
        for message in email_messages:
            # One file per message (the base class appends a whole connection to one file).
            self.stream = None  # type: ignore[assignment]
            self._fname = None  # type: ignore[assignment]
            sent += super().send_messages([message])
            self.echo.write(
                f"\n[mail] {message.subject!r} to {', '.join(message.to)} "
                f"-> {self._get_filename()}\n"
            )
            self.echo.flush()
            self.close()
        return sent
