import datetime
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from ledger.checkpoint import CheckpointError, checkpoint_key, checkpoint_write
from ledger.selectors import ledger_verify


class Command(BaseCommand):
    help = (
        "Write every ledger account's sequence, head hash and balance to a new file, signed "
        "with LEDGER_CHECKPOINT_KEY (HMAC-SHA256), after verifying the ledger. Keep the files "
        "away from the database server; `ledger_verify --checkpoint FILE` checks the ledger "
        "still extends one."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--out",
            metavar="FILE",
            help="where to write (a new file); default ledger-checkpoint-<UTC time>.json here",
        )

    def handle(self, *args, **options):
        try:
            key, development = checkpoint_key()
        except CheckpointError as error:
            raise CommandError(str(error)) from None
        if development:
            self.stderr.write(
                "LEDGER_CHECKPOINT_KEY is not set: signing with the development key, "
                "which production refuses."
            )
        stamp = timezone.now().astimezone(datetime.UTC).strftime("%Y%m%dT%H%M%SZ")
        path = Path(options["out"] or f"ledger-checkpoint-{stamp}.json")
        # A checkpoint vouches for the ledger as it is: signing a damaged one would
        # make the damage look approved.
        report = ledger_verify()
        if not report.ok:
            for problem in report.problems:
                self.stderr.write(f"DISCREPANCY {problem}")
            raise CommandError(
                f"No checkpoint written: ledger_verify found {len(report.problems)} discrepancies."
            )
        try:
            checkpoint = checkpoint_write(path=path, key=key)
        except CheckpointError as error:
            raise CommandError(f"No checkpoint written: {error}") from None
        self.stdout.write(
            f"Checkpoint of {len(checkpoint.accounts)} accounts written to {path} "
            f"(digest {checkpoint.digest})."
        )
