"""Room on every page for a new row version, so that the ERP's bulk re-pricing and stock
loads (catalog.sync, QUALITY.md P5) are HOT updates on PostgreSQL: the changed columns are
in no index (amount, quantity; a listing's stock and max price), and a HOT update writes no
index entry. Without it every updated row inserts into every index of its table. Applies to
pages written from now on (a `VACUUM FULL` of the table applies it to existing ones)."""

from django.db import migrations

FILLFACTOR = {"catalog_price": 50, "catalog_stock": 50, "catalog_listing": 70}


def fillfactor(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return  # SQLite rewrites pages in place: nothing to reserve
    for table, percent in FILLFACTOR.items():
        schema_editor.execute(f"ALTER TABLE {table} SET (fillfactor = {percent})")


def fillfactor_reset(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table in FILLFACTOR:
        schema_editor.execute(f"ALTER TABLE {table} RESET (fillfactor)")


class Migration(migrations.Migration):
    dependencies = [("catalog", "0002_listing_copies_and_search_indexes")]

    operations = [migrations.RunPython(fillfactor, fillfactor_reset, elidable=False)]
