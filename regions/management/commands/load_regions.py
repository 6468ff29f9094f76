from django.core.management.base import BaseCommand, CommandError

from regions.exceptions import RegionFileError
from regions.services import DEFAULT_CSV, regions_load_csv


class Command(BaseCommand):
    help = (
        "Load regions (city, districts, zones, dongs) from a CSV with the columns "
        "code,parent_code,level,name_ko,name_en. Idempotent; a malformed file loads nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "csv",
            nargs="?",
            default=str(DEFAULT_CSV),
            help="CSV file to load (default: the bundled Daejeon data set)",
        )

    def handle(self, *args, **options):
        try:
            result = regions_load_csv(path=options["csv"])
        except RegionFileError as exc:
            for line, message in exc.problems:
                self.stderr.write(f"{options['csv']}: line {line}: {message}")
            raise CommandError("Region file not loaded; nothing was changed.") from None
        self.stdout.write(
            f"Regions from {options['csv']}: {result.created} created, "
            f"{result.updated} updated, {result.unchanged} unchanged."
        )
