from django.core.management.base import BaseCommand

from exchange.reminders import inbox_scan


class Command(BaseCommand):
    help = (
        "Write the day's to-do notifications: pending matches for donors' representatives, "
        "proposals and pledges awaiting finance, follow-ups due or overdue, listings about to "
        "expire. Idempotent (each thing is notified once): run it from a scheduler."
    )

    def handle(self, *args, **options):
        created = inbox_scan()
        parts = ", ".join(f"{kind} {count}" for kind, count in sorted(created.items()))
        total = sum(created.values())
        self.stdout.write(f"Wrote {total} notifications" + (f": {parts}." if parts else "."))
