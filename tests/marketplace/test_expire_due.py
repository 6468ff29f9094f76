import datetime
from io import StringIO

from django.core.management import call_command
from django.utils import timezone

from exchange.models import Claim, ClaimState
from exchange.services import claim_request
from ledger.models import Transaction
from marketplace.models import Listing, ListingState


def _expire_due() -> str:
    out = StringIO()
    call_command("expire_due", stdout=out)
    return out.getvalue()


def test_expire_due_twice_does_the_same_as_once(people, make_listing, household, grant, daejeon):
    grant(daejeon["대덕구"], 1000)
    claim = claim_request(
        by=people["cm_daedeok"], listing=make_listing(), household=household, quantity=2
    )
    Claim.objects.filter(pk=claim.pk).update(approve_by=timezone.now() - datetime.timedelta(1))
    stale = make_listing(available_until=timezone.localdate() + datetime.timedelta(days=1))
    # Two days pass: its availability has ended.
    Listing.objects.filter(pk=stale.pk).update(
        available_from=timezone.localdate() - datetime.timedelta(days=9),
        available_until=timezone.localdate() - datetime.timedelta(days=1),
    )

    assert "Expired 1 claims, 1 listings and 0 pledges." in _expire_due()
    snapshot = (
        list(Claim.objects.values_list("pk", "state")),
        list(Listing.objects.values_list("pk", "state")),
        Transaction.objects.count(),
    )
    assert "Expired 0 claims, 0 listings and 0 pledges." in _expire_due()
    assert snapshot == (
        list(Claim.objects.values_list("pk", "state")),
        list(Listing.objects.values_list("pk", "state")),
        Transaction.objects.count(),
    )
    assert Claim.objects.get(pk=claim.pk).state == ClaimState.EXPIRED
    assert Listing.objects.get(pk=stale.pk).state == ListingState.EXPIRED
