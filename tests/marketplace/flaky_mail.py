"""An e-mail backend for tests/marketplace/test_jobs_worker.py, used by the
Celery worker it starts: the first attempt at each message fails as an
unreachable mail server would; the next is written to EMAIL_FILE_PATH like the
file-based backend. Every attempt is counted in attempts-<hash>.txt there."""

from __future__ import annotations

import hashlib
import smtplib
from pathlib import Path

from django.core.mail.backends import filebased


class FirstAttemptFails(filebased.EmailBackend):
    def send_messages(self, email_messages):
        for message in email_messages:
            key = hashlib.sha256(message.subject.encode()).hexdigest()[:16]
            attempts = Path(self.file_path) / f"attempts-{key}.txt"
            with attempts.open("a") as counter:
                counter.write(message.subject + "\n")
            if len(attempts.read_text().splitlines()) == 1:
                raise smtplib.SMTPServerDisconnected("first attempt fails (test)")
        return super().send_messages(email_messages)
