"""Bigram indexes for two-character search words (PostgreSQL only).

`nanum_bigrams(text)` returns the distinct two-character substrings of a text
as text[] (an empty array for a text shorter than two characters); IMMUTABLE,
so it may stand in an index and a call on a constant is folded when a query is
planned. GIN indexes on `nanum_bigrams(UPPER(...))` of the title and the
description, a pair over published listings for the catalogue and a pair over
all listings for the API, as the trigram indexes of 0002 are laid out.
`marketplace/search.py` writes the queries that read them. SQLite has no GIN:
nothing happens there.
"""

from django.db import migrations

BIGRAMS_FUNCTION = """
CREATE OR REPLACE FUNCTION nanum_bigrams(value text) RETURNS text[]
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
AS $$
    SELECT coalesce(array_agg(DISTINCT substr(value, i, 2)), '{}')
    FROM generate_series(1, char_length(value) - 1) AS i
$$
"""
PUBLISHED = "WHERE state = 'published'"
BIGRAM_INDEXES = {
    "listing_title_bigram_idx": ("UPPER(title::text)", ""),
    "listing_description_bigram_idx": ("UPPER(description)", ""),
    "listing_title_bigram_pub_idx": ("UPPER(title::text)", PUBLISHED),
    "listing_description_bigram_pub_idx": ("UPPER(description)", PUBLISHED),
}


def create_bigram_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(BIGRAMS_FUNCTION)
    for name, (expression, where) in BIGRAM_INDEXES.items():
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {name} ON marketplace_listing "
            f"USING gin (nanum_bigrams({expression})) {where}"
        )


def drop_bigram_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in BIGRAM_INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")
    schema_editor.execute("DROP FUNCTION IF EXISTS nanum_bigrams(text)")


class Migration(migrations.Migration):
    dependencies = [("marketplace", "0003_catalogue_sort_indexes")]

    operations = [migrations.RunPython(create_bigram_indexes, drop_bigram_indexes)]
