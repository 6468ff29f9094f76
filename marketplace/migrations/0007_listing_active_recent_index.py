"""The coordinator dashboard's current listings: drafts, published and reserved
listings by state, then newest first (exchange.account_views._coordinator_context),
read in this partial index's order and stopped after 50 rows instead of sorting
every active listing of the district."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("marketplace", "0006_merge_claim_move_and_catalogue_version"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="listing",
            index=models.Index(
                condition=models.Q(("state__in", ["draft", "published", "reserved"])),
                fields=["state", "-created_at", "-id"],
                name="listing_active_recent_idx",
            ),
        ),
    ]
