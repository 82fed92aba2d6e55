import os
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from kabinet.integrations.erp.fake_erp import MODES, FakeErp, serve
from kabinet.integrations.models import Integration


class Command(BaseCommand):
    help = (
        "Run the fake ERP that receives outbox deliveries (the demo's ERP; see "
        "kabinet/integrations/erp/fake_erp.py for its modes and control URL)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8001)
        parser.add_argument(
            "--mode",
            default=os.environ.get("FAKE_ERP_MODE", "ok"),
            choices=MODES,
            help="how it answers (default: $FAKE_ERP_MODE or ok)",
        )
        parser.add_argument("--rate", type=float, default=1.0, help="share of deliveries")
        parser.add_argument("--delay", type=float, default=None, help="seconds (timeout, slow)")
        parser.add_argument("--db", default=str(settings.VAR_DIR / "fake-erp.sqlite3"))
        parser.add_argument(
            "--secret",
            default="",
            help="the signing secret (default: that of the integration delivering to this port)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        port = options["port"]
        secret: str = options["secret"]

        def integration_secret() -> str:
            # Looked up per delivery: the demo data may be loaded after this server starts.
            for integration in Integration.objects.filter(is_active=True).exclude(outbound_url=""):
                url = urlsplit(integration.outbound_url)
                if url.hostname in {"127.0.0.1", "localhost"} and url.port == port:
                    return integration.outbound_secret
            return ""

        erp = FakeErp(
            db_path=options["db"],
            secret=secret or integration_secret,
            mode=options["mode"],
            rate=options["rate"],
            delay=options["delay"],
        )
        server = serve(erp, host=options["host"], port=port)
        self.stdout.write(
            f"Fake ERP on http://{options['host']}:{port}/ (mode {options['mode']}); "
            f"change it with POST http://{options['host']}:{port}/control"
        )
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            pass
        finally:
            server.server_close()
