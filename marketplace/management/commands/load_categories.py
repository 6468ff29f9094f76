from django.core.management.base import BaseCommand, CommandError

from marketplace.exceptions import CategoryFileError
from marketplace.services import CATEGORIES_CSV, categories_load_csv


class Command(BaseCommand):
    help = (
        "Load the two-level resource taxonomy from a CSV with the columns "
        "code,parent_code,name_ko,name_en,usual_kind. Idempotent; a bad file loads nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("csv", nargs="?", default=str(CATEGORIES_CSV))

    def handle(self, *args, **options):
        try:
            created, updated, unchanged = categories_load_csv(path=options["csv"])
        except CategoryFileError as exc:
            for line, message in exc.problems:
                self.stderr.write(f"{options['csv']}: line {line}: {message}")
            raise CommandError("Categories not loaded; nothing was changed.") from None
        self.stdout.write(
            f"Categories: {created} created, {updated} updated, {unchanged} unchanged."
        )
