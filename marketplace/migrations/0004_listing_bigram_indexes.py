"""Bigram indexes for two-character search words (PostgreSQL only).

`nanum_bigrams(text)` returns the two-character substrings of a text as
text[] (repeats kept: GIN stores each key of a row once; an empty array for a
text shorter than two characters); IMMUTABLE, so it may stand in an index and a
call on a constant is folded when a query is planned. PL/pgSQL rather than an
SQL function: a query whose plan filters rows with it (reading the catalogue in
index order) calls it per row, and PL/pgSQL keeps its plan for the connection
where an SQL function with an aggregate is planned again in every query. GIN indexes on `nanum_bigrams(UPPER(...))` of the title and the
description, a pair over published listings for the catalogue and a pair over
all listings for the API, as the trigram indexes of 0002 are laid out.
`marketplace/search.py` writes the queries that read them. SQLite has no GIN:
nothing happens there.
"""

from django.db import migrations

BIGRAMS_FUNCTION = """
CREATE OR REPLACE FUNCTION nanum_bigrams(value text) RETURNS text[]
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE
AS $$
DECLARE
    pairs text[] := '{}';
BEGIN
    FOR i IN 1 .. char_length(value) - 1 LOOP
        pairs := pairs || substr(value, i, 2);
    END LOOP;
    RETURN pairs;
END
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
