from django.core.management.base import BaseCommand

from ledger.selectors import ledger_verify


class Command(BaseCommand):
    help = (
        "Recompute every ledger balance and sequence from the entries, check every "
        "transaction sums to zero and every hash chain is intact. Exits 1 on any discrepancy."
    )

    def handle(self, *args, **options):
        report = ledger_verify()
        self.stdout.write(
            f"Checked {report.accounts} accounts, {report.entries} entries, "
            f"{report.transactions} transactions."
        )
        if report.ok:
            self.stdout.write("Ledger verified: no discrepancy.")
            return
        for problem in report.problems:
            self.stderr.write(f"DISCREPANCY {problem}")
        self.stderr.write(f"{len(report.problems)} discrepancies found.")
        raise SystemExit(1)
