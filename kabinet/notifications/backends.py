import sys
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from django.core.mail import EmailMessage
from django.core.mail.backends.base import BaseEmailBackend
from django.utils import timezone


class DemoFileBackend(BaseEmailBackend):
    """The demo's mail: each message is saved as an .eml file under `file_path` (var/mail/)
    and announced on the console, so the links in it can be followed without an SMTP server.
    """

    _counter = 0
    _lock = threading.Lock()

    def __init__(self, *, file_path: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.file_path = Path(file_path)

    def send_messages(self, email_messages: Sequence[EmailMessage]) -> int:
        self.file_path.mkdir(parents=True, exist_ok=True)
        for message in email_messages:
            path = self._new_path()
            path.write_bytes(message.message().as_bytes())
            sys.stdout.write(f"[mail] {message.subject!r} to {', '.join(message.to)} -> {path}\n")
        sys.stdout.flush()
        return len(email_messages)

    def _new_path(self) -> Path:
        with self._lock:
            DemoFileBackend._counter += 1
            number = DemoFileBackend._counter
        stamp = timezone.now().strftime("%Y%m%d-%H%M%S-%f")
        return self.file_path / f"{stamp}-{number}.eml"
