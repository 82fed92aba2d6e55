"""E-mail delivery as a background task, so a slow SMTP server never slows a page."""

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.tasks import task


@task(queue_name="default")
def email_send(
    *, to: list[str], subject: str, text_body: str, html_body: str = "", reply_to: str = ""
) -> int:
    """Send one message through the configured backend; returns how many were sent."""
    message = EmailMultiAlternatives(
        subject=subject,
        body=text_body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=to,
        reply_to=[reply_to] if reply_to else None,
    )
    if html_body:
        message.attach_alternative(html_body, "text/html")
    return message.send()
