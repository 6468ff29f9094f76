"""Helpers shared by tests (not fixtures)."""

import re
import threading
from zoneinfo import ZoneInfo

from django.db import close_old_connections, connection
from rest_framework.test import APIClient

from ledger.models import Purpose
from ledger.selectors import account_balance
from ledger.services import account_for


def run_parallel(workers: int, work) -> list:
    """Run work(i) in `workers` threads, each with its own database connection,
    released together by a barrier. Returns each worker's result or exception."""
    barrier = threading.Barrier(workers)
    results: list = [None] * workers

    def run(i: int) -> None:
        try:
            barrier.wait()
            results[i] = work(i)
        except Exception as exc:  # collected for the assertions
            results[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    close_old_connections()
    return results


def transitions_of(model: str, pk: object, **filters: object):
    """The audit log of one object, by its model's name and primary key."""
    from audit.models import TransitionLog

    return TransitionLog.objects.filter(
        object_type__model=model, object_id=str(pk), **filters
    ).order_by("pk")


def api_client(user=None) -> APIClient:
    """An API client, signed in as `user` when one is given."""
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


def result_ids(response) -> set[int]:
    """The ids of a 200 list answer's results."""
    assert response.status_code == 200, response.content
    return {row["id"] for row in response.json()["results"]}


def wallet_balance(region) -> int:
    """The points in `region`'s wallet."""
    return account_balance(account_for(region, Purpose.WALLET))


#: The header htmx sends with its requests.
HTMX = {"HX-Request": "true"}
SEOUL = ZoneInfo("Asia/Seoul")


def listing_ids(html: str) -> list[int]:
    return [int(pk) for pk in re.findall(r'data-listing="(\d+)"', html)]


def actions_for(html: str, claim) -> set[str]:
    """The action buttons inside one claim's card."""
    match = re.search(rf'<li class="claim[^"]*" id="claim-{claim.pk}".*?</li>', html, re.S)
    return set(re.findall(r'data-action="([a-z-]+)"', match.group(0))) if match else set()


# --- confirmation dialogs (templates/components/confirm_action.html) --------------------------

CONFIRM_REQUIRED = "사유를 적어 주세요. 사유는 이력에 남고 고칠 수 없습니다."
CONFIRM_TOO_LONG = "사유는 1,000자까지 쓸 수 있습니다. 지금 1,001자입니다."
CONFIRM_MISSING = [{}, {"reason": ""}, {"reason": "   \n\t "}]


def dialog(html: str, dialog_id: str) -> str:
    """The markup of one confirmation dialog."""
    match = re.search(rf'<dialog [^>]*id="{dialog_id}".*?</dialog>', html, re.S)
    assert match, f"no dialog {dialog_id}"
    return match.group(0)


def assert_confirmation(html: str, dialog_id: str, *, action: str, reason: str | None) -> str:
    """The opener, the dialog labelled by its heading, and its reason field."""
    assert f'data-action="{action}" data-confirm-open="{dialog_id}"' in html
    box = dialog(html, dialog_id)
    assert f'aria-labelledby="{dialog_id}-title"' in box
    assert f'id="{dialog_id}-title"' in box
    assert any(
        words in box
        for words in ("되돌릴 수 없습니다", "사유를 적어 다시 열 수 있습니다", "다시 게시할 수")
    )
    assert f'data-confirm-submit="{action}"' in box
    assert ">취소</button>" in box
    if reason is None:
        assert "<textarea" not in box
    else:
        field = re.search(r"<textarea[^>]*>", box).group(0)
        assert f'name="{reason}"' in field
        assert " required" in field
    return box
