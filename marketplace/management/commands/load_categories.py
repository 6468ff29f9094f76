from django.core.management.base import BaseCommand, CommandError

from marketplace.exceptions import CategoryFileError
from marketplace.services import CATEGORIES_CSV, categories_load_csv


class Command(BaseCommand):
    help = "Load the two-level resource taxonomy from a CSV (idempotent; a bad file loads nothing)."

    def add_arguments(self, parser):
        parser.add_argument("csv", nargs="?", default=str(CATEGORIES_CSV))

    def handle(self, *args, **options):
        try:
            created, updated, unchanged = categories_load_csv(path=options["csv"])
        except (CategoryFileError, OSError, UnicodeDecodeError) as exc:
            raise CommandError(f"Categories not loaded; nothing was changed. {exc}") from None
        self.stdout.write(
            f"Categories: {created} created, {updated} updated, {unchanged} unchanged."
        )
