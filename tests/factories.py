"""Builders for test data, in one place; the conftest fixtures are thin calls of these.

Reference data (the 88 Daejeon regions and the 41 categories) is loaded once per
test session by `load_reference_data` (tests/conftest.py does it right after the
test database is created) and put back by `restore_reference_data` after every
flush of a transactional test, so tests only read it: `regions_by_name()` and
`categories_by_code()`. A test that needs the tables empty (the loaders' own
tests) asks for the `empty_reference_tables` fixture; its deletes are rolled
back with the test.

Users get a fixed test password (MD5-hashed in tests, see tests/conftest.py).
"""

from __future__ import annotations

import datetime
from typing import Any

from django.contrib.auth import get_user_model
from django.db import connection
from django.utils import timezone
from djmoney.money import Money

from donors.models import Donor, DonorKind, DonorMembership, Pledge
from donors.services import donor_verify, pledge_confirm, pledge_create
from ledger.models import Account, Purpose, Transaction
from ledger.services import account_for, ledger_post, system_account
from marketplace.models import Category, Household, Listing
from marketplace.services import (
    categories_load_csv,
    household_create,
    listing_create,
    listing_publish,
)
from people.models import RegionMembership, Role, User
from people.services import finance_group
from regions.models import Region
from regions.services import regions_load_csv

PASSWORD = "pw-for-tests-only"

# --- reference data -------------------------------------------------------------------

#: The reference rows as loaded at the start of the session, by model.
_REFERENCE: dict[type, list[dict[str, Any]]] = {}


def load_reference_data() -> None:
    """Load the bundled regions and categories (idempotent) and remember their rows."""
    regions_load_csv()
    categories_load_csv()
    for model in (Region, Category):
        _REFERENCE[model] = list(model.objects.order_by("pk").values())


def restore_reference_data() -> None:
    """Put the reference rows back, with their primary keys, into emptied tables.

    Two bulk inserts instead of the loaders' row-by-row checks; the rows are the
    ones `load_reference_data` read, so the data is the loaders' own.
    """
    for model, rows in _REFERENCE.items():
        if model.objects.exists():
            continue
        # Parents before children: the region tree is sorted by its path's
        # depth, a category's parent has no parent.
        ordered = sorted(rows, key=_depth)
        model.objects.bulk_create(model(**row) for row in ordered)


def _depth(row: dict[str, Any]) -> tuple[int, int]:
    return (row.get("path", "").count("/"), 0 if row["parent_id"] is None else 1)


def empty_reference_tables() -> None:
    """Delete every region and category (inside the test's transaction)."""
    with connection.cursor() as cursor:
        for model in (Category, Region):
            cursor.execute(f"DELETE FROM {connection.ops.quote_name(model._meta.db_table)}")  # noqa: S608


def regions_by_name() -> dict[str, Region]:
    """The loaded regions by Korean name."""
    return {region.name_ko: region for region in Region.objects.all()}


def categories_by_code() -> dict[str, Category]:
    """The loaded categories by code."""
    return {category.code: category for category in Category.objects.all()}


# --- people ---------------------------------------------------------------------------


def user(username: str, *, password: str = PASSWORD, **fields: Any) -> User:
    return get_user_model().objects.create_user(username=username, password=password, **fields)


def member(
    region: Region, role: Role | str, username: str, *, email: str = "", **membership: Any
) -> User:
    """A user holding the post `role` in `region`."""
    person = user(username, email=email)
    RegionMembership.objects.create(user=person, region=region, role=role, **membership)
    return person


def finance_officer(username: str = "fin", *, password: str = PASSWORD) -> User:
    """A member of the finance group."""
    person = user(username, password=password)
    person.groups.add(finance_group())
    return person


# --- ledger ---------------------------------------------------------------------------


def fund(account: Account, points: int, *, memo: str = "test funding") -> Transaction:
    """Issue points to an account (a plain grant posting)."""
    return ledger_post(
        entries=[(system_account(Purpose.ISSUED), -points), (account, points)],
        kind="grant",
        memo=memo,
    )


def grant(region: Region, points: int, *, memo: str = "test") -> Transaction:
    """Issue points to a region's wallet."""
    return fund(account_for(region, Purpose.WALLET), points, memo=memo)


# --- marketplace ----------------------------------------------------------------------


def listing(
    *,
    by: User,
    region: Region,
    category: Category,
    quantity: int = 10,
    krw: int | None = 20_000,
    publish: bool = True,
    kind: str = "goods",
    title: str = "밑반찬 세트",
    unit: str = "상자",
    **extra: Any,
) -> Listing:
    """A listing of `quantity` units at `krw` each, published unless told not to."""
    made = listing_create(
        by=by,
        region=region,
        kind=kind,
        category=category,
        title=title,
        quantity=quantity,
        unit=unit,
        value_per_unit=Money(krw, "KRW") if krw is not None else None,
        **{"available_from": datetime.date(2026, 1, 1), **extra},
    )
    if publish:
        made = listing_publish(listing=made, by=made.posted_by)
    return made


def gift(
    *,
    by: User,
    donor: Donor,
    region: Region,
    krw: int,
    quantity: int,
    title: str,
    publisher: User | None = None,
    category_code: str = "daily_living.side_dishes",
    unit: str = "상자",
    available_from: datetime.date = datetime.date(2026, 1, 1),
) -> Listing:
    """A donor's in-kind gift drafted by its representative `by`; published by
    `publisher` (a coordinator of the region) when one is given."""
    made = listing(
        by=by,
        donor=donor,
        region=region,
        category=Category.objects.get(code=category_code),
        quantity=quantity,
        krw=krw,
        title=title,
        unit=unit,
        publish=False,
        available_from=available_from,
    )
    return listing_publish(listing=made, by=publisher) if publisher is not None else made


def household(*, by: User, dong: Region, size: int = 3, notes: str = "") -> Household:
    return household_create(by=by, dong=dong, size=size, notes=notes)


def first_dong(district: Region) -> Region:
    """The dong with the lowest code under a district."""
    return district.children.order_by("code").first()


# --- donors ---------------------------------------------------------------------------


def verified_donor(*, home_region: Region, representative: User, verified_by: User) -> Donor:
    """A social cooperative, represented by `representative`, verified by finance."""
    donor = Donor.objects.create(
        name="함께나눔 사회적협동조합",
        kind=DonorKind.SOCIAL_COOPERATIVE,
        business_number="1248100998",
        home_region=home_region,
    )
    DonorMembership.objects.create(user=representative, donor=donor)
    return donor_verify(donor=donor, by=verified_by)


def pledge(
    *,
    donor: Donor,
    by: User,
    confirmed_by: User | None,
    krw: int = 1_000_000,
    days: int = 90,
    **prefs: Any,
) -> Pledge:
    """A pledge of `krw` valid for `days`; confirmed unless confirmed_by is None."""
    made = pledge_create(
        by=by,
        donor=donor,
        amount=Money(krw, "KRW"),
        valid_until=timezone.localdate() + datetime.timedelta(days=days),
        **prefs,
    )
    return pledge_confirm(pledge=made, by=confirmed_by) if confirmed_by is not None else made
