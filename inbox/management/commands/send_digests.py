from django.core.management.base import BaseCommand

from inbox.services import digest_send


class Command(BaseCommand):
    help = (
        "Send the daily digest: one e-mail to each user who chose it, listing their unread "
        "notifications since their last digest (at most a day). Running it twice sends nothing "
        "twice."
    )

    def handle(self, *args, **options):
        self.stdout.write(f"Sent {digest_send()} digests.")
