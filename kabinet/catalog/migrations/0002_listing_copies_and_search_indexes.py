"""Listings carry copies of their product's attributes and main image (a page filters and
shows rows without joining products); SKU search ignores case. On PostgreSQL, two indexes
the ORM cannot declare portably: a trigram index for the name search (`LIKE '%term%'` on
name_folded) and (price_list, section_path) with pattern ops for the section prefix
(`LIKE 'path%'` cannot use an index in a non-C collation otherwise)."""

import django.db.models.functions.text
from django.db import migrations, models

PG_INDEXES = {
    "catalog_listing_name_trgm": (
        "CREATE INDEX IF NOT EXISTS catalog_listing_name_trgm ON catalog_listing "
        "USING gin (name_folded gin_trgm_ops)"
    ),
    "catalog_listing_section_prefix": (
        "CREATE INDEX IF NOT EXISTS catalog_listing_section_prefix ON catalog_listing "
        "(price_list_id, section_path varchar_pattern_ops)"
    ),
}


def listing_copies(apps, schema_editor):  # type: ignore[no-untyped-def]
    Listing = apps.get_model("catalog", "Listing")
    Product = apps.get_model("catalog", "Product")
    products = Product.objects.filter(listings__isnull=False).distinct().only("attributes", "image")
    for product in products.iterator(chunk_size=2000):
        Listing.objects.filter(product_id=product.pk).update(
            attributes=product.attributes if isinstance(product.attributes, dict) else {},
            image=product.image or "",
        )


def pg_indexes(apps, schema_editor):  # type: ignore[no-untyped-def]
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for sql in PG_INDEXES.values():
        schema_editor.execute(sql)


def pg_indexes_drop(apps, schema_editor):  # type: ignore[no-untyped-def]
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in PG_INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):

    dependencies = [
        ('catalog', '0001_initial'),
    ]

    operations = [
        migrations.AddField(
            model_name='listing',
            name='attributes',
            field=models.JSONField(default=dict),
        ),
        migrations.AddField(
            model_name='listing',
            name='image',
            field=models.CharField(blank=True, default='', max_length=100),
        ),
        migrations.AddIndex(
            model_name='variant',
            index=models.Index(django.db.models.functions.text.Upper('sku'), name='catalog_variant_sku_upper'),
        ),
        migrations.RunPython(listing_copies, migrations.RunPython.noop),
        migrations.RunPython(pg_indexes, pg_indexes_drop),
    ]
