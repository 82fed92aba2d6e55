from functools import partial

from django.db import transaction
from django.template.loader import render_to_string
from django.utils import translation

from kabinet.notifications.tasks import email_send


def email_enqueue(
    *,
    to: list[str],
    template: str,
    context: dict[str, object],
    language: str | None = None,
) -> None:
    """Render `<template>_subject.txt`, `.txt` and `.html` in the recipient's language and
    enqueue the message once the surrounding transaction commits (never for a rolled-back
    change)."""
    with translation.override(language or translation.get_language()):
        subject = " ".join(render_to_string(f"{template}_subject.txt", context).split())
        text_body = render_to_string(f"{template}.txt", context)
        html_body = render_to_string(f"{template}.html", context)
    transaction.on_commit(
        partial(
            email_send.enqueue, to=to, subject=subject, text_body=text_body, html_body=html_body
        )
    )
