"""Rewrites that keep every hash chain valid, and what still finds them."""

from __future__ import annotations

import json
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from ledger.models import Account, Entry, Hold, HoldStatus, Proposal, Transaction
from ledger.selectors import ledger_verify
from ledger.services import (
    hold,
    ledger_post,
    proposal_approve,
    proposal_grant_create,
    settle,
)
from people.services import finance_group
from tests.ledger.tamper import delete_newest_transaction_and_rewind, swap_entries_and_rechain

SEO, DAEDEOK, YUSEONG = (
    "region:3017000000:wallet",
    "region:3023000000:wallet",
    "region:3020000000:wallet",
)


@pytest.fixture(autouse=True)
def _checkpoint_key(settings):
    # Tests run with DEBUG off, as production does: a key must be set.
    settings.LEDGER_CHECKPOINT_KEY = "a-test-checkpoint-key-of-forty-characters"


@pytest.fixture
def busy_ledger(wallets, fund):
    seo, daedeok, yuseong = wallets["서구"], wallets["대덕구"], wallets["유성구"]
    fund(seo, 100)
    ledger_post(entries=[(seo, -30), (daedeok, 30)], kind="transfer")
    settle(hold(source=daedeok, amount=20), 15)
    hold(source=seo, amount=10)  # stays open
    ledger_post(entries=[(seo, -7), (yuseong, 7)], kind="transfer")
    return wallets


def _command(*args: str) -> tuple[int, str, str]:
    out, err = StringIO(), StringIO()
    try:
        call_command(*args, stdout=out, stderr=err)
        code = 0
    except SystemExit as exit_:
        code = exit_.code
    return code, out.getvalue(), err.getvalue()


@pytest.fixture
def checkpoint_file(tmp_path) -> Path:
    path = tmp_path / "checkpoint.json"
    code, _out, err = _command("ledger_checkpoint", "--out", str(path))
    assert code == 0, err
    return path


# --- deleting the newest transaction: only a checkpoint finds it ------------------


def test_deleting_the_newest_transaction_and_rewinding_passes_the_chain_checks(busy_ledger):
    delete_newest_transaction_and_rewind()
    # Every chain, sum and cached column is consistent again: nothing in the
    # database itself can tell. This is why checkpoints exist.
    assert ledger_verify().ok


def test_a_checkpoint_finds_the_deleted_newest_transaction(busy_ledger, checkpoint_file):
    deleted = delete_newest_transaction_and_rewind()
    assert deleted.kind == "transfer"

    code, _out, err = _command("ledger_verify", "--checkpoint", str(checkpoint_file))

    assert code == 1
    assert f"{SEO}: sequence 3 is lower than 4 in the checkpoint" in err
    assert f"{YUSEONG}: sequence 0 is lower than 1 in the checkpoint" in err
    assert DAEDEOK not in err


def test_a_checkpoint_finds_the_deleted_transaction_replaced_by_another(
    busy_ledger, checkpoint_file
):
    delete_newest_transaction_and_rewind()
    seo, yuseong = busy_ledger["서구"], busy_ledger["유성구"]
    seo.refresh_from_db()
    yuseong.refresh_from_db()
    # Sequences are back where the checkpoint saw them, but not the same entries.
    ledger_post(entries=[(seo, -8), (yuseong, 8)], kind="transfer")
    assert ledger_verify().ok

    code, _out, err = _command("ledger_verify", "--checkpoint", str(checkpoint_file))

    assert code == 1
    assert f"{SEO} entry #4: hash or balance differs from the checkpoint" in err
    assert f"{YUSEONG} entry #1: hash or balance differs from the checkpoint" in err


def test_deleting_the_newest_transaction_when_it_is_a_hold_leaves_the_hold_dangling(
    busy_ledger,
):
    newest = hold(source=busy_ledger["서구"], amount=4)
    delete_newest_transaction_and_rewind()

    problems = ledger_verify().problems

    txn = newest.hold_transaction_id
    assert f"hold #{newest.pk}: its transaction #{txn} is missing" in problems
    assert "system:holds: balance 10, open holds sum to 14" in problems
    # The test's end checks the deferred foreign keys; take the dangling row away.
    Hold.objects.filter(pk=newest.pk).delete()


# --- swapping two entries and re-chaining them ---------------------------------------


def test_swapped_entries_with_their_times_are_found_by_the_order_of_times(busy_ledger):
    daedeok = busy_ledger["대덕구"]
    times = list(Entry.objects.filter(account=daedeok).values_list("posted_at", flat=True))
    assert times[1] < times[2]  # hold, then its settlement

    swap_entries_and_rechain(daedeok, 2, move_times=True)

    report = ledger_verify()
    assert [p for p in report.problems if p.startswith(f"{DAEDEOK} entry #3: posted at")]
    # The chain itself was made whole again.
    assert not [p for p in report.problems if "hash" in p]


def test_swapped_entries_keeping_their_places_times_are_found_by_their_transactions(
    busy_ledger,
):
    daedeok = busy_ledger["대덕구"]
    swap_entries_and_rechain(daedeok, 2, move_times=False)

    report = ledger_verify()
    assert f"{DAEDEOK} entry #2: transaction " in "\n".join(report.problems)
    assert any(
        p.startswith(f"{DAEDEOK} entry #3: transaction ") and "another time" in p
        for p in report.problems
    )


def test_a_checkpoint_finds_swapped_entries(busy_ledger, checkpoint_file):
    swap_entries_and_rechain(busy_ledger["대덕구"], 2, move_times=True)

    code, _out, err = _command("ledger_verify", "--checkpoint", str(checkpoint_file))

    assert code == 1
    assert f"{DAEDEOK} entry #3: hash or balance differs from the checkpoint" in err


# --- holds and proposals ---------------------------------------------------------------


def test_a_deleted_open_hold_leaves_the_holds_account_unexplained(busy_ledger):
    assert ledger_verify().ok
    Hold.objects.filter(status=HoldStatus.OPEN).delete()

    report = ledger_verify()

    assert "system:holds: balance 10, open holds sum to 0" in report.problems


def test_a_hold_marked_released_without_its_points_returning_is_found(busy_ledger):
    open_hold = Hold.objects.get(status=HoldStatus.OPEN)
    transfer = Transaction.objects.filter(kind="transfer").order_by("-pk").first()
    Hold.objects.filter(pk=open_hold.pk).update(status=HoldStatus.RELEASED, resolution=transfer)

    problems = ledger_verify().problems

    assert "system:holds: balance 10, open holds sum to 0" in problems
    assert f"hold #{open_hold.pk} (released): its resolution #{transfer.pk} is a transfer" in (
        problems
    )


def test_a_hold_pointing_at_a_transaction_of_another_kind_is_found(busy_ledger):
    open_hold = Hold.objects.get(status=HoldStatus.OPEN)
    grant = Transaction.objects.get(kind="grant")
    Hold.objects.filter(pk=open_hold.pk).update(hold_transaction=grant)

    problems = ledger_verify().problems

    assert f"hold #{open_hold.pk}: its transaction #{grant.pk} is a grant, not a hold" in problems


def test_an_approved_proposal_must_point_at_its_own_kind_of_transaction(
    daejeon, django_user_model, busy_ledger
):
    first, second = (
        django_user_model.objects.create_user(username=name, password="pw-for-tests")
        for name in ("fin1", "fin2")
    )
    first.groups.add(finance_group())
    second.groups.add(finance_group())
    proposal = proposal_grant_create(region=daejeon["대덕구"], amount=5, reason="opening", by=first)
    proposal_approve(proposal=proposal, by=second)
    assert ledger_verify().ok

    transfer = Transaction.objects.filter(kind="transfer").order_by("pk").first()
    Proposal.objects.filter(pk=proposal.pk).update(posted=transfer)

    problems = ledger_verify().problems
    assert f"proposal #{proposal.pk}: its transaction #{transfer.pk} is a transfer" in problems


# --- the checkpoint file ---------------------------------------------------------------


def test_an_untouched_ledger_extends_its_checkpoint(busy_ledger, checkpoint_file, fund):
    fund(busy_ledger["유성구"], 3)  # growth after the checkpoint is what "extends" means

    code, out, err = _command("ledger_verify", "--checkpoint", str(checkpoint_file))

    assert code == 0, err
    assert "no discrepancy" in out
    document = json.loads(checkpoint_file.read_text())
    assert {a["code"] for a in document["accounts"]} == set(
        Account.objects.values_list("code", flat=True)
    )


def test_an_account_missing_since_the_checkpoint_is_named(busy_ledger, tmp_path):
    path = tmp_path / "checkpoint.json"
    Account.objects.create(code="system:spare", owner_kind="system", purpose="issued")
    assert _command("ledger_checkpoint", "--out", str(path))[0] == 0
    Account.objects.filter(code="system:spare").delete()

    code, _out, err = _command("ledger_verify", "--checkpoint", str(path))

    assert code == 1
    assert "system:spare: in the checkpoint" in err
    assert "missing from the ledger" in err


def test_an_edited_checkpoint_is_refused_with_its_own_message(busy_ledger, checkpoint_file):
    document = json.loads(checkpoint_file.read_text())
    document["accounts"][0]["balance"] += 1
    checkpoint_file.write_text(json.dumps(document))

    with pytest.raises(CommandError, match=r"signature .* does not verify") as refused:
        call_command("ledger_verify", "--checkpoint", str(checkpoint_file))
    assert refused.value.returncode == 2


def test_a_checkpoint_signed_with_another_key_is_refused(busy_ledger, tmp_path, settings):
    settings.LEDGER_CHECKPOINT_KEY = "k" * 40
    path = tmp_path / "checkpoint.json"
    assert _command("ledger_checkpoint", "--out", str(path))[0] == 0
    settings.LEDGER_CHECKPOINT_KEY = "m" * 40

    with pytest.raises(CommandError, match="signed with another LEDGER_CHECKPOINT_KEY"):
        call_command("ledger_verify", "--checkpoint", str(path))


@pytest.mark.parametrize("content", ["", "not json", "[]", '{"format": "other"}'])
def test_a_file_that_is_no_checkpoint_is_refused(busy_ledger, tmp_path, content):
    path = tmp_path / "checkpoint.json"
    path.write_text(content)
    with pytest.raises(CommandError, match="Checkpoint refused") as refused:
        call_command("ledger_verify", "--checkpoint", str(path))
    assert refused.value.returncode == 2


def test_a_missing_checkpoint_file_is_refused(busy_ledger, tmp_path):
    with pytest.raises(CommandError, match="cannot read"):
        call_command("ledger_verify", "--checkpoint", str(tmp_path / "nowhere.json"))


def test_production_refuses_to_checkpoint_without_a_key(busy_ledger, tmp_path, settings):
    settings.DEBUG = False
    settings.LEDGER_CHECKPOINT_KEY = ""
    path = tmp_path / "checkpoint.json"

    with pytest.raises(CommandError, match="LEDGER_CHECKPOINT_KEY is not set"):
        call_command("ledger_checkpoint", "--out", str(path))
    assert not path.exists()
    with pytest.raises(CommandError, match="LEDGER_CHECKPOINT_KEY is not set"):
        call_command("ledger_verify", "--checkpoint", str(path))


def test_production_refuses_a_short_key(busy_ledger, tmp_path, settings):
    settings.DEBUG = False
    settings.LEDGER_CHECKPOINT_KEY = "short"
    with pytest.raises(CommandError, match="at least 32"):
        call_command("ledger_checkpoint", "--out", str(tmp_path / "c.json"))


def test_a_checkpoint_never_overwrites_a_file(busy_ledger, checkpoint_file):
    before = checkpoint_file.read_text()
    with pytest.raises(CommandError, match="already exists"):
        call_command("ledger_checkpoint", "--out", str(checkpoint_file))
    assert checkpoint_file.read_text() == before


def test_no_checkpoint_of_a_ledger_that_fails_verification(busy_ledger, tmp_path):
    Account.objects.filter(code=YUSEONG).update(balance=99)
    path = tmp_path / "checkpoint.json"
    with pytest.raises(CommandError, match="No checkpoint written"):
        call_command("ledger_checkpoint", "--out", str(path), stderr=StringIO())
    assert not path.exists()


def test_development_checkpoints_are_refused_in_production(busy_ledger, tmp_path, settings):
    settings.DEBUG, settings.LEDGER_CHECKPOINT_KEY = True, ""
    path = tmp_path / "checkpoint.json"
    code, _out, err = _command("ledger_checkpoint", "--out", str(path))
    assert code == 0
    assert "development key" in err

    settings.DEBUG, settings.LEDGER_CHECKPOINT_KEY = False, "p" * 40
    with pytest.raises(CommandError, match="does not verify"):
        call_command("ledger_verify", "--checkpoint", str(path))
