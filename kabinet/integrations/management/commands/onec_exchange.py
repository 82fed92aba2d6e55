"""`manage.py onec_exchange`: run an exchange as 1C would, over HTTP, against a Kabinet server.

    manage.py onec_exchange --url http://127.0.0.1:8000/exchange/1c/ \\
        --login 1c@medtech.example --password kabinet-demo-2026 \\
        kabinet/integrations/onec/samples/import.xml kabinet/integrations/onec/samples/offers.xml

uploads the files (as one zip archive when the server says zip=yes, unless --no-zip), imports
them, then asks for the orders (--orders FILE saves them; --ack confirms them as 1C does) and
optionally sends a file of order statuses (--statuses FILE). It prints every answer.
"""

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from kabinet.integrations.onec.client_1c import ExchangeFailed, OneCClient, http_transport


class Command(BaseCommand):
    help = "Exchange files with a Kabinet server as 1C does (the /exchange/1c/ protocol)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("files", nargs="*", type=Path, help="import*.xml, offers*.xml")
        parser.add_argument("--url", required=True, help="e.g. http://127.0.0.1:8000/exchange/1c/")
        parser.add_argument("--login", required=True)
        parser.add_argument("--password", required=True)
        parser.add_argument("--no-zip", action="store_true", help="upload plain files")
        parser.add_argument("--chunk", type=int, help="bytes per upload request (≤ file_limit)")
        parser.add_argument("--orders", type=Path, help="ask for the orders, save them here")
        parser.add_argument("--ack", action="store_true", help="confirm the orders received")
        parser.add_argument("--statuses", type=Path, help="send this file of order statuses")

    def handle(self, *args: Any, **options: Any) -> None:
        client = OneCClient(
            http_transport(options["url"]), login=options["login"], password=options["password"]
        )
        files: list[Path] = options["files"]
        for path in files:
            if not path.is_file():
                raise CommandError(f"No such file: {path}")
        try:
            if files:
                client.catalog(files, use_zip=not options["no_zip"], chunk=options["chunk"])
            if options["orders"] or options["ack"]:
                body = client.sale_query()
                if options["orders"]:
                    options["orders"].write_bytes(body)
                if options["ack"]:
                    client.sale_success()
            if options["statuses"]:
                if not (options["orders"] or options["ack"]):
                    client.checkauth("sale")
                    client.init("sale")
                client.sale_file(options["statuses"].name, options["statuses"].read_bytes())
        except ExchangeFailed as error:
            for line in client.log.lines:
                self.stdout.write(line)
            raise CommandError(str(error)) from error
        for line in client.log.lines:
            self.stdout.write(line)
        self.stdout.write(self.style.SUCCESS("Exchange finished."))
