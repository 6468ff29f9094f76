"""Demo data: regions, one person for each role and a small marketplace, labelled as demo.

Idempotent: running it again leaves the same users, posts and passwords.
Never run it against a production database; it refuses when DEBUG is off
unless --allow-production is given.
"""

import datetime

from django.conf import settings
from django.core import mail
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.test.utils import override_settings

from exchange.demo import seed_marketplace_demo
from people.models import RegionMembership, Role, User
from people.services import finance_group, membership_grant
from regions.models import Region
from regions.services import regions_load_csv

DEMO_START = datetime.date(2026, 1, 1)
DEMO_PASSWORD = "nanum-demo-2026"  # noqa: S105 - published demo credential, demo data only

# (username, display name, region code, role); every name carries "(데모)"
DEMO_PEOPLE = [
    ("demo_coord_seogu", "서구 코디네이터", "3017000000", Role.COORDINATOR),
    ("demo_cm_seogu", "서구 사례관리사", "3017000000", Role.CASE_MANAGER),
    ("demo_cm_gwanjeo2", "관저2동 사례관리사", "3017059700", Role.CASE_MANAGER),
    ("demo_coord_daedeok", "대덕구 코디네이터", "3023000000", Role.COORDINATOR),
    ("demo_cm_daedeok", "대덕구 사례관리사", "3023000000", Role.CASE_MANAGER),
    ("demo_coord_yuseong", "유성구 코디네이터", "3020000000", Role.COORDINATOR),
    ("demo_cm_yuseong", "유성구 사례관리사", "3020000000", Role.CASE_MANAGER),
]
DEMO_FINANCE = [("demo_finance", "재무 감사 1"), ("demo_finance2", "재무 감사 2")]
DEMO_DONOR_REP = ("demo_donor_rep", "후원기관 담당자")


class Command(BaseCommand):
    help = "Load the Daejeon regions and create DEMO users for every role (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--allow-production",
            action="store_true",
            help="Run even though DEBUG is off (never on a real deployment).",
        )

    def handle(self, *args, **options):
        if not settings.DEBUG and not options["allow_production"]:
            raise CommandError(
                "seed_demo creates users with a published password; it runs only with DEBUG=1 "
                "(or --allow-production)."
            )
        result = regions_load_csv()
        self.stdout.write(
            f"Regions: {result.created} created, {result.updated} updated, "
            f"{result.unchanged} unchanged."
        )
        with transaction.atomic():
            rows = []
            for username, name, code, role in DEMO_PEOPLE:
                user = self._demo_user(username, name)
                region = Region.objects.get(code=code)
                membership_grant(user=user, region=region, role=role, starts_on=DEMO_START)
                rows.append((username, f"{region.name_ko} {Role(role).label}"))
            group = finance_group()
            for username, name in DEMO_FINANCE:
                user = self._demo_user(username, name)
                user.groups.add(group)
                rows.append((username, "finance (재무 감사)"))
            self._demo_user(*DEMO_DONOR_REP)
            rows.append((DEMO_DONOR_REP[0], "donor representative (후원기관 담당자)"))
            admin = self._demo_user("demo_admin", "시스템 관리자")
            if not (admin.is_staff and admin.is_superuser):
                admin.is_staff = admin.is_superuser = True
                admin.save(update_fields=["is_staff", "is_superuser"])
            rows.append(("demo_admin", "admin"))

        # The demo claims notify the demo users by e-mail as real ones would;
        # printed by the console backend, they would bury the logins below.
        # They are kept in memory and counted instead (sent here, never queued).
        with override_settings(
            EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend", CELERY_BROKER_URL=""
        ):
            mail.outbox = []
            for line in seed_marketplace_demo():
                self.stdout.write(line)
            held = len(mail.outbox)
        if held:
            self.stdout.write(f"Demo e-mails not sent: {held} (to @demo.invalid addresses).")

        self.stdout.write("")
        self.stdout.write("=== DEMO DATA — not real people; do not use in production ===")
        self.stdout.write(f"Every demo login uses the password: {DEMO_PASSWORD}")
        for username, what in rows:
            self.stdout.write(f"  {username:<22} {what}")
        active = RegionMembership.objects.filter(user__username__startswith="demo_").count()
        self.stdout.write(f"({active} demo posts in all)")

    def _demo_user(self, username: str, name: str) -> User:
        user, created = User.objects.get_or_create(
            username=username,
            defaults={
                "first_name": name,
                "last_name": "(데모)",
                "email": f"{username}@demo.invalid",
            },
        )
        if created or not user.check_password(DEMO_PASSWORD):
            user.set_password(DEMO_PASSWORD)
            user.save(update_fields=["password"])
        return user
