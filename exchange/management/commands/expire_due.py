from django.core.management.base import BaseCommand

from donors.services import pledge_expire_overdue
from exchange.services import claim_expire_overdue
from marketplace.services import listing_expire_overdue


class Command(BaseCommand):
    help = (
        "Expire claims past their approval or fulfilment deadline (returning their holds) and "
        "published listings whose availability ended; claims whose match waited too long for a "
        "donor expire with it; pledges past their validity close. Idempotent: run it from a "
        "scheduler."
    )

    def handle(self, *args, **options):
        claims = claim_expire_overdue()
        listings = listing_expire_overdue()
        pledges = pledge_expire_overdue()
        self.stdout.write(f"Expired {claims} claims, {listings} listings and {pledges} pledges.")
