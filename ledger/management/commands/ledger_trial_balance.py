from django.core.management.base import BaseCommand

from ledger.selectors import trial_balance


class Command(BaseCommand):
    help = "Print the trial balance: every account grouped by purpose and owner; total 0."

    def handle(self, *args, **options):
        tb = trial_balance()
        for group in tb.groups:
            self.stdout.write(f"{group.purpose} / {group.owner_kind}: {group.total:+,d}")
            for account in group.accounts:
                self.stdout.write(f"    {account.code:<40} {account.balance:>+15,d}")
        self.stdout.write(f"TOTAL ({tb.account_count} accounts): {tb.total:+,d}")
        if not tb.balanced:
            self.stderr.write("The trial balance does not sum to zero.")
            raise SystemExit(1)
