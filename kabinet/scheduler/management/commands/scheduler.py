import logging
import signal
import threading
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils import timezone

from kabinet.scheduler.jobs import jobs_enqueue_due

logger = logging.getLogger(__name__)


class Command(BaseCommand):
    help = "Enqueue scheduled jobs when they are due (runs until stopped)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--interval", type=float, default=60.0, help="seconds between checks")
        parser.add_argument("--once", action="store_true", help="check once and exit")

    def handle(self, *args: Any, interval: float, once: bool, **options: Any) -> None:
        stop = threading.Event()
        for signum in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signum, lambda *_: stop.set())
        logger.info("Scheduler started (every %ss)", interval)
        while not stop.is_set():
            for name in jobs_enqueue_due(now=timezone.now()):
                logger.info("Enqueued scheduled job %s", name)
            if once:
                break
            stop.wait(interval)
