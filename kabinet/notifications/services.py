from functools import partial

from django.db import transaction
from django.template import Context
from django.template.loader import get_template, render_to_string
from django.utils import translation

from kabinet.notifications.tasks import email_send


def _render_text(name: str, context: dict[str, object]) -> str:
    """Plain-text parts are not HTML: "Anna & Co" must not arrive as "Anna &amp; Co"."""
    template = get_template(name).template  # type: ignore[attr-defined]
    return str(template.render(Context(context, autoescape=False)))


def email_enqueue(
    *,
    to: list[str],
    template: str,
    context: dict[str, object],
    language: str | None = None,
    immediately: bool = False,
) -> None:
    """Render `<template>_subject.txt`, `.txt` and `.html` in the recipient's language and
    enqueue the message once the surrounding transaction commits (never for a rolled-back
    change). `immediately` sends from this process instead, for operators' checks."""
    with translation.override(language or translation.get_language()):
        subject = " ".join(_render_text(f"{template}_subject.txt", context).split())
        text_body = _render_text(f"{template}.txt", context)
        html_body = render_to_string(f"{template}.html", context)
    send = email_send.call if immediately else email_send.enqueue
    transaction.on_commit(
        partial(send, to=to, subject=subject, text_body=text_body, html_body=html_body)
    )
