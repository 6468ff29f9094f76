"""Indexes for the catalogue's other sort orders (PostgreSQL only).

The page at / sorts published listings by ending date, title or value besides
the newest first (listing_published_idx). Each of these partial indexes holds
the published listings in exactly the order `marketplace.selectors.catalogue`
asks for, so that a first page is read in index order and stops after 20 rows
instead of sorting every published listing. Raw SQL because the orders name
NULLS LAST, which SQLite's CREATE INDEX does not accept; SQLite is the
development database and sorts its few rows as they are.
"""

from django.db import migrations

SORT_INDEXES = {
    "listing_pub_ending_idx": "available_until ASC NULLS LAST, id DESC",
    "listing_pub_title_idx": "title ASC, id DESC",
    "listing_pub_value_idx": "value_per_unit DESC NULLS LAST, id DESC",
    # Value goes with kind (a service is worth more than a box of goods), so
    # "goods by value" would read past every service first: kind leads here.
    "listing_pub_kind_value_idx": "kind, value_per_unit DESC NULLS LAST, id DESC",
}


def create_sort_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, columns in SORT_INDEXES.items():
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {name} ON marketplace_listing ({columns}) "
            "WHERE state = 'published'"
        )


def drop_sort_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in SORT_INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("marketplace", "0002_catalogue_indexes")]

    operations = [migrations.RunPython(create_sort_indexes, drop_sort_indexes)]
