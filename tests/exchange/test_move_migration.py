"""Claim and Match moved from the marketplace and donors apps to exchange with
their tables: a database holding the demo migrated back to before the move and
forward again keeps every row, its content types, and books that verify."""

from __future__ import annotations

from io import StringIO

import pytest
from django.apps import apps
from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from audit.models import TransitionLog
from audit.services import audit_history
from exchange.models import Claim, Match
from ledger.selectors import ledger_verify

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE_THE_MOVE = [
    # The newest marketplace migration that does not need the move (the
    # catalogue's indexes and version came beside it).
    ("marketplace", "0005_catalogue_version"),
    ("donors", "0002_pledge_match_pledge_pledge_points_positive_and_more"),
]
#: Every app at its newest migration.
LATEST = None


def _migrate(targets) -> None:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes() if targets is None else targets)


def _counts() -> dict[str, int]:
    return {
        model._meta.label: model._default_manager.count()
        for model in apps.get_models()
        if model._meta.managed and not model._meta.proxy
    }


def _rows(table: str) -> list[tuple]:
    with connection.cursor() as cursor:
        quoted = connection.ops.quote_name(table)
        cursor.execute(f"SELECT * FROM {quoted} ORDER BY id")  # noqa: S608 (our table names)
        return cursor.fetchall()


def _labels(content_type_id: int) -> tuple[str, str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT app_label, model FROM django_content_type WHERE id = %s", [content_type_id]
        )
        return cursor.fetchone()


def test_the_demo_survives_migrating_back_before_the_move_and_forward(settings):
    settings.DEBUG = True
    call_command("seed_demo", stdout=StringIO())
    assert Claim.objects.exists() and Match.objects.exists()
    claim_type = ContentType.objects.get_for_model(Claim)
    match_type = ContentType.objects.get_for_model(Match)
    claim = Claim.objects.order_by("pk").first()
    history = list(audit_history(claim).values_list("pk", flat=True))
    assert history
    counts, claims, matches = _counts(), _rows("marketplace_claim"), _rows("donors_match")

    _migrate(BEFORE_THE_MOVE)
    # Before the move: the same rows, under the old labels.
    assert _rows("marketplace_claim") == claims and _rows("donors_match") == matches
    assert _labels(claim_type.pk) == ("marketplace", "claim")
    assert _labels(match_type.pk) == ("donors", "match")
    # What `migrate` does next: its post-migrate step creates the content
    # types of the models in the code, here a stale exchange.claim.
    stale = ContentType.objects.create(app_label="exchange", model="claim")
    Permission.objects.create(content_type=stale, codename="view_claim", name="stale")

    _migrate(LATEST)
    ContentType.objects.clear_cache()
    assert _counts() == counts
    assert _rows("marketplace_claim") == claims and _rows("donors_match") == matches
    assert _labels(claim_type.pk) == ("exchange", "claim")
    assert _labels(match_type.pk) == ("exchange", "match")
    assert not ContentType.objects.filter(pk=stale.pk).exists()
    assert ContentType.objects.get_for_model(Claim).pk == claim_type.pk
    assert list(audit_history(claim).values_list("pk", flat=True)) == history
    assert TransitionLog.objects.filter(object_type=claim_type).count() >= len(history)
    assert ledger_verify().ok
    out = StringIO()
    call_command("ledger_verify", stdout=out)  # a discrepancy exits 1 (SystemExit)
    assert "Ledger verified: no discrepancy." in out.getvalue()
