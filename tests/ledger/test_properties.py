"""Property: any sequence of postings, holds, settles, releases and reversals
keeps every ledger invariant, and balances match a simple model of them."""

from collections import Counter

from django.db import transaction
from django.db.models import Count, Sum
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ledger.exceptions import LedgerError
from ledger.models import Account, Entry, HoldStatus, Purpose, Transaction
from ledger.selectors import ledger_verify, trial_balance
from ledger.services import hold, ledger_post, ledger_reverse, release, settle, system_account


class _Rollback(Exception):
    pass


index = st.integers(min_value=0, max_value=50)
points = st.integers(min_value=1, max_value=120)
operations = st.lists(
    st.one_of(
        st.tuples(st.just("grant"), index, points),
        st.tuples(st.just("transfer"), index, index, points),
        st.tuples(st.just("hold"), index, points),
        st.tuples(st.just("settle"), index, st.integers(min_value=0, max_value=100)),
        st.tuples(st.just("release"), index),
        st.tuples(st.just("reverse"), index),
    ),
    max_size=25,
)


def _check_invariants(model: Counter) -> None:
    unbalanced = Transaction.objects.annotate(
        n=Count("entries"), total=Sum("entries__amount")
    ).exclude(n__gte=2, total=0)
    assert not unbalanced.exists()
    assert trial_balance().total == 0
    sums = dict(
        Entry.objects.values_list("account").annotate(s=Sum("amount")).values_list("account", "s")
    )
    for account in Account.objects.all():
        assert account.balance == sums.get(account.pk, 0)
        if not account.allow_negative:
            assert account.balance >= 0
        assert account.balance == model[account.code], account.code


@settings(
    max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(ops=operations)
def test_random_ledger_operations_keep_every_invariant(wallets, ops):
    issued, holds, redeemed = (
        system_account(p) for p in (Purpose.ISSUED, Purpose.HOLDS, Purpose.REDEEMED)
    )
    regions = list(wallets.values())
    try:
        with transaction.atomic():
            model: Counter = Counter()
            open_holds, posted = [], []

            def apply(entries):
                for account, amount in entries:
                    model[account.code] += amount

            for op in ops:
                try:
                    if op[0] == "grant":
                        entries = [(issued, -op[2]), (regions[op[1] % 3], op[2])]
                        posted.append(ledger_post(entries=entries, kind="grant"))
                        apply(entries)
                    elif op[0] == "transfer":
                        src, dst = regions[op[1] % 3], regions[op[2] % 3]
                        if src == dst:
                            continue
                        entries = [(src, -op[3]), (dst, op[3])]
                        posted.append(ledger_post(entries=entries, kind="transfer"))
                        apply(entries)
                    elif op[0] == "hold":
                        src = regions[op[1] % 3]
                        open_holds.append(hold(source=src, amount=op[2]))
                        apply([(src, -op[2]), (holds, op[2])])
                    elif op[0] == "settle" and open_holds:
                        h = open_holds[op[1] % len(open_holds)]
                        part = h.amount * op[2] // 100
                        was_open = h.status == HoldStatus.OPEN
                        settle(h, part)
                        if was_open:
                            apply(
                                [(holds, -h.amount), (redeemed, part), (h.source, h.amount - part)]
                            )
                    elif op[0] == "release" and open_holds:
                        h = open_holds[op[1] % len(open_holds)]
                        release(h)
                        apply([(holds, -h.amount), (h.source, h.amount)])
                    elif op[0] == "reverse" and posted:
                        original = posted[op[1] % len(posted)]
                        reversal = ledger_reverse(
                            transaction_to_reverse=original, reason="test", by=None
                        )
                        apply(
                            [
                                (e.account, e.amount)
                                for e in reversal.entries.select_related("account")
                            ]
                        )
                        posted.append(reversal)
                except LedgerError:
                    pass  # refused operations must change nothing, which the checks verify
                _check_invariants(model)
            assert ledger_verify().ok
            raise _Rollback
    except _Rollback:
        pass
