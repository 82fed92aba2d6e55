"""PostgreSQL's name search on keys of (price list, three letters) instead of a trigram index.

The trigram index held each name once per price list it is in: a search matched the term in
all 1,001 price lists of data set L (6,810 listings) to keep the 624 of one. A key here is
the price list's id and three consecutive characters of the folded name ("1:кос"), so the
index answers one price list's matches only. The keys are every three-character substring,
spaces included, so a name contains the term only if its keys contain the term's: the
search asks for the term's keys (`catalog.selectors.listing_search_keys`) and checks the
`LIKE` on the rows found. The function uses built-ins only (no extension, no search_path).
"""

from django.db import migrations

KEYS_FUNCTION = """
CREATE OR REPLACE FUNCTION catalog_listing_search_keys(price_list_id bigint, name_folded text)
RETURNS text[] LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    SELECT coalesce(array_agg(price_list_id::text || ':' || substr(name_folded, i, 3)), '{}')
    FROM generate_series(1, char_length(name_folded) - 2) AS i
$$
"""
KEYS_INDEX = (
    "CREATE INDEX IF NOT EXISTS catalog_listing_search ON catalog_listing "
    "USING gin (catalog_listing_search_keys(price_list_id, name_folded))"
)
TRIGRAM_INDEX = (
    "CREATE INDEX IF NOT EXISTS catalog_listing_name_trgm ON catalog_listing "
    "USING gin (name_folded gin_trgm_ops)"
)


def search_keys(apps, schema_editor):  # type: ignore[no-untyped-def]
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(KEYS_FUNCTION)
    schema_editor.execute(KEYS_INDEX)
    schema_editor.execute("DROP INDEX IF EXISTS catalog_listing_name_trgm")


def trigram_index(apps, schema_editor):  # type: ignore[no-untyped-def]
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(TRIGRAM_INDEX)
    schema_editor.execute("DROP INDEX IF EXISTS catalog_listing_search")
    schema_editor.execute("DROP FUNCTION IF EXISTS catalog_listing_search_keys(bigint, text)")


class Migration(migrations.Migration):
    dependencies = [
        ("catalog", "0005_listing_index_and_stale_queue"),
    ]

    operations = [
        migrations.RunPython(search_keys, trigram_index),
    ]
