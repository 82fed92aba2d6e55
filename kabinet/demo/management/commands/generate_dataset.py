from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from kabinet.demo.dataset import SIZES, NotEmpty, dataset_generate


class Command(BaseCommand):
    help = (
        "Generate a reference data set of QUALITY.md into an empty database, deterministically "
        "(the same --seed always writes the same rows). Size L is the catalog part of data set "
        '"L": 10,000 products × 10 colour × size variants (100k SKUs) with stock, 1,000 '
        "partners each with a counterparty, a main agreement on its own contract price list "
        "(1,000 SKUs each: 1M price rows) and a second agreement on the wholesale price list "
        "(all SKUs), the catalog listings, and 100k orders with 1M order lines over two years "
        "with their status histories. M and S scale it down (S takes seconds). Invoices and "
        "payments of data set L come with their models in later issues."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--size", choices=sorted(SIZES), default="L")
        parser.add_argument("--seed", type=int, default=1)

    def handle(self, *args: Any, size: str, seed: int, **options: Any) -> None:
        spec = SIZES[size]
        self.stdout.write(
            f"Data set {size} (seed {seed}): {spec.products:,} products × {spec.variants} "
            f"variants, {spec.partners:,} partners × {spec.contract_products * spec.variants:,} "
            f"contract prices, {spec.orders:,} orders"
        )
        try:
            counts = dataset_generate(size=size, seed=seed, log=self.stdout.write)
        except NotEmpty as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            self.style.SUCCESS(f"Data set {size} written: {sum(counts.values()):,} rows.")
        )
