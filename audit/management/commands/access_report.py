import datetime

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from audit.report import parse_month, report_lines
from audit.selectors import unusual_access


class Command(BaseCommand):
    help = (
        "Print the month's unusual access to household records: bursts of many households "
        "in a short time, access out of office hours, and access outside one's caseload."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--month", help="the month as YYYY-MM (default: the previous month)", default=""
        )

    def handle(self, *args, **options):
        if options["month"]:
            month = parse_month(options["month"])
            if month is None:
                raise CommandError(f"--month must be YYYY-MM, got {options['month']!r}")
        else:
            month = (timezone.localdate().replace(day=1) - datetime.timedelta(days=1)).replace(
                day=1
            )
        for line in report_lines(unusual_access(month)):
            self.stdout.write(line)
