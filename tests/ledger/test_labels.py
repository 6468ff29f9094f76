"""Every transaction kind posted anywhere has a name on every statement."""

import pytest
from django.utils import translation

import donors.services
import exchange.services
import ledger.services
from ledger.labels import KIND_LABELS, kind_label


def _kinds() -> set[str]:
    kinds = set()
    for module in (ledger.services, exchange.services, donors.services):
        kinds |= {v for k, v in vars(module.Kind).items() if k.isupper()}
    return kinds


def test_every_posted_kind_is_named():
    kinds = _kinds()
    assert {"claim_award", "pledge_confirm", "pledge_return", "hold_settle"} <= kinds
    assert kinds <= set(KIND_LABELS)


@pytest.mark.parametrize(
    ("kind", "korean"),
    [
        ("claim_award", "수령된 신청의 포인트"),
        ("pledge_confirm", "후원 약정 확정"),
        ("grant", "지급"),
    ],
)
def test_kinds_are_named_in_korean(kind, korean):
    with translation.override("ko"):
        assert kind_label(kind) == korean
    assert kind_label("something_else") == "something_else"
