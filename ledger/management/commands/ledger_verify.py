from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from ledger.checkpoint import CheckpointError, checkpoint_key, checkpoint_read
from ledger.selectors import ledger_verify


class Command(BaseCommand):
    help = (
        "Recompute every ledger balance and sequence from the entries, check every "
        "transaction sums to zero, every hash chain is intact, the holds account holds the "
        "open holds and holds and proposals point at their transactions; with --checkpoint, "
        "that the ledger still extends a signed checkpoint. Exits 1 on any discrepancy, 2 "
        "when the checkpoint file is refused."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--checkpoint",
            metavar="FILE",
            help="a file written by ledger_checkpoint, signed with LEDGER_CHECKPOINT_KEY",
        )

    def handle(self, *args, **options):
        checkpoint = None
        if options["checkpoint"]:
            try:
                key, _development = checkpoint_key()
                checkpoint = checkpoint_read(path=Path(options["checkpoint"]), key=key)
            except CheckpointError as error:
                # Its own exit status: the ledger was not found wrong, the file is unusable.
                raise CommandError(f"Checkpoint refused: {error}", returncode=2) from None
        report = ledger_verify(checkpoint=checkpoint)
        self.stdout.write(
            f"Checked {report.accounts} accounts, {report.entries} entries, "
            f"{report.transactions} transactions."
        )
        if checkpoint is not None:
            self.stdout.write(
                f"Against the checkpoint of {checkpoint.created_at} "
                f"({len(checkpoint.accounts)} accounts)."
            )
        if report.ok:
            self.stdout.write("Ledger verified: no discrepancy.")
            return
        for problem in report.problems:
            self.stderr.write(f"DISCREPANCY {problem}")
        self.stderr.write(f"{len(report.problems)} discrepancies found.")
        raise SystemExit(1)
